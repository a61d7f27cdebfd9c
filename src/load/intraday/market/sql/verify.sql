-- The sanity check after the merge of a market file: bars staged, staged bars in the table with
-- identical values (a stored trade count where the file has none counts as identical), staged
-- bars there with other values (kept under --on-conflict keep), and the table's bars at this
-- resolution between the file's first and last bar. $1 resolution, $2 and $3 first and last bar.
WITH compared AS (
    SELECT (b.open, b.high, b.low, b.close, b.volume, b.transactions)
           IS NOT DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume,
                                 COALESCE(s.transactions, b.transactions)) AS same
    FROM pg_temp.stockdb_market_staging s
    JOIN market.intraday_bars b ON b.symbol = s.symbol AND b.resolution = $1 AND b.ts = s.ts
                               AND b.ts BETWEEN $2 AND $3
)
SELECT (SELECT count(*) FROM pg_temp.stockdb_market_staging) AS staged,
       (SELECT count(*) FILTER (WHERE same) FROM compared) AS matching,
       (SELECT count(*) FILTER (WHERE NOT same) FROM compared) AS differing,
       (SELECT count(*) FROM market.intraday_bars WHERE resolution = $1 AND ts BETWEEN $2 AND $3) AS in_table
