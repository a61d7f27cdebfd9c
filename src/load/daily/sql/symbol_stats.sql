-- The symbol's row count (just counted by the sanity check) and date range after a load:
-- loads never delete, so the range only widens. $1 symbol, $2 rows, $3 first, $4 last day.
-- counted_at comes through EXCLUDED: Citus refuses now() in DO UPDATE SET.
INSERT INTO market.symbol_stats AS s (symbol, rows, first_day, last_day, counted_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (symbol) DO UPDATE
    SET rows = EXCLUDED.rows,
        first_day = least(s.first_day, EXCLUDED.first_day),
        last_day = greatest(s.last_day, EXCLUDED.last_day),
        counted_at = EXCLUDED.counted_at
