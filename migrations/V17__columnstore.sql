-- Issue 24: TimescaleDB's columnstore on the time-series hypertables (timescale tier only: the
-- columnstore is community-licensed, so the apache and postgres tiers keep row storage, with the
-- same views and results). Each table is segmented by the columns a query names with `=` (a
-- symbol, its resolution or exchange) and ordered by its time key, so a symbol's rows are
-- stored together in time order: the figures behind the choice are in BENCHMARKS.md.
-- This migration only turns the columnstore on; stockdb converts the chunks after it
-- (src/db/columnstore.rs: after `migrate`, `load` and `refresh`), one chunk per transaction.
DO $$
BEGIN
    -- Nested: without TimescaleDB its settings and catalog do not exist.
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        IF current_setting('timescaledb.license', true) = 'timescale' THEN
            ALTER TABLE market.daily_prices SET (
                timescaledb.enable_columnstore,
                timescaledb.segmentby = 'symbol',
                timescaledb.orderby = 'day');
            ALTER TABLE market.intraday_bars SET (
                timescaledb.enable_columnstore,
                timescaledb.segmentby = 'symbol, resolution',
                timescaledb.orderby = 'ts');
            ALTER TABLE market.trades SET (
                timescaledb.enable_columnstore,
                timescaledb.segmentby = 'symbol, exchange, trade_dt',
                timescaledb.orderby = 'event_tm, event_seq_nb');
            ALTER TABLE market.quotes SET (
                timescaledb.enable_columnstore,
                timescaledb.segmentby = 'symbol, exchange, trade_dt',
                timescaledb.orderby = 'event_tm, event_seq_nb');
        END IF;
    END IF;
END
$$;
