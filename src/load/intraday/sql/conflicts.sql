-- Staged bars already stored with other values, before the merge: what --on-conflict keep
-- leaves as stored and --on-conflict error refuses. $1 symbol, $2 resolution. The first such
-- bar (`the bar at <UTC time>`), each of its values that differ as `name stored X, file Y`,
-- and how many such bars there are; no row when there are none.
SELECT format('the bar at %s UTC', to_char(s.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')),
       array_remove(ARRAY[
           CASE WHEN b.open <> s.open THEN format('open stored %s, file %s', b.open, s.open) END,
           CASE WHEN b.high <> s.high THEN format('high stored %s, file %s', b.high, s.high) END,
           CASE WHEN b.low <> s.low THEN format('low stored %s, file %s', b.low, s.low) END,
           CASE WHEN b.close <> s.close THEN format('close stored %s, file %s', b.close, s.close) END,
           CASE WHEN b.volume <> s.volume THEN format('volume stored %s, file %s', b.volume, s.volume) END
       ], NULL) AS differences,
       count(*) OVER () AS conflicts
FROM pg_temp.stockdb_intraday_staging s
JOIN market.intraday_bars b ON b.symbol = $1 AND b.resolution = $2 AND b.ts = s.ts
WHERE (b.open, b.high, b.low, b.close, b.volume)
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)
ORDER BY s.ts
LIMIT 1
