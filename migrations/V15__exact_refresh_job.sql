-- Issue 24: an exact scheduled refresh for every writer (timescale tier). TimescaleDB's own
-- refresh policies are not forced, and 2.28 loses a month, quarter or year bucket when an
-- invalidation range ends on that bucket's first day (upstream #10296), and the levels built
-- on monthly inherit it. `stockdb refresh --schedule` schedules this procedure instead
-- (add_job). Each run finds what changed since the aggregates were last refreshed, whoever
-- wrote it, and force-refreshes exactly the buckets holding it, bottom up:
--   - the day ranges TimescaleDB logged for market.daily_prices (its hypertable invalidation
--     log) and the ranges still pending for each aggregate (their materialization logs),
--   - the days at or past the invalidation threshold (TimescaleDB logs nothing there),
--   - the ranges stockdb's own loads left pending (market.stale_ranges).
-- It holds stockdb's refresh lock (an advisory lock) exclusively; stockdb's own refreshes hold
-- it shared, so the two never overlap and never fail on each other (TimescaleDB refuses a
-- refresh whose window another refresh is materializing).
DO $migration$
BEGIN
    IF NOT (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
            AND current_setting('timescaledb.license', true) = 'timescale') THEN
        RETURN;
    END IF;
    EXECUTE $sql$
CREATE PROCEDURE market.refresh_changed(job_id integer DEFAULT NULL, config jsonb DEFAULT NULL)
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
    PERFORM pg_advisory_unlock(6704158923406787073);
END
$proc$ $sql$;
    COMMENT ON PROCEDURE market.refresh_changed(integer, jsonb) IS
        'stockdb''s scheduled refresh (stockdb refresh --schedule): force-refreshes exactly the buckets of market_agg.weekly, monthly, quarterly and yearly that hold days changed by any writer since the aggregates were last refreshed';
END
$migration$;
