-- The definition of market.daily_prices.adj_close_median_30: the median of the adjusted close
-- (the close where a file had none) over the symbol's last 30 trading days, this one included;
-- NULL before the 30th. Recomputes symbol $1 from day $2 on (NULL: every day) and returns the
-- days whose stored value differs, with their median; medians_store.sql writes them. Read and
-- write are two statements: on TimescaleDB's columnstore, an UPDATE that decompresses the
-- batches its own statement reads sees rows twice or not at all (BENCHMARKS.md, issue 24).
-- The loader computes the same values, bit for bit, as a new symbol's rows stream in
-- (src/analytics/features.rs) and runs this after other writes.
WITH bounds AS (
    -- The window of day $2 reaches 29 trading days back.
    SELECT coalesce((SELECT day FROM market.daily_prices
                     WHERE symbol = $1 AND day < $2
                     ORDER BY day DESC OFFSET 28 LIMIT 1), '-infinity'::date) AS from_day
),
windows AS (
    SELECT day,
           adj_close_median_30 AS stored,
           count(*) OVER w AS n,
           array_agg(coalesce(adj_close, close)) OVER w AS last_30
    FROM market.daily_prices
    WHERE symbol = $1
      AND day >= (SELECT from_day FROM bounds)
    WINDOW w AS (ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)
),
medians AS (
    SELECT day, stored,
           CASE WHEN n = 30
                -- unnest in the select list streams; FROM unnest(...) fills a tuplestore per day.
                THEN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x)
                      FROM (SELECT unnest(last_30) AS x) AS v)
           END AS median
    FROM windows
)
SELECT coalesce(array_agg(m.day ORDER BY m.day), '{}') AS days,
       coalesce(array_agg(m.median ORDER BY m.day), '{}') AS medians
FROM medians AS m
WHERE m.day >= coalesce($2::date, '-infinity'::date)
  AND m.stored IS DISTINCT FROM m.median
