-- The two indexes TimescaleDB gives the storage of each period aggregate, on the bucket
-- alone (the refresh deletes a window's rows through it; market-wide reports of a few weeks
-- read it) and on (symbol, bucket) (one symbol's reports read it): per aggregate and index,
-- its storage, the index (qualified, and its name alone), its columns, whether it is there,
-- and whether the storage has any chunk. Weekly first: it is the largest to build.
SELECT format('%I.%I', h.schema_name, h.table_name) AS storage,
       format('%I.%I', h.schema_name, h.table_name || k.suffix) AS index,
       format('%I', h.table_name || k.suffix) AS index_name,
       k.columns,
       EXISTS (SELECT 1 FROM pg_indexes AS i
               WHERE i.schemaname = h.schema_name
                 AND i.indexname = h.table_name || k.suffix) AS present,
       EXISTS (SELECT 1 FROM _timescaledb_catalog.chunk AS c
               WHERE c.hypertable_id = h.id) AS has_chunks
FROM _timescaledb_catalog.continuous_agg AS a
JOIN _timescaledb_catalog.hypertable AS h ON h.id = a.mat_hypertable_id
CROSS JOIN (VALUES ('_bucket_idx', 'bucket DESC'),
                   ('_symbol_bucket_idx', 'symbol, bucket DESC')) AS k (suffix, columns)
WHERE a.user_view_schema = 'market_agg'
ORDER BY a.user_view_name <> 'weekly', a.user_view_name, k.suffix
