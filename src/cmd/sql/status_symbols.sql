-- Rows and date range per symbol, largest first. $1: how many symbols to list.
SELECT p.symbol, s.asset_class, count(*) AS rows, min(p.day) AS first_day, max(p.day) AS last_day
FROM market.daily_prices p
LEFT JOIN market.symbols s USING (symbol)
GROUP BY p.symbol, s.asset_class
ORDER BY rows DESC, p.symbol
LIMIT $1
