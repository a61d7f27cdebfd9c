-- Return counts the loader made from a file's rows for symbol $1: ($2 quarter, $3 return bucket, $4 days)
-- as arrays. $5 false: the symbol's first rows (the counts are these); true: days appended
-- after its last (added to the counts).
INSERT INTO market.daily_return_counts AS c (symbol, quarter, return_bucket, days)
SELECT $1, * FROM unnest($2::date[], $3::float8[], $4::integer[])
ON CONFLICT (symbol, quarter, return_bucket) DO UPDATE
    SET days = CASE WHEN $5 THEN c.days ELSE 0 END + EXCLUDED.days
