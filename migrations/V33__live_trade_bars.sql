-- Issue 45: a followed file commits every second, and its trades must show in their bars within
-- one commit interval. Refreshing the open minute at every commit re-reads the whole minute's
-- trades (3M at 50,000 a second: 5-10 s a refresh on 2 cores, BENCHMARKS.md). So on the
-- timescale tier the trade bars become real-time aggregates: buckets past a level's last
-- materialized one are computed from the level below (the 1-minute level from market.trades)
-- when read, and a follow's refresh materializes closed buckets only. A batch load's refresh
-- still materializes every bucket it touched, so history reads from the materialization.
-- The refresh remembers per level what it left open: trade_stale_ranges.level.
SET LOCAL client_min_messages = warning;
ALTER TABLE market.trade_stale_ranges ADD COLUMN level smallint
    CHECK (level BETWEEN 0 AND 3);
COMMENT ON COLUMN market.trade_stale_ranges.level IS 'NULL: every level of the trade bars is stale over the range (a load wrote it); 0-3: only that level (1-minute, 5-minute, hourly, daily), whose open bucket a live refresh left to real-time aggregation';
COMMENT ON TABLE market.trade_stale_ranges IS 'Trade time ranges loaded whose bar aggregates are not materialized yet (timescale tier; cleared by the refresh after a load, and by a follow''s refresh once their buckets close). The bars read them through real-time aggregation meanwhile';
DO $$
DECLARE
    v text;
BEGIN
    -- Without TimescaleDB the bars are plain views, always current.
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        RETURN;
    END IF;
    FOR v IN EXECUTE $q$SELECT view_name FROM timescaledb_information.continuous_aggregates
                       WHERE view_schema = 'market' AND view_name LIKE 'trade\_bars\_%\_rollup'$q$
    LOOP
        EXECUTE format('ALTER MATERIALIZED VIEW market.%I SET (timescaledb.materialized_only = false)', v);
    END LOOP;
END
$$;
