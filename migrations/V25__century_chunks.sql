-- Issue 24: chunks of 36,525 days (100 years) instead of twenty (V24) for the daily prices
-- created from now on (existing chunks keep their size). Chunks start on multiples of the
-- interval from 1970-01-01, so a tree spanning 1962 to 2021 lands in two chunks (1870-1970,
-- 1970-2070) instead of four. On the columnstore a query planning market.daily_prices in a
-- fresh connection pays about 0.35 ms per converted chunk; with two, one symbol's reports
-- took 1.02-1.12x their time in row storage instead of 1.18-1.25x (`daily_returns` up to
-- 1.22x in one round of three), and `latest` 112 against 131 ms. Converting the one large
-- chunk after a first load takes 1.8-2.8 s longer (one connection converts it while the
-- other waits); one new day for every symbol still converts in 0.11-0.13 s (BENCHMARKS.md).
DO $$
BEGIN
    -- Nested: without TimescaleDB its catalog view does not exist to be queried.
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        IF EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                   WHERE hypertable_schema = 'market' AND hypertable_name = 'daily_prices') THEN
            PERFORM set_chunk_time_interval('market.daily_prices', INTERVAL '36525 days');
        END IF;
    END IF;
END
$$;
