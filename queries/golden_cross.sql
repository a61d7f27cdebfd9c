-- name: golden_cross
-- description: Days where the 20-day moving average crosses the 200-day one (up: golden cross, down: death cross)
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first day to show
-- param: to date optional - last day to show
WITH spread AS (
    SELECT symbol, day, close, sma_20, sma_200,
           sma_20 - sma_200 AS diff,
           lag(sma_20 - sma_200) OVER (PARTITION BY symbol ORDER BY day) AS prev_diff
    FROM market.moving_averages
    WHERE ($1::text IS NULL OR symbol = $1)
)
SELECT symbol, day,
       CASE WHEN diff > 0 THEN 'up' ELSE 'down' END AS direction,
       close, sma_20, sma_200
FROM spread
WHERE ((prev_diff <= 0 AND diff > 0) OR (prev_diff >= 0 AND diff < 0))
  AND ($2::date IS NULL OR day >= $2)
  AND ($3::date IS NULL OR day <= $3)
ORDER BY symbol, day;
