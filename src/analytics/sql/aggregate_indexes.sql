-- The indexes of the period aggregates' storage that a refresh into empty aggregates sets
-- aside: the two TimescaleDB gives each storage, on the bucket alone (the refresh deletes a
-- window's rows through it; market-wide reports of a few weeks read it) and on (symbol,
-- bucket) (one symbol's reports read it), and migration V5's two on the monthly storage by
-- quarter and by year (a refresh of a few quarters or years reads the months through them).
-- Per index: its storage, the index (qualified, and its name alone), its key, whether it is
-- there, and whether the storage has any chunk. Weekly first: it is the largest to build.
SELECT format('%I.%I', h.schema_name, h.table_name) AS storage,
       format('%I.%I', h.schema_name, k.name) AS index,
       format('%I', k.name) AS index_name,
       k.key,
       EXISTS (SELECT 1 FROM pg_indexes AS i
               WHERE i.schemaname = h.schema_name AND i.indexname = k.name) AS present,
       EXISTS (SELECT 1 FROM _timescaledb_catalog.chunk AS c
               WHERE c.hypertable_id = h.id) AS has_chunks
FROM _timescaledb_catalog.continuous_agg AS a
JOIN _timescaledb_catalog.hypertable AS h ON h.id = a.mat_hypertable_id
CROSS JOIN LATERAL (VALUES
    (h.table_name || '_bucket_idx', 'bucket DESC', true),
    (h.table_name || '_symbol_bucket_idx', 'symbol, bucket DESC', true),
    ('monthly_quarter_idx', $$time_bucket('3 months'::interval, bucket)$$, a.user_view_name = 'monthly'),
    ('monthly_year_idx', $$time_bucket('1 year'::interval, bucket)$$, a.user_view_name = 'monthly')
) AS k (name, key, applies)
WHERE a.user_view_schema = 'market_agg' AND k.applies
ORDER BY a.user_view_name <> 'weekly', a.user_view_name, k.name
