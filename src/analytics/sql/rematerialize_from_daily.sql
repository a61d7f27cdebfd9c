-- One symbol's rows of the weekly or monthly continuous aggregate, rewritten from
-- market.daily_prices for the buckets holding the changed days, with the aggregate's own
-- definition (migrations/V3). {table} is its materialization hypertable.
-- $1 symbol, $2 changed days, $3 bucket width ('1 week' or '1 month').
WITH buckets AS (
    SELECT DISTINCT time_bucket($3::interval, d) AS bucket FROM unnest($2::date[]) AS d
), cleared AS (
    -- Runs to completion though nothing reads it; the INSERT adds new rows beside.
    DELETE FROM {table} AS m USING buckets AS b WHERE m.symbol = $1 AND m.bucket = b.bucket
)
INSERT INTO {table} (symbol, bucket, trading_days, open, high, low, close, volume,
                     sum_high, sum_low, sum_close)
SELECT symbol, time_bucket($3::interval, day), count(*), first(open, day), max(high), min(low),
       last(close, day), sum(volume), sum(high), sum(low), sum(close)
FROM market.daily_prices
WHERE symbol = $1
  AND day >= (SELECT min(bucket) FROM buckets)
  AND day < (SELECT max(bucket) FROM buckets) + $3::interval
  AND time_bucket($3::interval, day) IN (SELECT bucket FROM buckets)
GROUP BY symbol, time_bucket($3::interval, day)
