-- Issue 11: intraday bars (1-second to 1-hour OHLCV bars) and their roll-ups to 5 minutes,
-- 15 minutes, 1 hour and the exchange's calendar day, with VWAP.
--
-- Every level is stored per (symbol, source resolution, bucket), so a symbol's 1-minute and
-- 15-minute files never mix: the views market.intraday_5min … intraday_daily show, for each
-- symbol and bucket, the finest source resolution that has bars there. A bar coarser than a
-- level passes through the levels below it unchanged (a 15-minute bar is one row of the
-- 5-minute storage) and only shows from the level it fits. Each level is built on the one
-- below: 5 minutes on the bars, 15 minutes on 5 minutes, 1 hour on 15 minutes, the day on
-- the hour. Continuous aggregates on the timescale tier (refreshed over the changed range
-- after each load); tables written in each file's transaction elsewhere.
--
-- VWAP is sum(typical price x volume) / sum(volume) with typical price (high + low + close) / 3:
-- bar files carry no trades, so this is the usual approximation; NULL when the volume is 0.
-- The daily bucket is the calendar day in America/New_York (US exchanges).

CREATE TABLE market.intraday_bars (
    symbol     text             NOT NULL,
    resolution interval         NOT NULL CHECK (resolution > interval '0' AND resolution < interval '1 day'),
    ts         timestamptz      NOT NULL,
    open       double precision NOT NULL,
    high       double precision NOT NULL,
    low        double precision NOT NULL,
    close      double precision NOT NULL,
    volume     bigint           NOT NULL,
    PRIMARY KEY (symbol, resolution, ts)
);
COMMENT ON TABLE market.intraday_bars IS 'Intraday OHLCV bars as loaded, one row per symbol, source resolution and bar start time';
COMMENT ON COLUMN market.intraday_bars.symbol IS 'Ticker symbol (see market.symbols)';
COMMENT ON COLUMN market.intraday_bars.resolution IS 'Bar width of the source file (1 minute, 15 minutes, …), detected from its timestamps; bars of different resolutions never overwrite each other';
COMMENT ON COLUMN market.intraday_bars.ts IS 'Start of the bar (naive file times are exchange time, America/New_York unless --timezone; offsets in the file are honoured)';
COMMENT ON COLUMN market.intraday_bars.open IS 'First price of the bar';
COMMENT ON COLUMN market.intraday_bars.high IS 'Highest price of the bar';
COMMENT ON COLUMN market.intraday_bars.low IS 'Lowest price of the bar';
COMMENT ON COLUMN market.intraday_bars.close IS 'Last price of the bar';
COMMENT ON COLUMN market.intraday_bars.volume IS 'Shares traded during the bar (0 is normal for quiet minutes)';

