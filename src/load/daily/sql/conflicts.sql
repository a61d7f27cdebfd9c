-- Staged days already stored with other values, before the merge: what --on-conflict keep
-- leaves as stored and --on-conflict error refuses. $1: symbol. $2: the file has an Adj Close
-- column (without one, adj_close is not compared). The first such day, each of its values that
-- differ as `Name stored X, file Y`, and how many such days there are; no row when none.
SELECT s.day::text,
       array_remove(ARRAY[
           CASE WHEN d.open IS DISTINCT FROM s.open THEN format('Open stored %s, file %s', d.open, s.open) END,
           CASE WHEN d.high IS DISTINCT FROM s.high THEN format('High stored %s, file %s', d.high, s.high) END,
           CASE WHEN d.low IS DISTINCT FROM s.low THEN format('Low stored %s, file %s', d.low, s.low) END,
           CASE WHEN d.close IS DISTINCT FROM s.close THEN format('Close stored %s, file %s', d.close, s.close) END,
           CASE WHEN $2 AND d.adj_close IS DISTINCT FROM s.adj_close
                THEN format('Adj Close stored %s, file %s', coalesce(d.adj_close::text, 'empty'),
                            coalesce(s.adj_close::text, 'empty')) END,
           CASE WHEN d.volume IS DISTINCT FROM s.volume THEN format('Volume stored %s, file %s', d.volume, s.volume) END
       ], NULL) AS differences,
       count(*) OVER () AS conflicts
FROM pg_temp.stockdb_staging s
JOIN market.daily_prices d ON d.symbol = $1 AND d.day = s.day
WHERE (d.open, d.high, d.low, d.close, CASE WHEN $2 THEN d.adj_close END, d.volume)
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, CASE WHEN $2 THEN s.adj_close END, s.volume)
ORDER BY s.day
LIMIT 1
