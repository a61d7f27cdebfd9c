-- name: returns_distribution
-- description: Histogram of daily simple returns (adjusted close) in buckets of a given width
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first day
-- param: to date optional - last day
-- param: width float optional=0.01 - bucket width (0.01 = 1 percentage point)
-- A day's return is its adjusted close (the close where there is none) over the previous
-- trading day's, minus 1, counted when that previous price is above 0. At the default width
-- the whole calendar quarters of the range come from the counts stockdb load keeps
-- (market.daily_return_counts, migrations/V11) and only the days of the partial quarters at
-- its ends are computed here; another width computes every day (seconds for the market).
--
-- The whole quarters run from `first_whole` (from itself when it starts a quarter, else the
-- next quarter's first day; '-infinity' when absent) to before `past_whole` (the first day of
-- the quarter of to + 1 day; 'infinity' when absent). Both are written out where they are
-- used, over timestamp (immutable, unlike timestamptz), so the planner sees constants and
-- skips those quarters' chunks and index ranges.
WITH kept AS (
    -- unnest in the select list streams; in FROM it fills a tuplestore per row (2x slower).
    SELECT unnest(c.return_buckets) AS bucket, unnest(c.days)::bigint AS days
    FROM market.daily_return_counts AS c
    WHERE $4::float8 = 0.01
      AND ($1::text IS NULL OR c.symbol = $1)
      AND c.quarter >= CASE WHEN $2::date IS NULL THEN '-infinity'::date
                          WHEN $2::date = date_trunc('quarter', $2::date::timestamp) THEN $2::date
                          ELSE (date_trunc('quarter', $2::date::timestamp) + interval '3 months')::date END
      AND c.quarter < coalesce(date_trunc('quarter', ($3::date + 1)::timestamp)::date, 'infinity'::date)
),
ends AS (
    -- The days outside those quarters: the previous day of a quarter's first one may lie in
    -- an earlier quarter, so it is looked up when the window has none.
    SELECT price / prev - 1 AS r
    FROM (SELECT symbol, day, price,
                 coalesce(lag(price) OVER (PARTITION BY symbol, date_trunc('quarter', day::timestamp) ORDER BY day),
                          (SELECT coalesce(p.adj_close, p.close) FROM market.daily_prices AS p
                           WHERE p.symbol = d.symbol AND p.day < d.day
                           ORDER BY p.day DESC LIMIT 1)) AS prev
          FROM (SELECT symbol, day, coalesce(adj_close, close) AS price
                FROM market.daily_prices
                WHERE $4::float8 = 0.01
                  AND ($1::text IS NULL OR symbol = $1)
                  AND day >= coalesce($2::date, '-infinity'::date)
                  AND day <= coalesce($3::date, 'infinity'::date)
                  AND (day < CASE WHEN $2::date IS NULL THEN '-infinity'::date
                                  WHEN $2::date = date_trunc('quarter', $2::date::timestamp) THEN $2::date
                                  ELSE (date_trunc('quarter', $2::date::timestamp) + interval '3 months')::date END
                       OR day >= coalesce(date_trunc('quarter', ($3::date + 1)::timestamp)::date, 'infinity'::date))) AS d) AS priced
    WHERE prev > 0
),
every_day AS (
    -- Another width: every day of the range, from the prices.
    SELECT price / prev - 1 AS r
    FROM (SELECT day, coalesce(adj_close, close) AS price,
                 lag(coalesce(adj_close, close)) OVER (PARTITION BY symbol ORDER BY day) AS prev
          FROM market.daily_prices
          WHERE ($1::text IS NULL OR symbol = $1)
            AND $4::float8 <> 0.01) AS priced
    WHERE prev > 0
      AND ($2::date IS NULL OR day >= $2)
      AND ($3::date IS NULL OR day <= $3)
),
counted AS (
    SELECT bucket, days FROM kept
    UNION ALL
    SELECT floor(r / $4::float8), 1 FROM ends
    UNION ALL
    SELECT floor(r / $4::float8), 1 FROM every_day
)
SELECT bucket * $4::float8 AS bucket_from,
       (bucket + 1) * $4::float8 AS bucket_to,
       sum(days)::bigint AS days,
       sum(days)::float8 / sum(sum(days)) OVER () AS share
FROM counted
GROUP BY bucket
ORDER BY 1;