CREATE TABLE market.intraday_stale_ranges (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    symbol    text        NOT NULL,
    from_ts   timestamptz NOT NULL,
    to_ts     timestamptz NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE market.intraday_stale_ranges IS 'Loaded bar ranges whose intraday continuous aggregates are not refreshed yet (timescale tier; cleared by the refresh after the load). Empty means the roll-ups are fresh';
COMMENT ON COLUMN market.intraday_stale_ranges.id IS 'Order of the loads';
COMMENT ON COLUMN market.intraday_stale_ranges.symbol IS 'Symbol whose bars changed';
COMMENT ON COLUMN market.intraday_stale_ranges.from_ts IS 'Start of the first changed bar';
COMMENT ON COLUMN market.intraday_stale_ranges.to_ts IS 'Start of the last changed bar';
COMMENT ON COLUMN market.intraday_stale_ranges.loaded_at IS 'When the load committed';

DO $migration$
DECLARE
    timescale boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb');
    continuous boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
                          AND current_setting('timescaledb.license', true) = 'timescale';
    p record;
BEGIN
    IF timescale THEN
        -- A week of minute bars of 500 symbols is ~1M rows: one chunk per week keeps a file of
        -- a few months in a dozen chunks and a symbol-day query in one.
        PERFORM create_hypertable('market.intraday_bars', 'ts',
                                  chunk_time_interval => INTERVAL '7 days',
                                  create_default_indexes => false);
    END IF;

    IF continuous THEN
        EXECUTE $sql$
            CREATE MATERIALIZED VIEW market.intraday_5min_rollup
            WITH (timescaledb.continuous, timescaledb.materialized_only = true,
                  timescaledb.create_group_indexes = false) AS
            SELECT symbol,
                   resolution AS source_resolution,
                   time_bucket(INTERVAL '5 minutes', ts) AS bucket,
                   first(open, ts) AS open,
                   max(high) AS high,
                   min(low) AS low,
                   last(close, ts) AS close,
                   sum(volume)::bigint AS volume,
                   sum((high + low + close) / 3 * volume) AS price_volume,
                   count(*) AS bars
            FROM market.intraday_bars
            GROUP BY symbol, resolution, time_bucket(INTERVAL '5 minutes', ts)
            WITH NO DATA $sql$;
        FOR p IN SELECT * FROM (VALUES
                ('intraday_15min_rollup', 'intraday_5min_rollup', 'INTERVAL ''15 minutes'', bucket'),
                ('intraday_hourly_rollup', 'intraday_15min_rollup', 'INTERVAL ''1 hour'', bucket'),
                ('intraday_daily_rollup', 'intraday_hourly_rollup', 'INTERVAL ''1 day'', bucket, ''America/New_York''')
            ) AS t(name, below, bucket_args)
        LOOP
            EXECUTE format($sql$
                CREATE MATERIALIZED VIEW market.%I
                WITH (timescaledb.continuous, timescaledb.materialized_only = true,
                      timescaledb.create_group_indexes = false) AS
                SELECT symbol,
                       source_resolution,
                       time_bucket(%s) AS bucket,
                       first(open, bucket) AS open,
                       max(high) AS high,
                       min(low) AS low,
                       last(close, bucket) AS close,
                       sum(volume)::bigint AS volume,
                       sum(price_volume) AS price_volume,
                       sum(bars)::bigint AS bars
                FROM market.%I
                GROUP BY symbol, source_resolution, time_bucket(%s)
                WITH NO DATA $sql$, p.name, p.bucket_args, p.below, p.bucket_args);
        END LOOP;
        -- One index, for the per-symbol reads of the views; TimescaleDB's group indexes (one
        -- per GROUP BY column) made each refresh insert into three. Chunks of the storage
        -- sized like the bars' (a week of 5-minute buckets of 500 symbols is ~200k rows), so
        -- a refresh's index inserts stay in memory: with 70-day chunks the 5-minute level of
        -- 10.6M bars took 92 s to refresh.
        FOR p IN SELECT * FROM (VALUES ('intraday_5min_rollup', '7 days'), ('intraday_15min_rollup', '14 days'),
                                       ('intraday_hourly_rollup', '56 days'), ('intraday_daily_rollup', '365 days'))
                          AS t(name, chunk)
        LOOP
            EXECUTE format('CREATE INDEX ON market.%I (symbol, bucket)', p.name);
            PERFORM set_chunk_time_interval(format('market.%I', p.name)::regclass, p.chunk::interval);
        END LOOP;
        -- Nor the storage's own index on the bucket alone: a refresh deletes by bucket range
        -- within week-sized chunks, and without it the 5-minute level of 10.6M bars
        -- refreshed in 30 s instead of 34 s.
        FOR p IN SELECT format('%I.%I', i.schemaname, i.indexname) AS idx
                 FROM _timescaledb_catalog.continuous_agg c
                 JOIN _timescaledb_catalog.hypertable h ON h.id = c.mat_hypertable_id
                 JOIN pg_indexes i ON i.schemaname = h.schema_name AND i.tablename = h.table_name
                 WHERE c.user_view_schema = 'market' AND c.user_view_name LIKE 'intraday\_%\_rollup'
                   AND i.indexdef NOT LIKE '%(symbol, bucket)%'
        LOOP
            EXECUTE 'DROP INDEX ' || p.idx;
        END LOOP;
    ELSE
        FOR p IN SELECT * FROM (VALUES ('intraday_5min_rollup'), ('intraday_15min_rollup'),
                                       ('intraday_hourly_rollup'), ('intraday_daily_rollup')) AS t(name)
        LOOP
            EXECUTE format($sql$
                CREATE TABLE market.%I (
                    symbol            text             NOT NULL,
                    source_resolution interval         NOT NULL,
                    bucket            timestamptz      NOT NULL,
                    open              double precision NOT NULL,
                    high              double precision NOT NULL,
                    low               double precision NOT NULL,
                    close             double precision NOT NULL,
                    volume            bigint           NOT NULL,
                    price_volume      double precision NOT NULL,
                    bars              bigint           NOT NULL,
                    PRIMARY KEY (symbol, bucket, source_resolution)
                ) $sql$, p.name);
        END LOOP;
    END IF;

    FOR p IN SELECT * FROM (VALUES
            ('intraday_5min_rollup', '5 minutes', '5-minute'),
            ('intraday_15min_rollup', '15 minutes', '15-minute'),
            ('intraday_hourly_rollup', '1 hour', 'hourly'),
            ('intraday_daily_rollup', '1 day', 'daily (America/New_York calendar day)')) AS t(name, width, label)
    LOOP
        EXECUTE format('COMMENT ON %s market.%I IS %L', CASE WHEN continuous THEN 'VIEW' ELSE 'TABLE' END, p.name,
            format('Storage of the %s intraday roll-up per symbol and source resolution (%s); query market.%s instead',
                   p.label, CASE WHEN continuous THEN 'continuous aggregate' ELSE 'written by stockdb load' END,
                   replace(p.name, '_rollup', '')));
        EXECUTE format('COMMENT ON COLUMN market.%I.symbol IS %L', p.name, 'Ticker symbol');
        EXECUTE format('COMMENT ON COLUMN market.%I.source_resolution IS %L', p.name, 'Resolution of the bars this row was built from');
        EXECUTE format('COMMENT ON COLUMN market.%I.bucket IS %L', p.name, format('Start of the %s bucket', p.width));
        EXECUTE format('COMMENT ON COLUMN market.%I.open IS %L', p.name, 'Open of the first bar in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.high IS %L', p.name, 'Highest high in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.low IS %L', p.name, 'Lowest low in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.close IS %L', p.name, 'Close of the last bar in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.volume IS %L', p.name, 'Sum of the bars'' volume');
        EXECUTE format('COMMENT ON COLUMN market.%I.price_volume IS %L', p.name, 'Sum of typical price ((high + low + close) / 3) times volume over the bars, for VWAP');
        EXECUTE format('COMMENT ON COLUMN market.%I.bars IS %L', p.name, 'Number of source bars in the bucket');
    END LOOP;
