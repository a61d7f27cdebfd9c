-- Issue 25: one symbol-day's event reports take as long on 25 loaded days as on 2. The events'
-- chunks are by event time (a day each), but the reports and BI queries ask for trade dates:
-- without an event-time bound TimescaleDB planned every day's chunks of both tables, and the
-- planning grew with the days loaded (BENCHMARKS.md). With chunk skipping on `trade_dt`,
-- TimescaleDB keeps each converted chunk's range of trade dates and plans only the chunks
-- whose range meets the dates asked for. A chunk written since its conversion (partial) and a
-- chunk not yet converted are always planned, so the ranges cannot hide a row.
--
-- Timescale tier only: the ranges are taken when a chunk is converted to the columnstore
-- (V17). TimescaleDB ships chunk skipping switched off (it costs catalog lookups at planning);
-- it is switched on here for the database, for every session including BI tools' and
-- TimescaleDB's jobs, and stockdb's own connections switch it on too (src/db/sql/
-- writer_settings.sql, the event reports' `-- setting:`), so the ranges are kept even where
-- the role may not alter the database. Chunks converted before this migration have no range
-- until `stockdb migrate` converts them again (src/db/columnstore.rs).
DO $migration$
BEGIN
    IF NOT (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
            AND current_setting('timescaledb.license', true) = 'timescale') THEN
        RETURN;
    END IF;
    PERFORM set_config('timescaledb.enable_chunk_skipping', 'on', true);
    PERFORM enable_chunk_skipping('market.trades', 'trade_dt', if_not_exists => true);
    PERFORM enable_chunk_skipping('market.quotes', 'trade_dt', if_not_exists => true);
    BEGIN
        EXECUTE format('ALTER DATABASE %I SET timescaledb.enable_chunk_skipping = on',
                       current_database());
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'stockdb: not the database''s owner, so timescaledb.enable_chunk_skipping '
                     'stays off for other sessions; set it for the BI role to plan one day''s '
                     'event chunks';
    END;
END
$migration$;
