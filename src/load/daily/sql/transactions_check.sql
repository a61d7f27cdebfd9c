-- The check of transactions_store.sql: how many of the file's counts are stored as it gives them.
SELECT count(*)
FROM unnest($1::text[], $2::date[], $3::bigint[]) AS f(symbol, day, n)
JOIN market.daily_prices p ON p.symbol = f.symbol AND p.day = f.day AND p.transactions = f.n
