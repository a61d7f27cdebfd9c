-- name: vwap_daily
-- description: Daily bars and VWAP from intraday data, per exchange day (America/New_York), from market.intraday_daily
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first day to show
-- param: to date optional - last day to show
-- VWAP = sum((high + low + close) / 3 * volume) / sum(volume) over the day's source bars
-- (extended hours included when the file has them), from the finest resolution of the day.
SELECT symbol,
       bucket AS day,
       open, high, low, close, volume, vwap, bars,
       source_resolution::text AS resolution
FROM market.intraday_daily
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR bucket >= $2)
  AND ($3::date IS NULL OR bucket <= $3)
ORDER BY symbol, bucket;
