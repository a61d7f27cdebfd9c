-- The tables holding the intraday roll-ups' rows (their materialization hypertables), finest
-- first, as the catalog quotes them, but only where the columns are the ones the loader
-- writes (analytics/intraday.rs, encode_rollup): TimescaleDB's finalized form of the
-- aggregates in migrations/V12. Fewer than four rows: the loader leaves them to the refresh.
SELECT format('%I.%I', ca.materialization_hypertable_schema, ca.materialization_hypertable_name)
FROM timescaledb_information.continuous_aggregates AS ca
WHERE ca.view_schema = 'market'
  AND ca.view_name IN ('intraday_5min_rollup', 'intraday_15min_rollup', 'intraday_hourly_rollup',
                       'intraday_daily_rollup')
  AND (SELECT array_agg(a.attname::text ORDER BY a.attnum)
       FROM pg_attribute AS a
       WHERE a.attrelid = format('%I.%I', ca.materialization_hypertable_schema,
                                 ca.materialization_hypertable_name)::regclass
         AND a.attnum > 0 AND NOT a.attisdropped)
      = ARRAY['symbol', 'source_resolution', 'bucket', 'open', 'high', 'low', 'close', 'volume',
              'price_volume', 'bars']
ORDER BY array_position(ARRAY['intraday_5min_rollup', 'intraday_15min_rollup',
                              'intraday_hourly_rollup', 'intraday_daily_rollup'],
                        ca.view_name::text)
