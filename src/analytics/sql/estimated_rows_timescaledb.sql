-- As estimated_rows.sql, where TimescaleDB is installed: its approximate_row_count also counts
-- the rows of chunks converted to the columnstore, whose own reltuples is 0 or -1 (the sum of
-- reltuples said ~0 for a converted table of 9.2M rows). NULL while some part that is not
-- converted was never analyzed (a converted chunk's columnstore is analyzed as it is made).
-- TimescaleDB's public view of chunks says which are converted. $1: the table's name.
SELECT CASE
           WHEN bool_or(c.reltuples < 0 AND NOT coalesce(ch.is_compressed, false)) THEN NULL
           ELSE approximate_row_count($1::regclass)
       END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN timescaledb_information.chunks ch
  ON ch.chunk_schema = n.nspname AND ch.chunk_name = c.relname
WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)
   OR (c.oid = $1::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = $1::regclass))
