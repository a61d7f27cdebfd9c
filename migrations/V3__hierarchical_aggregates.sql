-- Timescale tier only (issue 9): hierarchical continuous aggregates that store sums and counts.
-- Weekly and monthly read market.daily_prices; quarterly and yearly are built on monthly, so a
-- refresh of them reads ~21x fewer rows. Every level keeps sum_* and trading_days, and the
-- averages are sum / count of the daily values, never an average of averages.
-- market.weekly_prices … yearly_prices stay, as views with the same columns, so reports and
-- dashboards do not change. On the other tiers the loader-written tables stay as they are.

DO $migration$
DECLARE
    p record;
BEGIN
    -- V2 made the aggregates continuous (a view to pg_class) only on the timescale tier.
    IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'market' AND c.relname = 'weekly_prices' AND c.relkind = 'v')
    THEN
        RETURN;
    END IF;
    EXECUTE 'CREATE SCHEMA market_agg';
    EXECUTE $c$COMMENT ON SCHEMA market_agg IS 'Storage of the period aggregates (TimescaleDB continuous aggregates of sums and counts); query the views market.weekly_prices … market.yearly_prices instead'$c$;
    FOR p IN SELECT * FROM (VALUES ('weekly'), ('monthly'), ('quarterly'), ('yearly')) AS t(name) LOOP
        EXECUTE format('DROP MATERIALIZED VIEW market.%I', p.name || '_prices');
    END LOOP;

    -- Real-time aggregation stays off: stockdb refreshes the changed buckets after each load,
    -- and `stockdb refresh --schedule` adds TimescaleDB policies for other writers.
    FOR p IN SELECT * FROM (VALUES ('weekly', '1 week'), ('monthly', '1 month')) AS t(name, width) LOOP
        EXECUTE format($sql$
            CREATE MATERIALIZED VIEW market_agg.%I
            WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
            SELECT symbol,
                   time_bucket(%L::interval, day) AS bucket,
                   count(*) AS trading_days,
                   first(open, day) AS open,
                   max(high) AS high,
                   min(low) AS low,
                   last(close, day) AS close,
                   sum(volume) AS volume,
                   sum(high) AS sum_high,
                   sum(low) AS sum_low,
                   sum(close) AS sum_close
            FROM market.daily_prices
            GROUP BY symbol, time_bucket(%L::interval, day)
            WITH NO DATA $sql$, p.name, p.width, p.width);
    END LOOP;
    FOR p IN SELECT * FROM (VALUES ('quarterly', '3 months'), ('yearly', '1 year')) AS t(name, width) LOOP
        EXECUTE format($sql$
            CREATE MATERIALIZED VIEW market_agg.%I
            WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
            SELECT symbol,
                   time_bucket(%L::interval, bucket) AS bucket,
                   sum(trading_days) AS trading_days,
                   first(open, bucket) AS open,
                   max(high) AS high,
                   min(low) AS low,
                   last(close, bucket) AS close,
                   sum(volume) AS volume,
                   sum(sum_high) AS sum_high,
                   sum(sum_low) AS sum_low,
                   sum(sum_close) AS sum_close
            FROM market_agg.monthly
            GROUP BY symbol, time_bucket(%L::interval, bucket)
            WITH NO DATA $sql$, p.name, p.width, p.width);
    END LOOP;

    FOR p IN SELECT * FROM (VALUES
            ('weekly', 'week (ISO, starting Monday)', 'week'),
            ('monthly', 'calendar month', 'month'),
            ('quarterly', 'calendar quarter', 'quarter'),
            ('yearly', 'calendar year', 'year')) AS t(name, label, unit)
    LOOP
        EXECUTE format('COMMENT ON VIEW market_agg.%I IS %L', p.name,
            format('Per symbol and %s: sums and counts behind market.%s_prices (continuous aggregate)', p.label, p.name));
        -- volume is numeric in the aggregate (sum of bigint); the view casts it back, and a
        -- total past bigint fails loudly there instead of wrapping.
        EXECUTE format($sql$
            CREATE VIEW market.%I AS
            SELECT symbol, bucket, trading_days, open, high, low, close,
                   volume::bigint AS volume,
                   sum_high / trading_days AS avg_high,
                   sum_low / trading_days AS avg_low,
                   sum_close / trading_days AS avg_close,
                   (volume / trading_days)::double precision AS avg_volume
            FROM (SELECT symbol, bucket, trading_days::bigint AS trading_days, open, high, low,
                         close, volume, sum_high, sum_low, sum_close
                  FROM market_agg.%I) a $sql$, p.name || '_prices', p.name);
        EXECUTE format('COMMENT ON VIEW market.%I IS %L', p.name || '_prices',
            format('One row per symbol and %s with trading days: first open, highest high, lowest low, last close, total volume and daily averages. Kept up to date by stockdb load', p.label));
        EXECUTE format('COMMENT ON COLUMN market.%I.symbol IS %L', p.name || '_prices', 'Ticker symbol');
        EXECUTE format('COMMENT ON COLUMN market.%I.bucket IS %L', p.name || '_prices', format('First day of the %s', p.label));
        EXECUTE format('COMMENT ON COLUMN market.%I.trading_days IS %L', p.name || '_prices', format('Days with a price in the %s', p.unit));
        EXECUTE format('COMMENT ON COLUMN market.%I.open IS %L', p.name || '_prices', format('Open of the first trading day of the %s', p.unit));
        EXECUTE format('COMMENT ON COLUMN market.%I.high IS %L', p.name || '_prices', format('Highest high of the %s', p.unit));
        EXECUTE format('COMMENT ON COLUMN market.%I.low IS %L', p.name || '_prices', format('Lowest low of the %s', p.unit));
        EXECUTE format('COMMENT ON COLUMN market.%I.close IS %L', p.name || '_prices', format('Close of the last trading day of the %s', p.unit));
        EXECUTE format('COMMENT ON COLUMN market.%I.volume IS %L', p.name || '_prices', format('Shares traded in the %s', p.unit));
        EXECUTE format('COMMENT ON COLUMN market.%I.avg_high IS %L', p.name || '_prices', 'Average of the daily highs');
        EXECUTE format('COMMENT ON COLUMN market.%I.avg_low IS %L', p.name || '_prices', 'Average of the daily lows');
        EXECUTE format('COMMENT ON COLUMN market.%I.avg_close IS %L', p.name || '_prices', 'Average of the daily closes');
        EXECUTE format('COMMENT ON COLUMN market.%I.avg_volume IS %L', p.name || '_prices', 'Average daily volume');
    END LOOP;

    -- Prices loaded before this migration are not in the new aggregates yet: mark them stale,
    -- so the next load or `stockdb refresh` brings them in, and status says so meanwhile.
    INSERT INTO market.stale_ranges (symbol, from_day, to_day)
    SELECT symbol, min(day), max(day) FROM market.daily_prices GROUP BY symbol;
END
$migration$;
