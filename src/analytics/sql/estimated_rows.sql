-- The planner's estimate of a table's rows, its chunks included (hypertables): the sum of
-- reltuples, NULL while some part was never analyzed. $1: the table's name.
SELECT CASE WHEN bool_or(c.reltuples < 0) THEN NULL ELSE sum(c.reltuples)::bigint END
FROM pg_class c
WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)
   OR (c.oid = $1::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = $1::regclass))
