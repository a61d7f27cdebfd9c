-- Issue 24: chunks of twenty years instead of ten (V8) for the daily prices created from now on
-- (existing chunks keep their size). Since the columnstore (V17) a query that plans
-- market.daily_prices in a fresh connection pays about 0.4 ms per converted chunk: a 60-year
-- tree's 4 chunks instead of 7 took 1-2 ms off one symbol's reports, and one new day for every
-- symbol still converts its chunk in 0.17 s against 0.12 s (BENCHMARKS.md). Boundaries fall on
-- 1950, 1970, 1990, 2010 and 2030 (multiples of 7,305 days from 1970-01-01).
DO $$
BEGIN
    -- Nested: without TimescaleDB its catalog view does not exist to be queried.
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        IF EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                   WHERE hypertable_schema = 'market' AND hypertable_name = 'daily_prices') THEN
            PERFORM set_chunk_time_interval('market.daily_prices', INTERVAL '7305 days');
        END IF;
    END IF;
END
$$;
