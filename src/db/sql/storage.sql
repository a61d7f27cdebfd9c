-- Each of stockdb's hypertables: its size on disk and, where TimescaleDB's columnstore is on,
-- how many chunks are converted and their bytes before and after (TimescaleDB servers).
-- The size is what hypertable_size() says, summed here from the table, its chunks and their
-- columnstore: hypertable_size() sizes every chunk of every hypertable before it filters
-- (80 ms a call even for an empty table; four calls made `stockdb status` take 0.3 s).
SELECT h.hypertable_name::text AS name,
       (pg_total_relation_size(t.oid)
        + coalesce((SELECT sum(pg_total_relation_size(c)) FROM show_chunks(t.oid) AS c), 0)
        + coalesce(st.after_compression_total_bytes, 0))::bigint AS bytes,
       h.compression_enabled AS columnstore,
       st.total_chunks,
       st.number_compressed_chunks AS compressed_chunks,
       st.before_compression_total_bytes AS before_bytes,
       st.after_compression_total_bytes AS after_bytes
FROM timescaledb_information.hypertables h
CROSS JOIN LATERAL (SELECT format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass AS oid) t
LEFT JOIN LATERAL hypertable_columnstore_stats(t.oid) st ON h.compression_enabled
WHERE h.hypertable_schema = 'market'
ORDER BY h.hypertable_name