END
$migration$;

-- The public roll-ups: per symbol and bucket, the finest source resolution with bars there.
CREATE VIEW market.intraday_5min AS
SELECT DISTINCT ON (symbol, bucket)
       symbol, bucket, open, high, low, close, volume::bigint AS volume,
       price_volume / nullif(volume, 0)::double precision AS vwap, bars, source_resolution
FROM market.intraday_5min_rollup
WHERE source_resolution <= INTERVAL '5 minutes'
ORDER BY symbol, bucket, source_resolution;

CREATE VIEW market.intraday_15min AS
SELECT DISTINCT ON (symbol, bucket)
       symbol, bucket, open, high, low, close, volume::bigint AS volume,
       price_volume / nullif(volume, 0)::double precision AS vwap, bars, source_resolution
FROM market.intraday_15min_rollup
WHERE source_resolution <= INTERVAL '15 minutes'
ORDER BY symbol, bucket, source_resolution;

CREATE VIEW market.intraday_hourly AS
SELECT DISTINCT ON (symbol, bucket)
       symbol, bucket, open, high, low, close, volume::bigint AS volume,
       price_volume / nullif(volume, 0)::double precision AS vwap, bars, source_resolution
FROM market.intraday_hourly_rollup
WHERE source_resolution <= INTERVAL '1 hour'
ORDER BY symbol, bucket, source_resolution;

CREATE VIEW market.intraday_daily AS
SELECT DISTINCT ON (symbol, bucket)
       symbol, (bucket AT TIME ZONE 'America/New_York')::date AS bucket, open, high, low, close,
       volume::bigint AS volume, price_volume / nullif(volume, 0)::double precision AS vwap, bars,
       source_resolution
FROM market.intraday_daily_rollup
ORDER BY symbol, bucket, source_resolution;

DO $comments$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT * FROM (VALUES
            ('intraday_5min', '5-minute bars', 'Start of the 5-minute bucket'),
            ('intraday_15min', '15-minute bars', 'Start of the 15-minute bucket'),
            ('intraday_hourly', 'hourly bars (buckets start on the hour)', 'Start of the hour'),
            ('intraday_daily', 'daily bars from intraday data (all bars of the day, extended hours included)', 'Calendar day in America/New_York')) AS t(name, label, bucket)
    LOOP
        EXECUTE format('COMMENT ON VIEW market.%I IS %L', p.name,
            format('Intraday %s rolled up from market.intraday_bars, per symbol, from the finest source resolution that has bars in the bucket', p.label));
        EXECUTE format('COMMENT ON COLUMN market.%I.symbol IS %L', p.name, 'Ticker symbol');
        EXECUTE format('COMMENT ON COLUMN market.%I.bucket IS %L', p.name, p.bucket);
        EXECUTE format('COMMENT ON COLUMN market.%I.open IS %L', p.name, 'Open of the first bar in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.high IS %L', p.name, 'Highest high in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.low IS %L', p.name, 'Lowest low in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.close IS %L', p.name, 'Close of the last bar in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.volume IS %L', p.name, 'Shares traded in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.vwap IS %L', p.name, 'Volume-weighted average price: sum((high + low + close) / 3 * volume) / sum(volume) over the source bars; NULL when the volume is 0');
        EXECUTE format('COMMENT ON COLUMN market.%I.bars IS %L', p.name, 'Number of source bars in the bucket');
        EXECUTE format('COMMENT ON COLUMN market.%I.source_resolution IS %L', p.name, 'Resolution of the source bars used (the finest the symbol has in the bucket)');
    END LOOP;
