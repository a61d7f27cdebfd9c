-- name: golden_cross
-- description: Days where the 20-day moving average crosses the 200-day one (up: golden cross, down: death cross)
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first day to show
-- param: to date optional - last day to show
-- The crosses are kept by stockdb load (market.moving_average_crosses, migrations/V10), equal
-- to the crosses of market.moving_averages; after other tools write prices, run stockdb refresh.
SELECT symbol, day, direction, close, sma_20, sma_200
FROM market.moving_average_crosses
WHERE ($1::text IS NULL OR symbol = $1)
  AND ($2::date IS NULL OR day >= $2)
  AND ($3::date IS NULL OR day <= $3)
ORDER BY symbol, day;
