-- The trade counts of a vendor's day file ($1 symbols, $2 days, $3 counts) into the rows the
-- file's symbols just wrote. Only counts that differ are written; a stored count the file does
-- not give is left as it is.
UPDATE market.daily_prices AS p
SET transactions = f.n
FROM unnest($1::text[], $2::date[], $3::bigint[]) AS f(symbol, day, n)
WHERE p.symbol = f.symbol AND p.day = f.day
  AND p.transactions IS DISTINCT FROM f.n
