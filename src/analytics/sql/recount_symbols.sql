-- `stockdb refresh`: recount every symbol's rows and date range from the prices, so rows
-- written or deleted by other tools show in `stockdb status`.
WITH counted AS (
    SELECT symbol, count(*) AS rows, min(day) AS first_day, max(day) AS last_day
    FROM market.daily_prices GROUP BY symbol
), gone AS (
    DELETE FROM market.symbol_stats s WHERE NOT EXISTS (SELECT 1 FROM counted c WHERE c.symbol = s.symbol)
)
INSERT INTO market.symbol_stats AS s (symbol, rows, first_day, last_day, counted_at)
SELECT symbol, rows, first_day, last_day, now() FROM counted
ON CONFLICT (symbol) DO UPDATE
    SET rows = EXCLUDED.rows, first_day = EXCLUDED.first_day, last_day = EXCLUDED.last_day,
        counted_at = EXCLUDED.counted_at
