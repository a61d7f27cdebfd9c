-- name: data_quality
-- description: Per symbol: suspicious rows (zero volume, price <= 0, open/close outside [low, high], high < low, weekend), gaps of more than 5 weekdays, and listed symbols without prices
-- param: symbol text optional - one symbol; every symbol when absent
-- The counts are kept by the loader in market.symbol_stats (defined in
-- src/analytics/sql/quality_recount.sql; `stockdb refresh` recounts them after other tools
-- write prices): counting them here took 13.8 s over 9.2M rows.
SELECT symbol, rows, first_day, last_day, zero_volume, price_not_positive,
       open_close_outside_range, high_below_low, weekend_days, gaps_over_5_weekdays,
       '' AS note
FROM market.symbol_stats
WHERE ($1::text IS NULL OR symbol = $1)
UNION ALL
SELECT s.symbol, 0, NULL, NULL, 0, 0, 0, 0, 0, 0,
       CASE WHEN EXISTS (SELECT 1 FROM market.daily_prices p WHERE p.symbol = s.symbol)
            THEN 'prices written by another tool, not counted: run stockdb refresh'
            ELSE 'listed, no prices'
       END
FROM market.symbols s
WHERE ($1::text IS NULL OR s.symbol = $1)
  AND NOT EXISTS (SELECT 1 FROM market.symbol_stats p WHERE p.symbol = s.symbol)
ORDER BY symbol;
