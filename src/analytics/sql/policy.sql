-- The scheduled refresh of the aggregates: stockdb's job (market.refresh_changed, `stockdb
-- refresh --schedule`), else a TimescaleDB refresh policy of aggregate $1 (e.g. 'weekly') left
-- by an earlier stockdb; its schedule and the end of its last successful run (NULL until one
-- finished: TimescaleDB says '-infinity', which chrono cannot hold); no row when there is none.
SELECT j.schedule_interval::text AS schedule,
       CASE WHEN isfinite(s.last_successful_finish) THEN s.last_successful_finish END AS last_successful_finish
FROM timescaledb_information.jobs j
LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
WHERE (j.proc_schema = 'market' AND j.proc_name = 'refresh_changed')
   OR (j.proc_name = 'policy_refresh_continuous_aggregate'
       AND j.hypertable_schema = 'market_agg' AND j.hypertable_name = $1)
ORDER BY j.proc_name = 'refresh_changed' DESC
LIMIT 1
