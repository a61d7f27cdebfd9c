-- Return counts the loader made from days appended after symbol $1's last, one element per
-- (quarter, bucket): $2 quarters, $3 buckets, $4 days; added to the counts of their quarters.
-- (A symbol's first counts go in through returns_first.sql.)
WITH sent AS (
    SELECT * FROM unnest($2::date[], $3::float8[], $4::integer[]) AS s (quarter, return_bucket, days)
),
merged AS (
    SELECT quarter, return_bucket, sum(days)::integer AS days
    FROM (SELECT quarter, return_bucket, days FROM sent
          UNION ALL
          SELECT c.quarter, b.return_bucket, b.days
          FROM market.daily_return_counts AS c,
               unnest(c.return_buckets, c.days) AS b (return_bucket, days)
          WHERE c.symbol = $1 AND c.quarter IN (SELECT quarter FROM sent)) AS u
    GROUP BY quarter, return_bucket
)
INSERT INTO market.daily_return_counts AS c (symbol, quarter, return_buckets, days)
SELECT $1, quarter, array_agg(return_bucket ORDER BY return_bucket), array_agg(days ORDER BY return_bucket)
FROM merged
GROUP BY quarter
ON CONFLICT (symbol, quarter) DO UPDATE
    SET return_buckets = EXCLUDED.return_buckets, days = EXCLUDED.days
