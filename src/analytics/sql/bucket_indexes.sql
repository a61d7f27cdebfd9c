-- The index on the bucket alone that TimescaleDB gives the storage of each period aggregate
-- (the refresh deletes a window's rows through it; market-wide reports of a few weeks read
-- it): per aggregate, its storage, the index (qualified, and its name alone), whether it is
-- there, and whether the storage has any chunk. Weekly first: it is the largest to build.
SELECT format('%I.%I', h.schema_name, h.table_name) AS storage,
       format('%I.%I', h.schema_name, h.table_name || '_bucket_idx') AS index,
       format('%I', h.table_name || '_bucket_idx') AS index_name,
       EXISTS (SELECT 1 FROM pg_indexes AS i
               WHERE i.schemaname = h.schema_name
                 AND i.indexname = h.table_name || '_bucket_idx') AS present,
       EXISTS (SELECT 1 FROM _timescaledb_catalog.chunk AS k
               WHERE k.hypertable_id = h.id) AS has_chunks
FROM _timescaledb_catalog.continuous_agg AS c
JOIN _timescaledb_catalog.hypertable AS h ON h.id = c.mat_hypertable_id
WHERE c.user_view_schema = 'market_agg'
ORDER BY c.user_view_name <> 'weekly', c.user_view_name
