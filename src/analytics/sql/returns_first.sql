-- A symbol's first return counts, grouped by the loader: one row per quarter of $2, whose
-- buckets (ascending) and days are the elements $4 to $5 of $3 and $6 (1-based, inclusive).
-- Why not returns_store.sql: its unnest, regrouping and array_agg sorts took ~3 ms a file,
-- 8.8 s of server time in a first load of 2,642 files, on rows that need no merging.
INSERT INTO market.daily_return_counts AS c (symbol, quarter, return_buckets, days)
SELECT $1, q.quarter, ($3::float8[])[q.first:q.last], ($6::integer[])[q.first:q.last]
FROM unnest($2::date[], $4::integer[], $5::integer[]) AS q (quarter, first, last)
ON CONFLICT (symbol, quarter) DO UPDATE
    SET return_buckets = EXCLUDED.return_buckets, days = EXCLUDED.days
