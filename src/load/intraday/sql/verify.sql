-- The sanity check after an upsert: bars staged, staged bars present in the table with
-- identical values, and the symbol's bars at that resolution in the table.
SELECT (SELECT count(*) FROM pg_temp.stockdb_intraday_staging) AS staged,
       (SELECT count(*)
        FROM pg_temp.stockdb_intraday_staging s
        JOIN market.intraday_bars b USING (symbol, resolution, ts)
        WHERE (b.open, b.high, b.low, b.close, b.volume) = (s.open, s.high, s.low, s.close, s.volume)) AS matching,
       (SELECT count(*)
        FROM market.intraday_bars b
        WHERE (b.symbol, b.resolution) = (SELECT symbol, resolution FROM pg_temp.stockdb_intraday_staging LIMIT 1)) AS in_table
