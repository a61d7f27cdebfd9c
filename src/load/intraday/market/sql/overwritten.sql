-- Of the staged bars the merge will update, how many a file with another path wrote last; read
-- before the merge writes, in a statement of its own (see ../../sql/overwritten.sql). $1 the
-- file's path, $2 stored bars take the file's values, $3 and $4 its first and last bar.
SELECT count(*)
FROM pg_temp.stockdb_market_staging s
JOIN market.intraday_bars b ON b.symbol = s.symbol AND b.resolution = s.resolution AND b.ts = s.ts
                           AND b.ts BETWEEN $3 AND $4
JOIN market.load_runs r ON r.id = b.load_run_id
WHERE $2
  AND r.path <> $1
  AND (b.open, b.high, b.low, b.close, b.volume, COALESCE(s.transactions, b.transactions))
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume, b.transactions)
