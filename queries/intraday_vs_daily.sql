-- name: intraday_vs_daily
-- description: Days whose last regular-session intraday close differs from market.daily_prices' close by more than a tolerance
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first day to compare
-- param: to date optional - last day to compare
-- param: tolerance float optional=0.005 - relative difference allowed (0.005 = 0.5%)
-- The last regular-session bar of a day is its last bar at or before 16:00 exchange time
-- (Alpha Vantage labels the 15:59-16:00 minute 16:00; yfinance 15:59), from the finest
-- resolution the symbol has that day. Days without both an intraday bar and a daily row are
-- not compared. An official close (the closing auction) often differs from the last trade
-- by a few cents, hence the tolerance.
WITH last_regular AS (
    SELECT DISTINCT ON (symbol, day) symbol, day, ts, resolution, close
    FROM (SELECT symbol, ts, resolution, close,
                 (ts AT TIME ZONE 'America/New_York')::date AS day,
                 (ts AT TIME ZONE 'America/New_York')::time AS at
          FROM market.intraday_bars
          WHERE ($1::text IS NULL OR symbol = $1)
            AND ($2::date IS NULL OR ts >= ($2::date::timestamp AT TIME ZONE 'America/New_York'))
            AND ($3::date IS NULL OR ts < (($3::date + 1)::timestamp AT TIME ZONE 'America/New_York'))) AS b
    WHERE at >= TIME '09:30' AND at <= TIME '16:00'
    ORDER BY symbol, day, resolution, ts DESC
)
SELECT l.symbol,
       l.day,
       l.close AS intraday_close,
       d.close AS daily_close,
       l.close - d.close AS difference,
       (l.close - d.close) / nullif(d.close, 0) AS relative_difference,
       (l.ts AT TIME ZONE 'America/New_York')::time::text AS last_bar,
       l.resolution::text AS resolution
FROM last_regular l
JOIN market.daily_prices d ON d.symbol = l.symbol AND d.day = l.day
WHERE abs(l.close - d.close) > $4 * abs(d.close)
ORDER BY l.symbol, l.day;
