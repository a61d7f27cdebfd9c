-- The definition of market.daily_return_counts: symbol $1's trading days per calendar quarter
-- by floor(return / 0.01), where a day's return is its adjusted close (the close where there
-- is none) over the previous trading day's, minus 1, and counts when that previous price is
-- above 0. Recomputes the quarters from the quarter of day $2 on (NULL: every quarter),
-- writing only what differs. The loader counts the same buckets, bit for bit, as rows stream
-- in (src/analytics/returns.rs); queries/returns_distribution.sql computes them the same way.
WITH counted AS (
    SELECT quarter,
           array_agg(return_bucket ORDER BY return_bucket) AS return_buckets,
           array_agg(days ORDER BY return_bucket) AS days
    FROM (SELECT date_trunc('quarter', day::timestamp)::date AS quarter,
                 floor((price / prev - 1) / 0.01::float8) AS return_bucket,
                 count(*)::integer AS days
          FROM (SELECT day, coalesce(adj_close, close) AS price,
                       lag(coalesce(adj_close, close)) OVER (ORDER BY day) AS prev
                FROM market.daily_prices
                WHERE symbol = $1) AS priced
          WHERE prev > 0
            AND ($2::date IS NULL OR day >= date_trunc('quarter', $2::date::timestamp)::date)
          GROUP BY 1, 2) AS buckets
    GROUP BY quarter
),
gone AS (
    DELETE FROM market.daily_return_counts AS c
    WHERE c.symbol = $1
      AND ($2::date IS NULL OR c.quarter >= date_trunc('quarter', $2::date::timestamp)::date)
      AND NOT EXISTS (SELECT FROM counted WHERE counted.quarter = c.quarter)
)
INSERT INTO market.daily_return_counts AS c (symbol, quarter, return_buckets, days)
SELECT $1, quarter, return_buckets, days
FROM counted
ON CONFLICT (symbol, quarter) DO UPDATE
    SET return_buckets = EXCLUDED.return_buckets, days = EXCLUDED.days
    WHERE (c.return_buckets, c.days) IS DISTINCT FROM (EXCLUDED.return_buckets, EXCLUDED.days)
