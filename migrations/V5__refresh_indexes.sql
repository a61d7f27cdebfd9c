-- Timescale tier only (issue 9): indexes that let a refresh of a few buckets read only those
-- buckets' rows. Measured on a 9.2M-row tree, one monthly bucket took ~900 ms without them
-- (every chunk scanned) and ~80 ms with them; a corrected file, 23.7 s → about 7 s.
-- TimescaleDB turns `time_bucket(width, day) >= x` into a range on `day` (chunk exclusion)
-- only for fixed widths; for months, quarters and years it scans every chunk, so those
-- buckets get an index on the same time_bucket() expression the aggregate groups by.

DO $migration$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'market_agg') THEN
        RETURN;
    END IF;
    -- Weekly refreshes: the fixed-width bucket becomes a `day` range, which this index serves
    -- (also BI queries of the whole market on one day).
    CREATE INDEX daily_prices_day_idx ON market.daily_prices (day);
    -- Monthly refreshes read the daily rows by month.
    CREATE INDEX daily_prices_month_idx ON market.daily_prices (time_bucket('1 month'::interval, day));
    -- Quarterly and yearly refreshes read the monthly aggregate by quarter and by year.
    CREATE INDEX monthly_quarter_idx ON market_agg.monthly (time_bucket('3 months'::interval, bucket));
    CREATE INDEX monthly_year_idx ON market_agg.monthly (time_bucket('1 year'::interval, bucket));
    COMMENT ON INDEX market.daily_prices_day_idx IS 'Timescale tier: lets a refresh of a few weeks read only their days';
    COMMENT ON INDEX market.daily_prices_month_idx IS 'Timescale tier: lets a refresh of a few months read only their rows (no chunk exclusion for month-wide buckets)';
END
$migration$;
