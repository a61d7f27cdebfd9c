-- Bars a file gives more than once (the same symbol, resolution and start): each later line,
-- its first line, and whether it repeats the first whole (loaded once, a warning) or with other
-- values (a bad row). Both kinds are then deleted from the staging table.
WITH firsts AS (
    SELECT symbol, resolution, ts, min(line) AS first_line
    FROM pg_temp.stockdb_market_staging
    GROUP BY symbol, resolution, ts
    HAVING count(*) > 1
)
SELECT s.line, f.first_line, s.symbol,
       to_char(s.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' AS at,
       (s.open, s.high, s.low, s.close, s.volume, s.transactions)
           IS NOT DISTINCT FROM (o.open, o.high, o.low, o.close, o.volume, o.transactions) AS whole,
       concat_ws(',', s.symbol, s.ts, s.open, s.high, s.low, s.close, s.volume, s.transactions) AS text
FROM firsts f
JOIN pg_temp.stockdb_market_staging s USING (symbol, resolution, ts)
JOIN pg_temp.stockdb_market_staging o
  ON o.symbol = f.symbol AND o.resolution = f.resolution AND o.ts = f.ts AND o.line = f.first_line
WHERE s.line > f.first_line
ORDER BY s.line
