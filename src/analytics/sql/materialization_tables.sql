-- The tables holding continuous aggregates' rows (their materialization hypertables), as the
-- catalog quotes them, in the order of the names given, but only where the columns are the
-- ones the caller writes: TimescaleDB's finalized form (2.7 and later) of the aggregates.
-- Fewer rows than names: the caller refreshes instead of writing them.
-- $1 view schema, $2 view names, $3 column names in order.
SELECT format('%I.%I', ca.materialization_hypertable_schema, ca.materialization_hypertable_name)
FROM timescaledb_information.continuous_aggregates AS ca
WHERE ca.view_schema = $1
  AND ca.view_name = ANY ($2::text[])
  AND (SELECT array_agg(a.attname::text ORDER BY a.attnum)
       FROM pg_attribute AS a
       WHERE a.attrelid = format('%I.%I', ca.materialization_hypertable_schema,
                                 ca.materialization_hypertable_name)::regclass
         AND a.attnum > 0 AND NOT a.attisdropped)
      = $3::text[]
ORDER BY array_position($2::text[], ca.view_name::text)
