-- Totals over all prices.
SELECT count(*) AS rows, count(DISTINCT symbol) AS symbols, min(day) AS first_day, max(day) AS last_day
FROM market.daily_prices
