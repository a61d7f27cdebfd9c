-- The daily rows between two days (:'from' and :'to', literals: COPY takes no
-- parameters) in the binary layout of the values a vendor's day file gives
-- (daily::vendor::put_values): an unchanged re-load of the file sums their digests.
COPY (SELECT symbol, day, open, high, low, close, volume, transactions
      FROM market.daily_prices
      WHERE day >= :'from'::date
        AND day <= :'to'::date)
TO STDOUT (FORMAT binary)
