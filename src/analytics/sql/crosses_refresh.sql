-- The definition of market.moving_average_crosses: the days where the 20-day moving average
-- of market.moving_averages crosses the 200-day one. Recomputes symbol $1 from day $2 on
-- (NULL: every day), writing only what differs, and stores the running sums of its last 201
-- rows (market.symbol_stats.close_running_sums), from which the loader continues when days
-- are appended. The loader finds the same crosses, bit for bit, as a new symbol's rows stream
-- in (src/analytics/crosses.rs).
WITH spread AS (
    SELECT day, close, sma_20, sma_200,
           sma_20 - sma_200 AS diff,
           lag(sma_20 - sma_200) OVER (ORDER BY day) AS prev_diff
    FROM market.moving_averages
    WHERE symbol = $1
),
crosses AS (
    SELECT day, CASE WHEN diff > 0 THEN 'up' ELSE 'down' END AS direction, close, sma_20, sma_200
    FROM spread
    WHERE ((prev_diff <= 0 AND diff > 0) OR (prev_diff >= 0 AND diff < 0))
      AND day >= coalesce($2::date, '-infinity'::date)
),
gone AS (
    DELETE FROM market.moving_average_crosses AS c
    WHERE c.symbol = $1
      AND c.day >= coalesce($2::date, '-infinity'::date)
      AND NOT EXISTS (SELECT FROM crosses WHERE crosses.day = c.day)
),
state AS (
    UPDATE market.symbol_stats
    SET close_running_sums = (
        SELECT array_agg(running ORDER BY day)
        FROM (SELECT day, running
              FROM (SELECT day, sum(close) OVER (ORDER BY day ROWS UNBOUNDED PRECEDING) AS running
                    FROM market.daily_prices
                    WHERE symbol = $1) AS r
              ORDER BY day DESC
              LIMIT 201) AS last_rows)
    WHERE symbol = $1
)
INSERT INTO market.moving_average_crosses AS c (symbol, day, direction, close, sma_20, sma_200)
SELECT $1, day, direction, close, sma_20, sma_200
FROM crosses
ON CONFLICT (symbol, day) DO UPDATE
    SET direction = EXCLUDED.direction, close = EXCLUDED.close,
        sma_20 = EXCLUDED.sma_20, sma_200 = EXCLUDED.sma_200
    WHERE (c.direction, c.close, c.sma_20, c.sma_200)
          IS DISTINCT FROM (EXCLUDED.direction, EXCLUDED.close, EXCLUDED.sma_20, EXCLUDED.sma_200)
