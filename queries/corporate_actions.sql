-- name: corporate_actions
-- description: Dividends and splits, each with the close of the trading day before and the adjustment factor; where a file gave an Adj Close for that day, how far the computed one is from it
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first ex-date to show
-- param: to date optional - last ex-date to show
-- The adjusted close follows Yahoo's documented method (market.adjusted_prices, migrations/V14).
WITH prices AS (
    SELECT symbol, day, close, file_adj_close, computed_adj_close,
           lead(day) OVER (PARTITION BY symbol ORDER BY day) AS next_day
    FROM market.adjusted_prices
    WHERE symbol IN (SELECT symbol FROM market.corporate_actions WHERE $1::text IS NULL OR symbol = $1)
)
SELECT a.symbol,
       a.day,
       a.dividend,
       a.split_ratio,
       p.day AS prior_day,
       p.close AS prior_close,
       CASE WHEN a.dividend IS NOT NULL THEN 1 - a.dividend / p.close END AS dividend_factor,
       p.file_adj_close AS prior_file_adj_close,
       p.computed_adj_close AS prior_computed_adj_close,
       p.computed_adj_close - p.file_adj_close AS difference
FROM market.corporate_actions a
LEFT JOIN prices p
       ON p.symbol = a.symbol AND p.day < a.day AND (p.next_day IS NULL OR p.next_day >= a.day)
WHERE ($1::text IS NULL OR a.symbol = $1)
  AND ($2::date IS NULL OR a.day >= $2)
  AND ($3::date IS NULL OR a.day <= $3)
ORDER BY a.symbol, a.day;
