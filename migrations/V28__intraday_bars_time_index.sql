-- Issue 43: a day file of the whole market is checked and compared by time alone (all its
-- symbols' bars of one New York day: src/load/intraday/market/sql). On TimescaleDB the chunks
-- of that day are all that is read; a plain table has no such ranges, and each file read every
-- bar of the table (an unchanged re-load of a month of files took 112 s, 2.97x the COPY). A
-- BRIN index on the bar start costs next to nothing to keep and finds a day's pages when the
-- bars arrive day by day, as vendor files bring them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        CREATE INDEX intraday_bars_ts_brin ON market.intraday_bars USING brin (ts);
    END IF;
END
$$;
