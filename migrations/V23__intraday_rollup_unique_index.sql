-- Issue 25: since this version a first load of a (symbol, resolution) writes its intraday
-- roll-ups into the continuous aggregates' storage itself (src/analytics/intraday.rs,
-- write_materialized) instead of leaving them to a refresh after the load. stockdb's
-- refreshes and loaders keep out of each other's way with advisory locks; a refresh that is
-- not stockdb's (a policy, a CALL by hand) racing such a load could store a bucket twice.
-- One unique index per level makes that an error instead: (symbol, bucket, source_resolution)
-- replaces V12's (symbol, bucket), and also gives the views' DISTINCT ON order.
DO $migration$
DECLARE
    p record;
BEGIN
    IF NOT (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
            AND current_setting('timescaledb.license', true) = 'timescale') THEN
        RETURN;
    END IF;
    FOR p IN SELECT ca.materialization_hypertable_schema AS s, ca.materialization_hypertable_name AS t
             FROM timescaledb_information.continuous_aggregates AS ca
             WHERE ca.view_schema = 'market' AND ca.view_name LIKE 'intraday\_%\_rollup'
    LOOP
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I.%I (symbol, bucket, source_resolution)',
                       p.t || '_symbol_bucket_resolution_key', p.s, p.t);
    END LOOP;
    FOR p IN SELECT format('%I.%I', i.schemaname, i.indexname) AS idx
             FROM timescaledb_information.continuous_aggregates AS ca
             JOIN pg_indexes AS i ON i.schemaname = ca.materialization_hypertable_schema
                                 AND i.tablename = ca.materialization_hypertable_name
             WHERE ca.view_schema = 'market' AND ca.view_name LIKE 'intraday\_%\_rollup'
               AND i.indexdef LIKE '%(symbol, bucket)'
    LOOP
        EXECUTE 'DROP INDEX ' || p.idx;
    END LOOP;
END
$migration$;
