-- Re-materializes one intraday roll-up ($1) over [$2, $3), which stockdb aligns to
-- America/New_York midnights: every 5-minute, 15-minute, hourly and daily bucket lies wholly
-- inside or outside. Forced and in one batch, as for the daily periods (refresh_window.sql).
CALL refresh_continuous_aggregate($1::regclass, $2::timestamptz, $3::timestamptz,
    force => true, options => '{"buckets_per_batch": 0}')
