-- Re-materializes one intraday roll-up ($1) over the America/New_York days holding [$2, $3]
-- (bar start times). Whole exchange days: every 5-minute, 15-minute and hourly bucket starts
-- inside one, and the day after the last is included so that a DST day's 23 or 25 hours
-- never leave the last day half outside the window. Forced and in one batch, as for the
-- daily periods (refresh_window.sql).
CALL refresh_continuous_aggregate($1::regclass,
    time_bucket(INTERVAL '1 day', $2::timestamptz, 'America/New_York'),
    time_bucket(INTERVAL '1 day', $3::timestamptz, 'America/New_York') + INTERVAL '2 days',
    force => true, options => '{"buckets_per_batch": 0}')
