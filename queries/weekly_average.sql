-- name: weekly_average
-- description: Average high, low and volume per week starting Monday (the classic assessment), from market.weekly_prices
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - show the weeks that overlap [from, to]: the week holding this day is the first
-- param: to date optional - the week holding this day is the last
SELECT symbol,
       bucket AS week,
       trading_days,
       avg_high,
       avg_low,
       avg_volume
FROM market.weekly_prices
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR bucket >= date_trunc('week', $2)::date)
  AND ($3::date IS NULL OR bucket <= $3)
ORDER BY symbol, bucket;
