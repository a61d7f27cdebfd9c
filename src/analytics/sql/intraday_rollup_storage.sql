-- The tables holding the intraday roll-ups' rows (their materialization hypertables), finest
-- first, as the catalog quotes them.
SELECT format('%I.%I', ca.materialization_hypertable_schema, ca.materialization_hypertable_name)
FROM timescaledb_information.continuous_aggregates AS ca
WHERE ca.view_schema = 'market'
  AND ca.view_name IN ('intraday_5min_rollup', 'intraday_15min_rollup', 'intraday_hourly_rollup',
                       'intraday_daily_rollup')
ORDER BY array_position(ARRAY['intraday_5min_rollup', 'intraday_15min_rollup',
                              'intraday_hourly_rollup', 'intraday_daily_rollup'],
                        ca.view_name::text)
