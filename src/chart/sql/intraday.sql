-- One symbol's bars of one exchange day (America/New_York) at its finest resolution that day,
-- in exchange time, with the VWAP of the day so far: sum((high + low + close) / 3 * volume) /
-- sum(volume), as market.*_bars define it. $1 symbol, $2 day.
WITH day_bars AS (
    SELECT *
    FROM market.intraday_bars
    WHERE symbol = $1
      AND ts >= ($2::date::timestamp AT TIME ZONE 'America/New_York')
      AND ts < (($2::date + 1)::timestamp AT TIME ZONE 'America/New_York')
), finest AS (
    SELECT min(resolution) AS resolution FROM day_bars
)
SELECT b.ts AT TIME ZONE 'America/New_York' AS exchange_time,
       b.resolution::text AS resolution,
       b.open, b.high, b.low, b.close, b.volume,
       sum((b.high + b.low + b.close) / 3 * b.volume) OVER w
           / nullif(sum(b.volume) OVER w, 0) AS vwap
FROM day_bars b JOIN finest f ON b.resolution = f.resolution
WINDOW w AS (ORDER BY b.ts)
ORDER BY b.ts;
