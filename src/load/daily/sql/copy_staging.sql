COPY pg_temp.stockdb_staging (day, open, high, low, close, adj_close, volume) FROM STDIN (FORMAT binary)
