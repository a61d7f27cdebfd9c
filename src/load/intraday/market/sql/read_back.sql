-- Every bar at one resolution between two times, in the binary layout of the values the
-- loader digests (market::put_values): the sanity check of a COPY straight into the table and
-- the test of an unchanged re-load sum their digests. COPY takes no parameters: they come as
-- literals (db::copy::with_literals), from and to inclusive.
COPY (SELECT symbol, ts, open, high, low, close, volume, transactions
      FROM market.intraday_bars
      WHERE resolution = :'resolution'::interval
        AND ts >= :'from'::timestamptz
        AND ts <= :'to'::timestamptz)
TO STDOUT (FORMAT binary)
