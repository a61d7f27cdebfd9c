-- Issue 44: one-minute bars built from the trades, rolled up to 5 minutes, 1 hour and the New
-- York day like the intraday bars. Trades whose conditions say they must not set the last
-- price or the volume are left out of those, following the consolidated update rules the
-- vendors publish (docs/events.md lists the codes):
--   - market.trade_sets_price: the trade may set the open, high, low and close;
--   - market.trade_sets_volume: its size counts in the volume, the VWAP and the trade count.
-- A trade whose correction marks it as cancelled, erroneous or later corrected sets neither
-- (the corrected record, correction 12, does). Files with no conditions (Databento's venue
-- feeds, the exchange files of issue 12) set both.
--
-- On the timescale tier the levels are continuous aggregates, the 1-minute one on the trades
-- and each other on the one below, refreshed by stockdb (forced) over the days each load
-- changed (market.trade_stale_ranges); elsewhere they are views over the trades, computed
-- when read.

CREATE FUNCTION market.trade_sets_price(source text, conditions text[], correction smallint)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(correction, 0) IN (0, 12)
       AND NOT coalesce(conditions && CASE source
               -- Polygon's ids: average price, cash, derivatively priced, Form T, extended
               -- hours out of sequence, official close and open, next day, price variation,
               -- prior reference price, seller, sold out of sequence, odd lot, corrected
               -- close, contingent and qualified contingent trades.
               WHEN 'polygon' THEN '{2,7,10,12,13,15,16,20,21,22,29,32,33,37,38,52,53}'::text[]
               -- The CTA/UTP sale condition letters of the same rules.
               WHEN 'taq' THEN '{B,C,G,H,I,M,N,P,Q,R,T,U,V,W,Z,4,7,9}'::text[]
               ELSE '{}'::text[] END, false)
$$;
COMMENT ON FUNCTION market.trade_sets_price(text, text[], smallint) IS 'Whether a trade may set the open, high, low and last price of a bar, by its vendor''s consolidated update rules (docs/events.md)';

CREATE FUNCTION market.trade_sets_volume(source text, conditions text[], correction smallint)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(correction, 0) IN (0, 12)
       AND NOT coalesce(conditions && CASE source
               -- Official open and close prints and the corrected consolidated close repeat
               -- volume already counted.
               WHEN 'polygon' THEN '{15,16,38}'::text[]
               WHEN 'taq' THEN '{M,Q,9}'::text[]
               ELSE '{}'::text[] END, false)
$$;
COMMENT ON FUNCTION market.trade_sets_volume(text, text[], smallint) IS 'Whether a trade''s size counts in a bar''s volume, VWAP and trade count, by its vendor''s consolidated update rules (docs/events.md)';

