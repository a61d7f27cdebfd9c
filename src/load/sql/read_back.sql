-- The table side of the sanity check after a symbol's first load (which COPYs straight into
-- daily_prices): the symbol's rows, in the binary layout of the staging COPY, for the loader
-- to match with the file's. The symbol is set with set_config: COPY takes no parameters.
COPY (SELECT day, open, high, low, close, adj_close, volume
      FROM market.daily_prices
      WHERE symbol = current_setting('stockdb.symbol'))
TO STDOUT (FORMAT binary)
