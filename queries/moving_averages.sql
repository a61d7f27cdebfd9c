-- name: moving_averages
-- description: Close with its 20, 30 and 200 trading-day simple moving averages (NULL until the window is full)
-- param: symbol text required - the symbol
-- param: from date optional - first day to show (the averages still use the days before it)
-- param: to date optional - last day to show
SELECT day, close, sma_20, sma_30, sma_200
FROM market.moving_averages
WHERE symbol = $1
  AND ($2::date IS NULL OR day >= $2)
  AND ($3::date IS NULL OR day <= $3)
ORDER BY day;
