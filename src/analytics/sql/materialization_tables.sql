-- The tables holding the four continuous aggregates' rows (their materialization
-- hypertables), weekly first, but only where the columns are the ones
-- rematerialize_from_*.sql write: TimescaleDB's finalized form (2.7 and later) of the
-- aggregates in migrations/V3. Fewer than four rows: the loader refreshes instead.
SELECT ca.view_name::text,
       format('%I.%I', ca.materialization_hypertable_schema, ca.materialization_hypertable_name)
FROM timescaledb_information.continuous_aggregates AS ca
WHERE ca.view_schema = 'market_agg'
  AND ca.view_name IN ('weekly', 'monthly', 'quarterly', 'yearly')
  AND (SELECT array_agg(a.attname::text ORDER BY a.attnum)
       FROM pg_attribute AS a
       WHERE a.attrelid = format('%I.%I', ca.materialization_hypertable_schema,
                                 ca.materialization_hypertable_name)::regclass
         AND a.attnum > 0 AND NOT a.attisdropped)
      = ARRAY['symbol', 'bucket', 'trading_days', 'open', 'high', 'low', 'close', 'volume',
              'sum_high', 'sum_low', 'sum_close']
ORDER BY array_position(ARRAY['weekly', 'monthly', 'quarterly', 'yearly'], ca.view_name::text)
