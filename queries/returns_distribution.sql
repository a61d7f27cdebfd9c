-- name: returns_distribution
-- description: Histogram of daily simple returns (adjusted close) in buckets of a given width
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first day
-- param: to date optional - last day
-- param: width float optional=0.01 - bucket width (0.01 = 1 percentage point)
WITH priced AS (
    SELECT symbol, day, coalesce(adj_close, close) AS price,
           lag(coalesce(adj_close, close)) OVER (PARTITION BY symbol ORDER BY day) AS prev
    FROM market.daily_prices
    WHERE ($1::text IS NULL OR symbol = $1)
),
returns AS (
    SELECT price / prev - 1 AS r
    FROM priced
    WHERE prev > 0
      AND ($2::date IS NULL OR day >= $2)
      AND ($3::date IS NULL OR day <= $3)
)
SELECT floor(r / $4::float8) * $4::float8 AS bucket_from,
       (floor(r / $4::float8) + 1) * $4::float8 AS bucket_to,
       count(*) AS days,
       count(*)::float8 / sum(count(*)) OVER () AS share
FROM returns
GROUP BY floor(r / $4::float8)
ORDER BY 1;
