-- One level of the intraday roll-ups' storage (timescale tier) for one New York day of bars at
-- one resolution, with the continuous aggregates' own definitions (migrations/V12), written in
-- the load's transaction after a file's bars were COPYed into a day that had none at that
-- resolution. {table} is the level's materialization hypertable, {source} what it is built on
-- (market.intraday_bars for the 5-minute level, the level below otherwise; the bars' columns
-- are named as the storage's by {bars}). $1 resolution, $2 and $3 the day [from, to), $4 the
-- bucket width, $5 the time zone of the bucket ('UTC' but for the day level).
WITH cleared AS (
    -- Rows of bars another writer deleted, not refreshed since.
    DELETE FROM {table} WHERE source_resolution = $1 AND bucket >= $2 AND bucket < $3
)
INSERT INTO {table} (symbol, source_resolution, bucket, open, high, low, close, volume,
                     price_volume, bars)
SELECT symbol, source_resolution, time_bucket($4::interval, bucket, $5::text), first(open, bucket),
       max(high), min(low), last(close, bucket), sum(volume)::bigint, sum(price_volume),
       sum(bars)::bigint
FROM {source}
WHERE source_resolution = $1 AND bucket >= $2 AND bucket < $3
GROUP BY symbol, source_resolution, time_bucket($4::interval, bucket, $5::text)
