-- The converted chunks, not partial, whose chunk-skipping range (migration V18) is still the
-- whole line: converted before the range was kept. TimescaleDB's private catalog, read only
-- through src/db/private.rs, which puts the chunk's name in {chunk} as this release spells it
-- (chunk_naming.sql). Chunk status bit 1 converted, 8 partial; an unknown range is stored as
-- the int8 minimum and maximum.
SELECT DISTINCT {chunk} AS chunk
FROM _timescaledb_catalog.chunk_column_stats s
JOIN _timescaledb_catalog.chunk c ON c.id = s.chunk_id
WHERE s.valid
  AND s.range_start = -9223372036854775808
  AND s.range_end = 9223372036854775807
  AND c.status & 1 <> 0
  AND c.status & 8 = 0
