-- The sanity check after an upsert ($1 symbol, $2 resolution): bars staged, staged bars present
-- in the table with identical values, staged bars present with other values (kept as stored
-- under --on-conflict keep; 0 otherwise), and the symbol's bars at that resolution in the table.
-- $3 and $4: the file's first and last bar, so that only their chunks and columnstore batches
-- are read (without them every stored bar of the symbol was decompressed to find a day's).
-- The symbol and resolution are parameters, not read from the staging table, so that the
-- planner reaches the table through its primary key (on a hypertable, a subquery there made
-- it scan every chunk: 3-7 s a file).
WITH compared AS (
    SELECT (b.open, b.high, b.low, b.close, b.volume) = (s.open, s.high, s.low, s.close, s.volume) AS same
    FROM pg_temp.stockdb_intraday_staging s
    JOIN market.intraday_bars b ON b.symbol = $1 AND b.resolution = $2 AND b.ts = s.ts
                             AND b.ts BETWEEN $3 AND $4
)
SELECT (SELECT count(*) FROM pg_temp.stockdb_intraday_staging) AS staged,
       (SELECT count(*) FILTER (WHERE same) FROM compared) AS matching,
       (SELECT count(*) FILTER (WHERE NOT same) FROM compared) AS differing,
       (SELECT count(*) FROM market.intraday_bars WHERE symbol = $1 AND resolution = $2) AS in_table
