-- A symbol's first load: its rows go straight into the table (no staging, no INSERT ... SELECT).
-- Safe because the transaction holds the symbol's row lock (symbol_upsert.sql) and the symbol
-- has no rows yet, so no key can conflict; the sanity check reads the rows back (read_back.sql).
COPY market.daily_prices (symbol, day, open, high, low, close, adj_close, volume) FROM STDIN (FORMAT binary)
