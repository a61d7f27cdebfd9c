-- A symbol's first load: its rows go straight into the table (no staging, no INSERT ... SELECT).
-- Safe because the transaction holds the symbol's row lock (symbol_upsert.sql) and the symbol
-- has no rows yet, so no key can conflict; the sanity check reads the rows back (read_back.sql).
-- adj_close_median_30 comes computed by the loader (src/analytics/features.rs); when the file's
-- days are not in ascending order it is NULL here and computed in SQL before commit.
-- load_run_id: the market.load_runs id of this load, on every row (provenance).
COPY market.daily_prices (symbol, day, open, high, low, close, adj_close, volume, adj_close_median_30, load_run_id) FROM STDIN (FORMAT binary)