CREATE TABLE market.trade_stale_ranges (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_ts   timestamptz NOT NULL,
    to_ts     timestamptz NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE market.trade_stale_ranges IS 'Trade time ranges loaded whose bar aggregates are not refreshed yet (timescale tier; cleared by the refresh after the load). Empty means the trade bars are fresh';
COMMENT ON COLUMN market.trade_stale_ranges.id IS 'Order of the loads';
COMMENT ON COLUMN market.trade_stale_ranges.from_ts IS 'Event time of the first trade the load wrote';
COMMENT ON COLUMN market.trade_stale_ranges.to_ts IS 'Event time of the last trade the load wrote';
COMMENT ON COLUMN market.trade_stale_ranges.loaded_at IS 'When the load committed';

DO $migration$
DECLARE
    continuous boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
                          AND current_setting('timescaledb.license', true) = 'timescale';
    p record;
    first_level text := $sql$
        SELECT symbol,
               time_bucket(INTERVAL '1 minute', event_tm) AS bucket,
               first(price, event_ns) FILTER (WHERE market.trade_sets_price(source, conditions, correction)) AS open,
               max(price) FILTER (WHERE market.trade_sets_price(source, conditions, correction)) AS high,
               min(price) FILTER (WHERE market.trade_sets_price(source, conditions, correction)) AS low,
               last(price, event_ns) FILTER (WHERE market.trade_sets_price(source, conditions, correction)) AS close,
               coalesce(sum(size) FILTER (WHERE market.trade_sets_volume(source, conditions, correction)), 0)::bigint AS volume,
               coalesce(sum(price * size) FILTER (WHERE market.trade_sets_volume(source, conditions, correction)), 0) AS price_volume,
               count(*) FILTER (WHERE market.trade_sets_volume(source, conditions, correction)) AS trades
        FROM market.trades
        GROUP BY symbol, time_bucket(INTERVAL '1 minute', event_tm) $sql$;
    -- A level over the one below: first and last by the bucket, sums of the sums.
    rollup text := $sql$
        SELECT symbol,
               time_bucket(%s) AS bucket,
               first(open, bucket) FILTER (WHERE open IS NOT NULL) AS open,
               max(high) AS high,
               min(low) AS low,
               last(close, bucket) FILTER (WHERE close IS NOT NULL) AS close,
               sum(volume)::bigint AS volume,
               sum(price_volume) AS price_volume,
               sum(trades)::bigint AS trades
        FROM market.%I
        GROUP BY symbol, time_bucket(%s) $sql$;
    -- The same without TimescaleDB's continuous aggregates: views, with PostgreSQL's date_bin
    -- (the same buckets as time_bucket below a day) and first/last as ordered arrays.
    plain_first text := $sql$
        SELECT symbol,
               date_bin(INTERVAL '1 minute', event_tm, TIMESTAMPTZ '2000-01-01 00:00+00') AS bucket,
               (array_agg(price ORDER BY event_ns) FILTER (WHERE market.trade_sets_price(source, conditions, correction)))[1] AS open,
               max(price) FILTER (WHERE market.trade_sets_price(source, conditions, correction)) AS high,
               min(price) FILTER (WHERE market.trade_sets_price(source, conditions, correction)) AS low,
               (array_agg(price ORDER BY event_ns DESC) FILTER (WHERE market.trade_sets_price(source, conditions, correction)))[1] AS close,
               coalesce(sum(size) FILTER (WHERE market.trade_sets_volume(source, conditions, correction)), 0)::bigint AS volume,
               coalesce(sum(price * size) FILTER (WHERE market.trade_sets_volume(source, conditions, correction)), 0) AS price_volume,
               count(*) FILTER (WHERE market.trade_sets_volume(source, conditions, correction)) AS trades
        FROM market.trades
        GROUP BY 1, 2 $sql$;
    plain_rollup text := $sql$
        SELECT symbol,
               %s AS bucket,
               (array_agg(open ORDER BY bucket) FILTER (WHERE open IS NOT NULL))[1] AS open,
               max(high) AS high,
               min(low) AS low,
               (array_agg(close ORDER BY bucket DESC) FILTER (WHERE close IS NOT NULL))[1] AS close,
               sum(volume)::bigint AS volume,
               sum(price_volume) AS price_volume,
               sum(trades)::bigint AS trades
        FROM market.%I
        GROUP BY 1, 2 $sql$;
BEGIN
    IF continuous THEN
        EXECUTE 'CREATE MATERIALIZED VIEW market.trade_bars_1min_rollup
                 WITH (timescaledb.continuous, timescaledb.materialized_only = true,
                       timescaledb.create_group_indexes = false) AS '
                || first_level || ' WITH NO DATA';
    ELSE
        EXECUTE 'CREATE VIEW market.trade_bars_1min_rollup AS ' || plain_first;
    END IF;
    FOR p IN SELECT * FROM (VALUES
            ('trade_bars_5min_rollup', 'trade_bars_1min_rollup', 'INTERVAL ''5 minutes'', bucket',
             'date_bin(INTERVAL ''5 minutes'', bucket, TIMESTAMPTZ ''2000-01-01 00:00+00'')'),
            ('trade_bars_hourly_rollup', 'trade_bars_5min_rollup', 'INTERVAL ''1 hour'', bucket',
             'date_bin(INTERVAL ''1 hour'', bucket, TIMESTAMPTZ ''2000-01-01 00:00+00'')'),
            ('trade_bars_daily_rollup', 'trade_bars_hourly_rollup', 'INTERVAL ''1 day'', bucket, ''America/New_York''',
             'date_trunc(''day'', bucket AT TIME ZONE ''America/New_York'') AT TIME ZONE ''America/New_York''')
        ) AS t(name, below, bucket_args, plain_bucket)
    LOOP
        IF continuous THEN
            EXECUTE format('CREATE MATERIALIZED VIEW market.%I
                            WITH (timescaledb.continuous, timescaledb.materialized_only = true,
                                  timescaledb.create_group_indexes = false) AS '
                           || rollup || ' WITH NO DATA', p.name, p.bucket_args, p.below, p.bucket_args);
        ELSE
            EXECUTE format('CREATE VIEW market.%I AS ' || plain_rollup, p.name, p.plain_bucket, p.below);
        END IF;
    END LOOP;
    IF continuous THEN
        FOR p IN SELECT * FROM (VALUES ('trade_bars_1min_rollup', '1 day'), ('trade_bars_5min_rollup', '7 days'),
                                       ('trade_bars_hourly_rollup', '56 days'), ('trade_bars_daily_rollup', '365 days'))
                          AS t(name, chunk)
        LOOP
            EXECUTE format('CREATE INDEX ON market.%I (symbol, bucket)', p.name);
            PERFORM set_chunk_time_interval(format('market.%I', p.name)::regclass, p.chunk::interval);
        END LOOP;
        -- Nor the storage's own index on the bucket alone, as for the intraday roll-ups (V12):
        -- a refresh deletes by bucket range within day-sized chunks. Found through
        -- timescaledb_information.
        FOR p IN SELECT format('%I.%I', i.schemaname, i.indexname) AS idx
                 FROM timescaledb_information.continuous_aggregates c
                 JOIN pg_indexes i ON i.schemaname = c.materialization_hypertable_schema
                                  AND i.tablename = c.materialization_hypertable_name
                 WHERE c.view_schema = 'market' AND c.view_name LIKE 'trade\_bars\_%\_rollup'
                   AND i.indexdef NOT LIKE '%(symbol, bucket)%'
        LOOP
            EXECUTE 'DROP INDEX ' || p.idx;
        END LOOP;
    END IF;
END
$migration$;

-- The views BI tools read: each level with its VWAP (NULL without volume).
DO $views$
DECLARE
    p record;
BEGIN
    -- The daily view's bucket is the exchange's calendar day (a date), as intraday_daily's.
    FOR p IN SELECT * FROM (VALUES ('trade_bars_1min', 'one minute', 'bucket'),
                                   ('trade_bars_5min', 'five minutes', 'bucket'),
                                   ('trade_bars_hourly', 'one hour', 'bucket'),
                                   ('trade_bars_daily', 'one New York day',
                                    '(bucket AT TIME ZONE ''America/New_York'')::date'))
                      AS t(name, width, bucket)
    LOOP
        EXECUTE format($sql$
            CREATE VIEW market.%I AS
            SELECT symbol, %s AS bucket, open, high, low, close, volume,
                   price_volume / nullif(volume, 0) AS vwap, trades
            FROM market.%I $sql$, p.name, p.bucket, p.name || '_rollup');
        EXECUTE format('COMMENT ON VIEW market.%I IS %L', p.name,
            format('Bars of %s built from market.trades (trades whose conditions may set the price or count in the volume: market.trade_sets_price / trade_sets_volume)', p.width));
        EXECUTE format('COMMENT ON COLUMN market.%I.symbol IS %L', p.name, 'Ticker symbol');
        EXECUTE format('COMMENT ON COLUMN market.%I.bucket IS %L', p.name,
            CASE WHEN p.name = 'trade_bars_daily' THEN 'Trade date (New York)' ELSE 'Start of the bar' END);
        EXECUTE format('COMMENT ON COLUMN market.%I.open IS %L', p.name, 'First price of a trade that may set it; NULL when no trade of the bar may');
        EXECUTE format('COMMENT ON COLUMN market.%I.high IS %L', p.name, 'Highest such price');
        EXECUTE format('COMMENT ON COLUMN market.%I.low IS %L', p.name, 'Lowest such price');
        EXECUTE format('COMMENT ON COLUMN market.%I.close IS %L', p.name, 'Last such price (by event_ns)');
        EXECUTE format('COMMENT ON COLUMN market.%I.volume IS %L', p.name, 'Shares of the trades that count in the volume');
        EXECUTE format('COMMENT ON COLUMN market.%I.vwap IS %L', p.name, 'Volume-weighted average price of those trades; NULL without volume');
        EXECUTE format('COMMENT ON COLUMN market.%I.trades IS %L', p.name, 'Number of those trades');
        EXECUTE format('COMMENT ON VIEW market.%I IS %L', p.name || '_rollup',
            format('Storage of market.%s (a continuous aggregate on the timescale tier, a view over the trades elsewhere)', p.name));
        EXECUTE format('COMMENT ON COLUMN market.%I.symbol IS %L', p.name || '_rollup', 'Ticker symbol');
        EXECUTE format('COMMENT ON COLUMN market.%I.bucket IS %L', p.name || '_rollup', 'Start of the bar');
        EXECUTE format('COMMENT ON COLUMN market.%I.open IS %L', p.name || '_rollup', 'First price of a trade that may set it');
        EXECUTE format('COMMENT ON COLUMN market.%I.high IS %L', p.name || '_rollup', 'Highest such price');
        EXECUTE format('COMMENT ON COLUMN market.%I.low IS %L', p.name || '_rollup', 'Lowest such price');
        EXECUTE format('COMMENT ON COLUMN market.%I.close IS %L', p.name || '_rollup', 'Last such price');
        EXECUTE format('COMMENT ON COLUMN market.%I.volume IS %L', p.name || '_rollup', 'Shares of the trades that count in the volume');
        EXECUTE format('COMMENT ON COLUMN market.%I.price_volume IS %L', p.name || '_rollup', 'Sum of price x size of those trades (the VWAP''s numerator)');
        EXECUTE format('COMMENT ON COLUMN market.%I.trades IS %L', p.name || '_rollup', 'Number of those trades');
    END LOOP;
END
$views$;
