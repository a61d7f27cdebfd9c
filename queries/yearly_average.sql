-- name: yearly_average
-- description: Average high, low and volume per year (the classic assessment), from market.yearly_prices
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - show the years that overlap [from, to]: the year holding this day is the first
-- param: to date optional - the year holding this day is the last
SELECT symbol,
       bucket AS year,
       trading_days,
       avg_high,
       avg_low,
       avg_volume
FROM market.yearly_prices
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR bucket >= date_trunc('year', $2)::date)
  AND ($3::date IS NULL OR bucket <= $3)
ORDER BY symbol, bucket;
