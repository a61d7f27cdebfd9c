-- name: data_quality
-- description: Per symbol: suspicious rows (zero volume, price <= 0, open/close outside [low, high], high < low, weekend), gaps of more than 5 weekdays, and listed symbols without prices
-- param: symbol text optional - one symbol; every symbol when absent
-- The citus tier's form of queries/data_quality.sql, with the same rows. Citus runs no
-- correlated subquery from a reference table (market.symbols) into a distributed one: the
-- symbols with prices are listed once on the workers instead (a scan of each shard's primary
-- key, every worker at once) and joined on the coordinator.
SELECT symbol, rows, first_day, last_day, zero_volume, price_not_positive,
       open_close_outside_range, high_below_low, weekend_days, gaps_over_5_weekdays,
       '' AS note
FROM market.symbol_stats
WHERE ($1::text IS NULL OR symbol = $1)
UNION ALL
SELECT s.symbol, 0, NULL, NULL, 0, 0, 0, 0, 0, 0,
       CASE WHEN p.symbol IS NOT NULL
            THEN 'prices written by another tool, not counted: run stockdb refresh'
            ELSE 'listed, no prices'
       END
FROM market.symbols s
LEFT JOIN (SELECT symbol FROM market.daily_prices
           WHERE $1::text IS NULL OR symbol = $1 GROUP BY symbol) p ON p.symbol = s.symbol
WHERE ($1::text IS NULL OR s.symbol = $1)
  AND s.symbol NOT IN (SELECT symbol FROM market.symbol_stats)
ORDER BY symbol;
