-- The table that holds a chunk's columnstore ($1: the chunk), for an ANALYZE right after the
-- chunk's conversion: until one runs (autovacuum comes minutes later) the planner takes that
-- table for empty, and a load's or report's join over the chunk then builds its hash of the
-- stored rows instead of the file's (issue 25's re-load: 1.7x the server time).
SELECT format('%I.%I', c.schema_name, c.table_name)
FROM _timescaledb_catalog.chunk uncompressed
JOIN _timescaledb_catalog.chunk c ON c.id = uncompressed.compressed_chunk_id
WHERE format('%I.%I', uncompressed.schema_name, uncompressed.table_name)::regclass = $1::regclass
