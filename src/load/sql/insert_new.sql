-- A symbol's first load: a plain insert, half the cost of the upsert in merge.sql. Safe
-- because the transaction already holds the symbol's row lock in market.symbols (see
-- symbol_upsert.sql), so no other stockdb load of this symbol runs meanwhile. $1: symbol.
INSERT INTO market.daily_prices (symbol, day, open, high, low, close, adj_close, volume)
SELECT $1, s.day, s.open, s.high, s.low, s.close, s.adj_close, s.volume
FROM pg_temp.stockdb_staging s
