-- The table that holds a chunk's columnstore ($1: the chunk), for an ANALYZE right after the
-- chunk's conversion: until one runs (autovacuum comes minutes later) the planner takes that
-- table for empty, and a load's or report's join over the chunk then builds its hash of the
-- stored rows instead of the file's (issue 25's re-load: 1.7x the server time). TimescaleDB's
-- private catalog (the same in 2.28 and 2.29), read only where src/db/private.rs found the
-- shape `compressed_chunk` (migrations/V26).
SELECT s.compress_relid::text
FROM _timescaledb_catalog.compression_settings s
WHERE s.relid = $1::regclass AND s.compress_relid IS NOT NULL
