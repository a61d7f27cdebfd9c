-- Timescale and apache tiers: chunks of ten years instead of one for chunks created from now
-- on (existing chunks keep their size). A 60-year tree made 60 chunks, and every one-symbol
-- report planned all of them: ~18 ms of planning in a fresh session, more than a 20 ms
-- report may take. A decade of 2,642 symbols is ~6.6M rows (~1 GB with its indexes).
DO $$
BEGIN
    -- Nested: without TimescaleDB its catalog view does not exist to be queried.
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        IF EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                   WHERE hypertable_schema = 'market' AND hypertable_name = 'daily_prices') THEN
            PERFORM set_chunk_time_interval('market.daily_prices', INTERVAL '3650 days');
        END IF;
    END IF;
END
$$;
