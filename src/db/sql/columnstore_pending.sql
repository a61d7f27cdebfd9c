-- The chunks of stockdb's hypertables that have the columnstore on and are not wholly in it:
-- never converted, or partial (rows written into them since their conversion sit beside the
-- converted batches). Oldest first. Chunk status bits (TimescaleDB's catalog): 1 converted,
-- 8 partial.
SELECT format('%I.%I', ch.chunk_schema, ch.chunk_name) AS chunk
FROM timescaledb_information.chunks ch
JOIN timescaledb_information.hypertables h USING (hypertable_schema, hypertable_name)
JOIN _timescaledb_catalog.chunk c
  ON c.schema_name = ch.chunk_schema AND c.table_name = ch.chunk_name
WHERE ch.hypertable_schema = 'market'
  AND h.compression_enabled
  AND (c.status & 1 = 0 OR c.status & 8 <> 0)
ORDER BY ch.hypertable_name, ch.range_start
