-- name: monthly_average
-- description: Average high, low and volume per month (the classic assessment), from market.monthly_prices
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first month to show (by its first day)
-- param: to date optional - last month to show (by its first day)
SELECT symbol,
       bucket AS month,
       trading_days,
       avg_high,
       avg_low,
       avg_volume
FROM market.monthly_prices
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR bucket >= $2)
  AND ($3::date IS NULL OR bucket <= $3)
ORDER BY symbol, bucket;
