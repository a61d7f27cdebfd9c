-- The definition of market.daily_prices.adj_close_median_30: the median of the adjusted close
-- (the close where a file had none) over the symbol's last 30 trading days, this one included;
-- NULL before the 30th. Recomputes symbol $1 from day $2 on (NULL: every day) and writes only
-- the rows whose stored value differs. The loader computes the same values, bit for bit, as a
-- new symbol's rows stream in (src/analytics/features.rs) and runs this after other writes.
WITH bounds AS (
    -- The window of day $2 reaches 29 trading days back.
    SELECT coalesce((SELECT day FROM market.daily_prices
                     WHERE symbol = $1 AND day < $2
                     ORDER BY day DESC OFFSET 28 LIMIT 1), '-infinity'::date) AS from_day
),
windows AS (
    SELECT day,
           count(*) OVER w AS n,
           array_agg(coalesce(adj_close, close)) OVER w AS last_30
    FROM market.daily_prices
    WHERE symbol = $1
      AND day >= (SELECT from_day FROM bounds)
    WINDOW w AS (ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)
),
-- Materialized: inlined into the UPDATE's join, a nested loop could rescan the window for
-- every row of the symbol (seen after an autoanalyze: minutes instead of milliseconds).
medians AS MATERIALIZED (
    SELECT day,
           CASE WHEN n = 30
                -- unnest in the select list streams; FROM unnest(...) fills a tuplestore per day.
                THEN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x)
                      FROM (SELECT unnest(last_30) AS x) AS v)
           END AS median
    FROM windows
)
UPDATE market.daily_prices AS d
SET adj_close_median_30 = m.median
FROM medians AS m
WHERE d.symbol = $1
  AND d.day = m.day
  AND d.day >= coalesce($2::date, '-infinity'::date)
  AND d.adj_close_median_30 IS DISTINCT FROM m.median
