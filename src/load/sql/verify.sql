-- The per-file sanity check (DESIGN.md §6), run inside the file's transaction after the merge:
-- how many rows were staged, how many of the file's (symbol, day) keys are in the table with
-- exactly the staged values, how many are there with other values (kept as stored under
-- --on-conflict keep; 0 otherwise), and how many rows the symbol has in all. $1: symbol.
-- $2: the file has an Adj Close column (without one, the stored adj_close was kept and is not
-- compared). $3 and $4: the file's first and last day; as constants they let TimescaleDB read
-- only the chunks and columnstore batches of those days (without them, a one-day append
-- decompressed the symbol's whole history).
WITH compared AS (
    SELECT (d.open, d.high, d.low, d.close, CASE WHEN $2 THEN d.adj_close END, d.volume)
           IS NOT DISTINCT FROM (s.open, s.high, s.low, s.close,
                                 CASE WHEN $2 THEN s.adj_close END, s.volume) AS same
    FROM pg_temp.stockdb_staging s
    JOIN market.daily_prices d ON d.symbol = $1 AND d.day = s.day AND d.day BETWEEN $3 AND $4
)
SELECT
    (SELECT count(*) FROM pg_temp.stockdb_staging) AS staged,
    (SELECT count(*) FILTER (WHERE same) FROM compared) AS matching,
    (SELECT count(*) FILTER (WHERE NOT same) FROM compared) AS differing,
    (SELECT count(*) FROM market.daily_prices WHERE symbol = $1) AS in_table
