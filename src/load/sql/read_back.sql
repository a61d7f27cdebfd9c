-- The table side of the sanity check after a symbol's first load (which COPYs straight into
-- daily_prices): the symbol's rows, in the binary layout of the staging COPY, for the loader
-- to match with the file's. COPY takes no parameters: the symbol comes as a literal (db::copy::with_literals).
COPY (SELECT day, open, high, low, close, adj_close, volume
      FROM market.daily_prices
      WHERE symbol = :'symbol')
TO STDOUT (FORMAT binary)
