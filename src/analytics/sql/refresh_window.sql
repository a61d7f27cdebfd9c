-- Re-materializes one continuous aggregate ($1) over [$2, $3): forced, because TimescaleDB
-- 2.28 can leave a month or quarter stale when its first day is a chunk's last invalidated
-- value (issue 9), and in one batch, because the default of 10 buckets per batch scans whole
-- chunks again for every batch over decades of history.
CALL refresh_continuous_aggregate($1::regclass, $2::date, $3::date, force => true,
                                  options => '{"buckets_per_batch": 0}')
