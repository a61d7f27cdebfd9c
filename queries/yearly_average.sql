-- name: yearly_average
-- description: Average high, low and volume per year (the classic assessment), from market.yearly_prices
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first year to show (by its first day)
-- param: to date optional - last year to show (by its first day)
SELECT symbol,
       bucket AS year,
       trading_days,
       avg_high,
       avg_low,
       avg_volume
FROM market.yearly_prices
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR bucket >= $2)
  AND ($3::date IS NULL OR bucket <= $3)
ORDER BY symbol, bucket;
