-- Issue 24: on the timescale tier, market.daily_prices keeps only its primary key. The day and
-- month indexes (V5) let a refresh of a few weeks or months read only their rows from row
-- storage; since V17 stockdb converts every chunk to the columnstore before it refreshes,
-- where a day range is served by each batch's min/max of `day` and no index is read. Kept,
-- the two indexes made a first load write three indexes instead of one (2,642-file tree:
-- files 52-56 s against 33-37 s), and every query on the table open two more indexes per chunk
-- in a fresh connection (a one-symbol query: 0.4-1.0 ms more planning; BENCHMARKS.md).
-- A correction into converted chunks, a new day for every symbol and a ranged `stockdb refresh`
-- took as long without them. V5 made them on the timescale tier only: no other tier has them.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        IF current_setting('timescaledb.license', true) = 'timescale' THEN
            DROP INDEX IF EXISTS market.daily_prices_day_idx;
            DROP INDEX IF EXISTS market.daily_prices_month_idx;
        END IF;
    END IF;
END
$$;
