-- Staged bars already stored with other values, before the merge: what --on-conflict keep
-- leaves as stored and --on-conflict error refuses. $1 symbol, $2 resolution. The first such
-- bar with both sides' values, and how many there are; no row when there are none.
SELECT s.ts,
       b.open, b.high, b.low, b.close, b.volume,
       s.open, s.high, s.low, s.close, s.volume,
       count(*) OVER () AS conflicts
FROM pg_temp.stockdb_intraday_staging s
JOIN market.intraday_bars b ON b.symbol = $1 AND b.resolution = $2 AND b.ts = s.ts
WHERE (b.open, b.high, b.low, b.close, b.volume)
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)
ORDER BY s.ts
LIMIT 1
