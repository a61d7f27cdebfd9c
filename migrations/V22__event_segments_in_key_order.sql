-- Issue 25, timescale tier only: the event tables' columnstore segments are listed in the order
-- of their primary key (symbol, trade_dt, exchange, event_tm, event_seq_nb), so that the
-- conversion reads a chunk through the key instead of sorting it (stockdb sets
-- timescaledb.enable_compression_indexscan; TimescaleDB uses an index only when its leading
-- columns are the segment columns in their listed order, then the order columns). One trade
-- date of 1.13M events converted in 0.87-0.93 s instead of 3.1-3.4 s (BENCHMARKS.md). A segment
-- is the same set of values either way; the converted chunks' own index on the segment columns
-- now leads with (symbol, trade_dt), the filter of every per-day report. Chunks converted before
-- keep their order (TimescaleDB keeps settings per chunk) until they are converted again.
SET LOCAL client_min_messages = warning;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
       AND current_setting('timescaledb.license', true) = 'timescale' THEN
        ALTER TABLE market.trades SET (
            timescaledb.segmentby = 'symbol, trade_dt, exchange',
            timescaledb.orderby = 'event_tm, event_seq_nb');
        ALTER TABLE market.quotes SET (
            timescaledb.segmentby = 'symbol, trade_dt, exchange',
            timescaledb.orderby = 'event_tm, event_seq_nb');
    END IF;
END
$$;
