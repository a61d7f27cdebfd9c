-- name: monthly_average
-- description: Average high, low and volume per month (the classic assessment), from market.monthly_prices
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - show the months that overlap [from, to]: the month holding this day is the first
-- param: to date optional - the month holding this day is the last
SELECT symbol,
       bucket AS month,
       trading_days,
       avg_high,
       avg_low,
       avg_volume
FROM market.monthly_prices
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR bucket >= date_trunc('month', $2)::date)
  AND ($3::date IS NULL OR bucket <= $3)
ORDER BY symbol, bucket;
