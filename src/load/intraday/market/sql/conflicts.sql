-- Staged bars already stored with other values, before the merge: what --on-conflict keep
-- leaves as stored and --on-conflict error refuses. $1 and $2: the file's first and last bar.
-- The first such bar, each of its values that differ, and how many there are; no row when none.
SELECT format('%s''s bar at %s UTC', s.symbol, to_char(s.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')),
       array_remove(ARRAY[
           CASE WHEN b.open <> s.open THEN format('open stored %s, file %s', b.open, s.open) END,
           CASE WHEN b.high <> s.high THEN format('high stored %s, file %s', b.high, s.high) END,
           CASE WHEN b.low <> s.low THEN format('low stored %s, file %s', b.low, s.low) END,
           CASE WHEN b.close <> s.close THEN format('close stored %s, file %s', b.close, s.close) END,
           CASE WHEN b.volume <> s.volume THEN format('volume stored %s, file %s', b.volume, s.volume) END,
           CASE WHEN b.transactions <> s.transactions
                THEN format('transactions stored %s, file %s', b.transactions, s.transactions) END
       ], NULL) AS differences,
       count(*) OVER () AS conflicts
FROM pg_temp.stockdb_market_staging s
JOIN market.intraday_bars b ON b.symbol = s.symbol AND b.resolution = s.resolution AND b.ts = s.ts
                           AND b.ts BETWEEN $1 AND $2
WHERE (b.open, b.high, b.low, b.close, b.volume, COALESCE(s.transactions, b.transactions))
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume, b.transactions)
ORDER BY s.ts, s.symbol
LIMIT 1
