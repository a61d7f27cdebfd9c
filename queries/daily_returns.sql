-- name: daily_returns
-- description: Simple and log return of each trading day on the adjusted close (the close when a file had none)
-- param: symbol text required - the symbol
-- param: from date optional - first day to show
-- param: to date optional - last day to show
WITH priced AS (
    SELECT day, coalesce(adj_close, close) AS price,
           lag(coalesce(adj_close, close)) OVER (ORDER BY day) AS prev
    FROM market.daily_prices
    WHERE symbol = $1
)
SELECT day,
       price,
       CASE WHEN prev > 0 THEN price / prev - 1 END AS simple_return,
       CASE WHEN prev > 0 AND price > 0 THEN ln(price / prev) END AS log_return
FROM priced
WHERE ($2::date IS NULL OR day >= $2)
  AND ($3::date IS NULL OR day <= $3)
ORDER BY day;
