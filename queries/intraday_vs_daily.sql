-- name: intraday_vs_daily
-- description: Days whose last regular-session intraday close differs from market.daily_prices' close by more than a tolerance
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first day to compare
-- param: to date optional - last day to compare
-- param: tolerance float optional=0.005 - relative difference allowed (0.005 = 0.5%)
-- The last regular-session bar of a day is its last bar from 09:30 to 16:00 exchange time
-- (Alpha Vantage labels the 15:59-16:00 minute 16:00; yfinance 15:59), at the finest
-- resolution the symbol has that day. Only days with both a daily row and intraday bars are
-- compared: they are found in market.intraday_daily (a row per symbol and day), and each
-- one's last bar is one index probe. An official close (the closing auction) often differs
-- from the last trade by a few cents, hence the tolerance.
SELECT i.symbol,
       i.bucket AS day,
       l.close AS intraday_close,
       d.close AS daily_close,
       l.close - d.close AS difference,
       (l.close - d.close) / nullif(d.close, 0) AS relative_difference,
       (l.ts AT TIME ZONE 'America/New_York')::time::text AS last_bar,
       i.source_resolution::text AS resolution
FROM market.intraday_daily i
JOIN market.daily_prices d ON d.symbol = i.symbol AND d.day = i.bucket
CROSS JOIN LATERAL (
    SELECT b.ts, b.close
    FROM market.intraday_bars b
    WHERE b.symbol = i.symbol
      AND b.resolution = i.source_resolution
      AND b.ts >= ((i.bucket + TIME '09:30') AT TIME ZONE 'America/New_York')
      AND b.ts <= ((i.bucket + TIME '16:00') AT TIME ZONE 'America/New_York')
    ORDER BY b.ts DESC
    LIMIT 1
) l
WHERE ($1::text IS NULL OR i.symbol = $1)
  AND ($2::date IS NULL OR i.bucket >= $2)
  AND ($3::date IS NULL OR i.bucket <= $3)
  AND abs(l.close - d.close) > $4 * abs(d.close)
ORDER BY i.symbol, i.bucket;
