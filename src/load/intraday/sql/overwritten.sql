-- Of the staged bars that merge.sql will update, how many a file with another path wrote last.
-- Read before merge.sql writes, in a statement of its own: on TimescaleDB's columnstore a
-- statement that writes a hypertable and reads it too sees rows twice or not at all when its
-- write decompresses the batches it reads (BENCHMARKS.md, issue 24). The symbol's lock is held,
-- so no other load changes these bars in between. $1 symbol, $2 resolution, $3 the file's
-- path, $4 stored bars take the file's values (merge.sql's $1), $5 and $6 the file's first
-- and last bar (constants: only those chunks and batches are read).
SELECT count(*)
FROM pg_temp.stockdb_intraday_staging s
JOIN market.intraday_bars b ON b.symbol = $1 AND b.resolution = $2 AND b.ts = s.ts
                           AND b.ts BETWEEN $5 AND $6
JOIN market.load_runs r ON r.id = b.load_run_id
WHERE $4
  AND r.path <> $3
  AND (b.open, b.high, b.low, b.close, b.volume)
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume)
