-- One symbol's rows of the quarterly or yearly continuous aggregate, rewritten from its
-- monthly rows (already rewritten in this transaction) for the buckets holding the changed
-- days, with the aggregate's own definition (migrations/V3). {table} is its materialization
-- hypertable, {monthly} the monthly one.
-- $1 symbol, $2 changed days, $3 bucket width ('3 months' or '1 year').
WITH buckets AS (
    SELECT DISTINCT time_bucket($3::interval, d) AS bucket FROM unnest($2::date[]) AS d
), cleared AS (
    DELETE FROM {table} AS m USING buckets AS b WHERE m.symbol = $1 AND m.bucket = b.bucket
)
INSERT INTO {table} (symbol, bucket, trading_days, open, high, low, close, volume,
                     sum_high, sum_low, sum_close)
SELECT symbol, time_bucket($3::interval, bucket), sum(trading_days), first(open, bucket),
       max(high), min(low), last(close, bucket), sum(volume), sum(sum_high), sum(sum_low),
       sum(sum_close)
FROM {monthly}
WHERE symbol = $1
  AND bucket >= (SELECT min(bucket) FROM buckets)
  AND bucket < (SELECT max(bucket) FROM buckets) + $3::interval
  AND time_bucket($3::interval, bucket) IN (SELECT bucket FROM buckets)
GROUP BY symbol, time_bucket($3::interval, bucket)
