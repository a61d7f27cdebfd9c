-- Issue 24: the scheduled refresh (V15) covers every continuous aggregate, the intraday
-- roll-ups too. TimescaleDB 2.28's unforced refresh can skip the last bucket of a window
-- (upstream #10221, regressed in 2.28.0), fixed-width buckets included, so the intraday levels
-- are force-refreshed over exactly the New York days holding bars any writer changed, finest
-- level first (each reads the one below). Replaces market.refresh_changed in place: a job
-- scheduled with `stockdb refresh --schedule` keeps its id and starts doing both.
DO $migration$
BEGIN
    IF NOT (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
            AND current_setting('timescaledb.license', true) = 'timescale') THEN
        RETURN;
    END IF;
    EXECUTE $sql$
CREATE OR REPLACE PROCEDURE market.refresh_changed(job_id integer DEFAULT NULL, config jsonb DEFAULT NULL)
LANGUAGE plpgsql AS $proc$
DECLARE
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
BEGIN
    -- stockdb's refresh lock (src/analytics/mod.rs, REFRESH_LOCK), held to the end. The
    -- refreshes below commit on their own, so what they loop over is held in variables.
    PERFORM pg_advisory_lock(6704158923406787073);
    SELECT id INTO raw FROM _timescaledb_catalog.hypertable
    WHERE schema_name = 'market' AND table_name = 'daily_prices';
    SELECT min(day), max(day) INTO first_day, last_day FROM market.daily_prices;
    SELECT max(id) INTO pending FROM market.stale_ranges;
    first_us := (first_day - date '1970-01-01')::bigint * 86400000000;
    last_us := (last_day - date '1970-01-01')::bigint * 86400000000;
    IF raw IS NOT NULL AND first_day IS NOT NULL THEN
        -- Logged values are microseconds since 1970 (TimescaleDB's internal time of a date),
        -- clamped to the days loaded (open ends are the int64 extremes).
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
    SELECT h.id INTO raw_bars FROM _timescaledb_catalog.hypertable h
    WHERE h.schema_name = 'market' AND h.table_name = 'intraday_bars'
      AND EXISTS (SELECT 1 FROM _timescaledb_catalog.continuous_agg c WHERE c.raw_hypertable_id = h.id);
    SELECT min(ts), max(ts) INTO first_ts, last_ts FROM market.intraday_bars;
    SELECT max(id) INTO pending_bars FROM market.intraday_stale_ranges;
    IF raw_bars IS NOT NULL AND first_ts IS NOT NULL THEN
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
END
$proc$ $sql$;
    COMMENT ON PROCEDURE market.refresh_changed(integer, jsonb) IS
        'stockdb''s scheduled refresh (stockdb refresh --schedule): force-refreshes exactly the buckets of market_agg.weekly, monthly, quarterly and yearly, and of the intraday roll-ups, that hold days or bars changed by any writer since the aggregates were last refreshed';
END
$migration$;
