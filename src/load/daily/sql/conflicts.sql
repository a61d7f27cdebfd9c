-- Staged days already stored with other values, before the merge: what --on-conflict keep
-- leaves as stored and --on-conflict error refuses. $1: symbol. $2: the file has an Adj Close
-- column (without one, adj_close is not compared). The first such day with both sides' values,
-- and how many there are; no row when there are none.
SELECT s.day,
       d.open, d.high, d.low, d.close, CASE WHEN $2 THEN d.adj_close END, d.volume,
       s.open, s.high, s.low, s.close, CASE WHEN $2 THEN s.adj_close END, s.volume,
       count(*) OVER () AS conflicts
FROM pg_temp.stockdb_staging s
JOIN market.daily_prices d ON d.symbol = $1 AND d.day = s.day
WHERE (d.open, d.high, d.low, d.close, CASE WHEN $2 THEN d.adj_close END, d.volume)
      IS DISTINCT FROM (s.open, s.high, s.low, s.close, CASE WHEN $2 THEN s.adj_close END, s.volume)
ORDER BY s.day
LIMIT 1
