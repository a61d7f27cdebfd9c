-- Of the staged days that merge.sql will update, how many a file with another path wrote last.
-- Read before merge.sql writes, in a statement of its own: on TimescaleDB's columnstore a
-- statement that writes a hypertable and reads it too sees rows twice or not at all when its
-- write decompresses the batches it reads (BENCHMARKS.md, issue 24). The symbol's lock is held,
-- so no other load changes these rows in between. $1: symbol. $2: the file has an Adj Close
-- column (merge.sql's $2). $3: the file's path. $4: stored days take the file's values.
-- $5 and $6: the file's first and last day (constants: only those chunks and batches are read).
SELECT count(*)
FROM pg_temp.stockdb_staging s
JOIN market.daily_prices d ON d.symbol = $1 AND d.day = s.day AND d.day BETWEEN $5 AND $6
JOIN market.load_runs r ON r.id = d.load_run_id
WHERE $4
  AND r.path <> $3
  AND (d.open, d.high, d.low, d.close, CASE WHEN $2 THEN d.adj_close END, d.volume)
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, CASE WHEN $2 THEN s.adj_close END, s.volume)
