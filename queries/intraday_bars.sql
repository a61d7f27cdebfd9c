-- name: intraday_bars
-- description: Intraday bars of one symbol in exchange time (America/New_York), at one resolution: the finest it has unless -p resolution= names another
-- param: symbol text required
-- param: from date optional - first exchange day to show
-- param: to date optional - last exchange day to show
-- param: resolution text optional - e.g. '1 minute', '5 min', '15 minutes', '1 hour'
-- The bounds are immutable expressions of the parameters, so a symbol-day reads one chunk.
SELECT symbol,
       ts AT TIME ZONE 'America/New_York' AS exchange_time,
       resolution::text AS resolution,
       open, high, low, close, volume
FROM market.intraday_bars
WHERE symbol = $1
  AND resolution = coalesce($4::interval,
                            (SELECT min(resolution) FROM market.intraday_bars WHERE symbol = $1))
  AND ($2::date IS NULL OR ts >= ($2::date::timestamp AT TIME ZONE 'America/New_York'))
  AND ($3::date IS NULL OR ts < (($3::date + 1)::timestamp AT TIME ZONE 'America/New_York'))
ORDER BY ts;
