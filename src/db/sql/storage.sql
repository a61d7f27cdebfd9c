-- Each of stockdb's hypertables: its size on disk and, where TimescaleDB's columnstore is on,
-- how many chunks are converted and their bytes before and after (TimescaleDB servers).
SELECT h.hypertable_name::text AS name,
       hypertable_size(format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) AS bytes,
       h.compression_enabled AS columnstore,
       st.total_chunks,
       st.number_compressed_chunks AS compressed_chunks,
       st.before_compression_total_bytes AS before_bytes,
       st.after_compression_total_bytes AS after_bytes
FROM timescaledb_information.hypertables h
LEFT JOIN LATERAL hypertable_columnstore_stats(
    format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) st
  ON h.compression_enabled
WHERE h.hypertable_schema = 'market'
ORDER BY h.hypertable_name
