-- As read_back.sql, for a re-load of a file without an Adj Close column: adj_close reads as
-- NULL, as the file's rows encode it, so a row that differs only there counts unchanged (the
-- merge keeps the stored value; issue 23). The symbol comes as a literal.
COPY (SELECT day, open, high, low, close, NULL::double precision AS adj_close, volume
      FROM market.daily_prices
      WHERE symbol = :'symbol')
TO STDOUT (FORMAT binary)
