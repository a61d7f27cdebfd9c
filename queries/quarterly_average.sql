-- name: quarterly_average
-- description: Average high, low and volume per quarter (the classic assessment), from market.quarterly_prices
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - show the quarters that overlap [from, to]: the quarter holding this day is the first
-- param: to date optional - the quarter holding this day is the last
SELECT symbol,
       bucket AS quarter,
       trading_days,
       avg_high,
       avg_low,
       avg_volume
FROM market.quarterly_prices
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR bucket >= date_trunc('quarter', $2)::date)
  AND ($3::date IS NULL OR bucket <= $3)
ORDER BY symbol, bucket;