END
$comments$;

-- Tables tiers: recompute one symbol's roll-ups (all symbols when NULL) over the whole
-- America/New_York days holding [p_from, p_to], each level from the one below. The timescale
-- tier has no tables to write and this does nothing there.
CREATE FUNCTION market.refresh_intraday_tables(p_symbol text, p_from timestamptz, p_to timestamptz)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    lo timestamptz := date_trunc('day', p_from AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York';
    hi timestamptz := (date_trunc('day', p_to AT TIME ZONE 'America/New_York') + INTERVAL '1 day') AT TIME ZONE 'America/New_York';
    p record;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'market' AND c.relname = 'intraday_5min_rollup' AND c.relkind = 'v') THEN
        RETURN;
    END IF;
    DELETE FROM market.intraday_5min_rollup
     WHERE (p_symbol IS NULL OR symbol = p_symbol) AND bucket >= lo AND bucket < hi;
    INSERT INTO market.intraday_5min_rollup
    SELECT symbol, resolution, date_bin(INTERVAL '5 minutes', ts, TIMESTAMPTZ '2000-01-03 00:00+00'),
           (array_agg(open ORDER BY ts))[1], max(high), min(low), (array_agg(close ORDER BY ts DESC))[1],
           sum(volume), sum((high + low + close) / 3 * volume), count(*)
    FROM market.intraday_bars
    WHERE (p_symbol IS NULL OR symbol = p_symbol) AND ts >= lo AND ts < hi
    GROUP BY 1, 2, 3;
    FOR p IN SELECT * FROM (VALUES ('intraday_15min_rollup', 'intraday_5min_rollup', '15 minutes'),
                                   ('intraday_hourly_rollup', 'intraday_15min_rollup', '1 hour'))
                      AS t(name, below, width)
    LOOP
        EXECUTE format('DELETE FROM market.%I WHERE ($1 IS NULL OR symbol = $1) AND bucket >= $2 AND bucket < $3', p.name)
            USING p_symbol, lo, hi;
        EXECUTE format($sql$
            INSERT INTO market.%I
            SELECT symbol, source_resolution, date_bin(%L::interval, bucket, TIMESTAMPTZ '2000-01-03 00:00+00'),
                   (array_agg(open ORDER BY bucket))[1], max(high), min(low),
                   (array_agg(close ORDER BY bucket DESC))[1], sum(volume), sum(price_volume), sum(bars)
            FROM market.%I
            WHERE ($1 IS NULL OR symbol = $1) AND bucket >= $2 AND bucket < $3
            GROUP BY 1, 2, 3 $sql$, p.name, p.width, p.below)
            USING p_symbol, lo, hi;
    END LOOP;
    DELETE FROM market.intraday_daily_rollup
     WHERE (p_symbol IS NULL OR symbol = p_symbol) AND bucket >= lo AND bucket < hi;
    INSERT INTO market.intraday_daily_rollup
    SELECT symbol, source_resolution,
           date_trunc('day', bucket AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York',
           (array_agg(open ORDER BY bucket))[1], max(high), min(low), (array_agg(close ORDER BY bucket DESC))[1],
           sum(volume), sum(price_volume), sum(bars)
    FROM market.intraday_hourly_rollup
    WHERE (p_symbol IS NULL OR symbol = p_symbol) AND bucket >= lo AND bucket < hi
    GROUP BY 1, 2, 3;
END
$fn$;
COMMENT ON FUNCTION market.refresh_intraday_tables(text, timestamptz, timestamptz) IS 'Recomputes the intraday roll-up tables of one symbol (all when NULL) over the America/New_York days holding the range (plain PostgreSQL and apache tiers)';
