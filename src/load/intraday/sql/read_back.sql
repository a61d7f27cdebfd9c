-- A symbol's bars at one resolution, in the binary layout of the values the loader encodes
-- (copy::put_bar_values), so that a re-load sends only the bars that are new or differ.
-- The symbol and resolution come as literals: COPY takes no parameters.
COPY (SELECT ts, open, high, low, close, volume
      FROM market.intraday_bars
      WHERE symbol = :'symbol'
        AND resolution = :'resolution'::interval)
TO STDOUT (FORMAT binary)
