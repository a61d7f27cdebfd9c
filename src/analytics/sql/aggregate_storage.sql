-- The table holding a continuous aggregate's rows (its materialization hypertable).
-- $1: the aggregate's name in market_agg.
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)
FROM timescaledb_information.continuous_aggregates
WHERE view_schema = 'market_agg' AND view_name = $1
