-- The indexes of the period aggregates' storage that a refresh into empty aggregates sets
-- aside: the two TimescaleDB gives each storage, on the bucket alone (the refresh deletes a
-- window's rows through it; market-wide reports of a few weeks read it) and on (symbol,
-- bucket) (one symbol's reports read it), and migration V5's two on the monthly storage by
-- quarter and by year (a refresh of a few quarters or years reads the months through them).
-- Per index: its storage, the index (qualified, and its name alone), its key, whether it is
-- there, and whether the storage has any chunk. Weekly first: it is the largest to build.
-- TimescaleDB's public views only (timescaledb_information), so that it holds across releases.
SELECT format('%I.%I', a.materialization_hypertable_schema, a.materialization_hypertable_name) AS storage,
       format('%I.%I', a.materialization_hypertable_schema, k.name) AS index,
       format('%I', k.name) AS index_name,
       k.key,
       EXISTS (SELECT 1 FROM pg_indexes AS i
               WHERE i.schemaname = a.materialization_hypertable_schema
                 AND i.indexname = k.name) AS present,
       EXISTS (SELECT 1 FROM timescaledb_information.chunks AS c
               WHERE c.hypertable_schema = a.materialization_hypertable_schema
                 AND c.hypertable_name = a.materialization_hypertable_name) AS has_chunks
FROM timescaledb_information.continuous_aggregates AS a
CROSS JOIN LATERAL (VALUES
    (a.materialization_hypertable_name || '_bucket_idx', 'bucket DESC', true),
    (a.materialization_hypertable_name || '_symbol_bucket_idx', 'symbol, bucket DESC', true),
    ('monthly_quarter_idx', $$time_bucket('3 months'::interval, bucket)$$, a.view_name = 'monthly'),
    ('monthly_year_idx', $$time_bucket('1 year'::interval, bucket)$$, a.view_name = 'monthly')
) AS k (name, key, applies)
WHERE a.view_schema = 'market_agg' AND k.applies
ORDER BY a.view_name <> 'weekly', a.view_name, k.name
