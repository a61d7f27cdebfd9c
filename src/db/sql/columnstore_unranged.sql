-- The converted chunks, not partial, whose chunk-skipping range (migration V18) is still the
-- whole line: converted before the range was kept. TimescaleDB's catalog: chunk status bit 1
-- converted, 8 partial; an unknown range is stored as the int8 minimum and maximum.
SELECT DISTINCT format('%I.%I', c.schema_name, c.table_name) AS chunk
FROM _timescaledb_catalog.chunk_column_stats s
JOIN _timescaledb_catalog.chunk c ON c.id = s.chunk_id
WHERE s.valid
  AND s.range_start = -9223372036854775808
  AND s.range_end = 9223372036854775807
  AND c.status & 1 <> 0
  AND c.status & 8 = 0
