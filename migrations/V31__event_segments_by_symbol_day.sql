-- Issue 44, timescale tier only: the event tables' columnstore segments become (symbol,
-- trade_dt), ordered by (exchange, event_tm, event_seq_nb) — still the order of their primary
-- key, so the conversion reads a chunk through it (V22). A full-market vendor day has 10,000
-- tickers on a dozen exchanges each, and segments of one exchange held a few trades of most
-- tickers: a 10M-trade Polygon day took 557 MB converted with the exchange among the segment
-- columns and 419 MB without it (BENCHMARKS.md). A report naming an exchange still reads one
-- symbol-day's segment and skips the other exchanges' batches by their min/max metadata.
-- Chunks converted before keep their segments until they are converted again.
SET LOCAL client_min_messages = warning;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
       AND current_setting('timescaledb.license', true) = 'timescale' THEN
        ALTER TABLE market.trades SET (
            timescaledb.segmentby = 'symbol, trade_dt',
            timescaledb.orderby = 'exchange, event_tm, event_seq_nb');
        ALTER TABLE market.quotes SET (
            timescaledb.segmentby = 'symbol, trade_dt',
            timescaledb.orderby = 'exchange, event_tm, event_seq_nb');
    END IF;
END
$$;
