-- Issue 42: stockdb on every TimescaleDB release it meets (2.28 on PostgreSQL 15, 2.29 on 17).
-- stockdb uses TimescaleDB's public interface (timescaledb_information, its functions). Three
-- things have none, and are read from TimescaleDB's private schemas here and nowhere else
-- (src/db/private.rs is the Rust side):
--   - whether a converted chunk is partial (rows written since its conversion sit beside the
--     converted batches): `_timescaledb_functions.chunk_status`;
--   - the table that holds a chunk's columnstore, analyzed after a conversion;
--   - what other writers changed since the aggregates were refreshed: the invalidation logs
--     that `market.refresh_changed` reads (and migration V12 read the aggregates' catalog).
-- market.timescaledb_private_shapes() says which of them the server has in the shape the code
-- expects. Where one is not there, its user takes the public path with the same results:
--   - pending chunks: every converted chunk is handed to compress_chunk, which recompresses a
--     partial one and passes over a whole one;
--   - the columnstore's table: not analyzed by stockdb (autovacuum does it later);
--   - the scheduled refresh: forced over every day and bar loaded instead of the changed ones.
-- This migration also makes the scheduled refresh (`stockdb refresh --schedule`) convert what
-- other writers left outside the columnstore: a chunk left partial makes every symbol's newest
-- row decompress whole segments (`report latest` 0.2 s -> 3 s). TimescaleDB's own columnstore
-- policy converts only chunks older than an interval, and the daily prices' chunks span a
-- century (V25), so its policy would never take the chunk that holds today.
DO $migration$
BEGIN
    IF NOT (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
            AND current_setting('timescaledb.license', true) = 'timescale') THEN
        RETURN;
    END IF;

    EXECUTE $sql$
CREATE FUNCTION market.timescaledb_private_shapes()
RETURNS TABLE (shape text, present boolean, used_for text)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    bits_known boolean := false;
BEGIN
    IF to_regprocedure('_timescaledb_functions.chunk_status(regclass)') IS NOT NULL
       AND to_regprocedure('_timescaledb_functions.chunk_status_text(integer)') IS NOT NULL THEN
        -- The status bits stockdb reads: 1 converted, 8 partial.
        EXECUTE $q$SELECT _timescaledb_functions.chunk_status_text(9) @> ARRAY['COMPRESSED', 'PARTIAL']
                      AND NOT _timescaledb_functions.chunk_status_text(1) @> ARRAY['PARTIAL']$q$
            INTO bits_known;
    END IF;
    RETURN QUERY
    SELECT 'chunk_status'::text, coalesce(bits_known, false),
           'partial chunks: the conversion after load, refresh and the scheduled job; status'::text;
    RETURN QUERY
    SELECT e.shape, bool_and(EXISTS (
               SELECT 1 FROM pg_attribute a
               WHERE a.attrelid = to_regclass(e.relation)
                 AND a.attname = split_part(col, ':', 1)
                 AND format_type(a.atttypid, NULL) = split_part(col, ':', 2)
                 AND a.attnum > 0 AND NOT a.attisdropped)),
           max(e.used_for)
    FROM (VALUES
        ('compressed_chunk', '_timescaledb_catalog.compression_settings',
         '{relid:regclass,compress_relid:regclass}'::text[],
         'the columnstore table analyzed after a conversion'),
        ('invalidation_logs', '_timescaledb_catalog.hypertable',
         '{id:integer,schema_name:name,table_name:name}',
         'the scheduled refresh: what other writers changed (also read by migration V12)'),
        ('invalidation_logs', '_timescaledb_catalog.continuous_agg',
         '{mat_hypertable_id:integer,raw_hypertable_id:integer,user_view_schema:name,user_view_name:name}', ''),
        ('invalidation_logs', '_timescaledb_catalog.continuous_aggs_hypertable_invalidation_log',
         '{hypertable_id:integer,lowest_modified_value:bigint,greatest_modified_value:bigint}', ''),
        ('invalidation_logs', '_timescaledb_catalog.continuous_aggs_materialization_invalidation_log',
         '{materialization_id:integer,lowest_modified_value:bigint,greatest_modified_value:bigint}', ''),
        ('invalidation_logs', '_timescaledb_catalog.continuous_aggs_invalidation_threshold',
         '{hypertable_id:integer,watermark:bigint}', '')
    ) AS e (shape, relation, columns, used_for)
    CROSS JOIN LATERAL unnest(e.columns) AS col
    GROUP BY e.shape;
END
$fn$ $sql$;
    COMMENT ON FUNCTION market.timescaledb_private_shapes() IS
        'Which of TimescaleDB''s private interfaces that stockdb reads this server has in the shape stockdb expects; where one is absent stockdb takes the public path (migrations/V26)';

    EXECUTE $sql$
CREATE FUNCTION market.columnstore_pending(public_only boolean DEFAULT false)
RETURNS TABLE (chunk regclass, hypertable text, partial boolean)
LANGUAGE plpgsql STABLE AS $fn$
#variable_conflict use_column
BEGIN
    IF NOT public_only AND EXISTS (SELECT 1 FROM market.timescaledb_private_shapes() s
                                   WHERE s.shape = 'chunk_status' AND s.present) THEN
        RETURN QUERY
        SELECT x.c, x.ht::text, x.is_compressed
        FROM (SELECT format('%I.%I', ch.chunk_schema, ch.chunk_name)::regclass AS c,
                     ch.is_compressed, ch.hypertable_name AS ht, ch.range_start AS rs
              FROM timescaledb_information.chunks ch
              JOIN timescaledb_information.hypertables h USING (hypertable_schema, hypertable_name)
              WHERE ch.hypertable_schema = 'market' AND h.compression_enabled) x
        WHERE NOT x.is_compressed OR _timescaledb_functions.chunk_status(x.c) & 8 <> 0
        ORDER BY x.ht, x.rs;
    ELSE
        -- Public path: whether a converted chunk is partial is unknown (NULL); compress_chunk
        -- recompresses it if it is and passes over it if not.
        RETURN QUERY
        SELECT format('%I.%I', ch.chunk_schema, ch.chunk_name)::regclass, ch.hypertable_name::text,
               CASE WHEN ch.is_compressed THEN NULL ELSE false END
        FROM timescaledb_information.chunks ch
        JOIN timescaledb_information.hypertables h USING (hypertable_schema, hypertable_name)
        WHERE ch.hypertable_schema = 'market' AND h.compression_enabled
        ORDER BY ch.hypertable_name, ch.range_start;
    END IF;
END
$fn$ $sql$;
    COMMENT ON FUNCTION market.columnstore_pending(boolean) IS
        'The chunks of stockdb''s hypertables (hypertable: its table in market) not wholly in the columnstore, oldest first: never converted (partial false), or converted and written since (partial true); partial is NULL where the server does not say (public_only, or no chunk_status shape), and those chunks are listed too';

    -- The scheduled refresh of V15 and V16, with the shape check, its public fallback and the
    -- conversion of what other writers left outside the columnstore. Replaced in place: a job
    -- scheduled with `stockdb refresh --schedule` keeps its id. config {"public_only": true}
    -- takes the public paths even where the private shapes are there (the tests compare both).
    EXECUTE $sql$
CREATE OR REPLACE PROCEDURE market.refresh_changed(job_id integer DEFAULT NULL, config jsonb DEFAULT NULL)
LANGUAGE plpgsql AS $proc$
DECLARE
    public_only boolean := coalesce((config ->> 'public_only')::boolean, false);
    by_logs boolean;
    raw integer;
    first_day date;
    last_day date;
    first_us bigint;
    last_us bigint;
    pending bigint;
    changed daterange[];
    windows daterange[];
    window_ daterange;
    level text;
    raw_bars integer;
    first_ts timestamptz;
    last_ts timestamptz;
    first_bar_us bigint;
    last_bar_us bigint;
    pending_bars bigint;
    changed_bars tstzrange[];
    day_windows tstzrange[];
    day_window tstzrange;
    chunks regclass[];
    chunk_ regclass;
BEGIN
    SELECT NOT public_only AND coalesce(bool_and(s.present), false) INTO by_logs
    FROM market.timescaledb_private_shapes() s WHERE s.shape = 'invalidation_logs';
    IF NOT by_logs THEN
        RAISE LOG 'stockdb: refresh_changed refreshes every loaded day and bar (TimescaleDB''s invalidation logs are not in the shape stockdb reads)';
    END IF;
    -- stockdb's refresh lock (src/analytics/mod.rs, REFRESH_LOCK), held to the end of the
    -- refreshes. They commit on their own, so what they loop over is held in variables.
    PERFORM pg_advisory_lock(6704158923406787073);
    SELECT min(day), max(day) INTO first_day, last_day FROM market.daily_prices;
    SELECT max(id) INTO pending FROM market.stale_ranges;
    IF EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates
               WHERE view_schema = 'market_agg') AND first_day IS NOT NULL THEN
        IF by_logs THEN
            SELECT id INTO raw FROM _timescaledb_catalog.hypertable
            WHERE schema_name = 'market' AND table_name = 'daily_prices';
            first_us := (first_day - date '1970-01-01')::bigint * 86400000000;
            last_us := (last_day - date '1970-01-01')::bigint * 86400000000;
            -- Logged values are microseconds since 1970 (TimescaleDB's internal time of a
            -- date), clamped to the days loaded (open ends are the int64 extremes).
            SELECT array_agg(days) INTO changed
            FROM (
                SELECT daterange(date '1970-01-01' + floor(greatest(lo, first_us) / 86400000000.0)::int,
                                 date '1970-01-01' + floor(least(hi, last_us) / 86400000000.0)::int,
                                 '[]') AS days
                FROM (
                    SELECT lowest_modified_value AS lo, greatest_modified_value AS hi
                    FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log
                    WHERE hypertable_id = raw
                    UNION ALL
                    SELECT l.lowest_modified_value, l.greatest_modified_value
                    FROM _timescaledb_catalog.continuous_aggs_materialization_invalidation_log l
                    JOIN _timescaledb_catalog.continuous_agg c ON c.mat_hypertable_id = l.materialization_id
                    WHERE c.user_view_schema = 'market_agg' AND c.raw_hypertable_id = raw
                    UNION ALL
                    SELECT watermark, 9223372036854775807
                    FROM _timescaledb_catalog.continuous_aggs_invalidation_threshold
                    WHERE hypertable_id = raw
                ) logged
                WHERE greatest(lo, first_us) <= least(hi, last_us)
                UNION ALL
                SELECT daterange(from_day, to_day, '[]') FROM market.stale_ranges WHERE id <= pending
            ) ranges
            WHERE NOT isempty(days);
        ELSE
            changed := ARRAY[daterange(first_day, last_day, '[]')];
        END IF;
        -- Bottom up: weekly and monthly read the prices, quarterly and yearly read monthly.
        FOREACH level IN ARRAY ARRAY['week', 'month', 'quarter', 'year'] LOOP
            SELECT array_agg(w) INTO windows
            FROM unnest((SELECT range_agg(daterange(date_trunc(level, lower(d)::timestamp)::date,
                                                    (date_trunc(level, (upper(d) - 1)::timestamp)
                                                     + CASE level WHEN 'quarter' THEN interval '3 months'
                                                            ELSE ('1 ' || level)::interval END)::date))
                         FROM unnest(changed) d)) w;
            FOREACH window_ IN ARRAY coalesce(windows, '{}') LOOP
                CALL refresh_continuous_aggregate(
                    ('market_agg.' || CASE level WHEN 'week' THEN 'weekly' WHEN 'month' THEN 'monthly'
                                                 WHEN 'quarter' THEN 'quarterly' ELSE 'yearly' END)::regclass,
                    lower(window_), upper(window_),
                    force => true, options => '{"buckets_per_batch": 0}');
            END LOOP;
        END LOOP;
        DELETE FROM market.stale_ranges WHERE id <= pending;
    END IF;

    -- The intraday roll-ups (migrations/V12), the same way: what TimescaleDB logged for
    -- market.intraday_bars, the bars past its threshold and stockdb's pending ranges, widened
    -- to whole New York days (every 5-minute, 15-minute, hourly and daily bucket lies inside
    -- one), each window force-refreshed at every level, finest first.
    SELECT min(ts), max(ts) INTO first_ts, last_ts FROM market.intraday_bars;
    SELECT max(id) INTO pending_bars FROM market.intraday_stale_ranges;
    IF EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates
               WHERE view_schema = 'market' AND view_name LIKE 'intraday\_%\_rollup')
       AND first_ts IS NOT NULL THEN
        IF by_logs THEN
            SELECT h.id INTO raw_bars FROM _timescaledb_catalog.hypertable h
            WHERE h.schema_name = 'market' AND h.table_name = 'intraday_bars';
            -- Logged values of a timestamptz column are microseconds since 1970.
            first_bar_us := (extract(epoch FROM first_ts) * 1000000)::bigint;
            last_bar_us := (extract(epoch FROM last_ts) * 1000000)::bigint;
            SELECT array_agg(bars) INTO changed_bars
            FROM (
                SELECT tstzrange(timestamptz 'epoch' + greatest(lo, first_bar_us) * interval '1 microsecond',
                                 timestamptz 'epoch' + least(hi, last_bar_us) * interval '1 microsecond',
                                 '[]') AS bars
                FROM (
                    SELECT lowest_modified_value AS lo, greatest_modified_value AS hi
                    FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log
                    WHERE hypertable_id = raw_bars
                    UNION ALL
                    SELECT l.lowest_modified_value, l.greatest_modified_value
                    FROM _timescaledb_catalog.continuous_aggs_materialization_invalidation_log l
                    JOIN _timescaledb_catalog.continuous_agg c ON c.mat_hypertable_id = l.materialization_id
                    WHERE c.raw_hypertable_id = raw_bars
                    UNION ALL
                    SELECT watermark, 9223372036854775807
                    FROM _timescaledb_catalog.continuous_aggs_invalidation_threshold
                    WHERE hypertable_id = raw_bars
                ) logged
                WHERE greatest(lo, first_bar_us) <= least(hi, last_bar_us)
                UNION ALL
                SELECT tstzrange(from_ts, to_ts, '[]') FROM market.intraday_stale_ranges WHERE id <= pending_bars
            ) ranges
            WHERE NOT isempty(bars);
        ELSE
            changed_bars := ARRAY[tstzrange(first_ts, last_ts, '[]')];
        END IF;
        SELECT array_agg(w) INTO day_windows
        FROM unnest((SELECT range_agg(tstzrange(
                         date_trunc('day', lower(b) AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York',
                         (date_trunc('day', upper(b) AT TIME ZONE 'America/New_York') + interval '1 day')
                             AT TIME ZONE 'America/New_York'))
                     FROM unnest(changed_bars) b)) w;
        FOREACH day_window IN ARRAY coalesce(day_windows, '{}') LOOP
            FOREACH level IN ARRAY ARRAY['intraday_5min_rollup', 'intraday_15min_rollup',
                                         'intraday_hourly_rollup', 'intraday_daily_rollup'] LOOP
                CALL refresh_continuous_aggregate(('market.' || level)::regclass,
                    lower(day_window), upper(day_window),
                    force => true, options => '{"buckets_per_batch": 0}');
            END LOOP;
        END LOOP;
        DELETE FROM market.intraday_stale_ranges WHERE id <= pending_bars;
    END IF;
    PERFORM pg_advisory_unlock(6704158923406787073);

    -- What other writers left outside the columnstore, one chunk per transaction, under the
    -- conversion lock (src/db/columnstore.rs, CONVERSION_LOCK) that stockdb's writers hold
    -- shared: it waits for their files, and they for it.
    SELECT array_agg(p.chunk) INTO chunks FROM market.columnstore_pending(public_only) p;
    IF chunks IS NOT NULL THEN
        PERFORM pg_advisory_lock(104508326674434);
        FOREACH chunk_ IN ARRAY chunks LOOP
            PERFORM set_config('client_min_messages', 'error', true);
            PERFORM set_config('timescaledb.enable_compression_indexscan', 'on', true);
            PERFORM compress_chunk(chunk_, if_not_compressed => true);
            COMMIT;
        END LOOP;
        PERFORM pg_advisory_unlock(104508326674434);
    END IF;
END
$proc$ $sql$;
    COMMENT ON PROCEDURE market.refresh_changed(integer, jsonb) IS
        'stockdb''s scheduled refresh (stockdb refresh --schedule): force-refreshes exactly the buckets of market_agg.weekly, monthly, quarterly and yearly, and of the intraday roll-ups, that hold days or bars changed by any writer since the aggregates were last refreshed, then converts the chunks other writers left outside the columnstore';
END
$migration$;
