-- How TimescaleDB's private chunk catalog names a chunk, for unranged_chunks.sql:
-- 'relid' (2.29 and later), 'names' (schema_name and table_name, 2.28 and earlier), NULL when
-- neither, or when chunk_column_stats lacks a column that query reads (src/db/private.rs).
WITH cols AS (
    SELECT c.relname::text AS rel, a.attname::text AS col
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '_timescaledb_catalog' AND c.relname IN ('chunk', 'chunk_column_stats')
      AND a.attnum > 0 AND NOT a.attisdropped
)
SELECT CASE
           WHEN (SELECT count(*) FROM cols WHERE rel = 'chunk_column_stats'
                   AND col IN ('chunk_id', 'range_start', 'range_end', 'valid')) < 4
             OR (SELECT count(*) FROM cols WHERE rel = 'chunk' AND col IN ('id', 'status')) < 2
               THEN NULL
           WHEN EXISTS (SELECT 1 FROM cols WHERE rel = 'chunk' AND col = 'relid') THEN 'relid'
           WHEN (SELECT count(*) FROM cols WHERE rel = 'chunk'
                   AND col IN ('schema_name', 'table_name')) = 2 THEN 'names'
       END
