-- name: data_quality
-- description: Per symbol: suspicious rows (zero volume, price <= 0, open/close outside [low, high], high < low, weekend), gaps of more than 5 weekdays, and listed symbols without prices
-- param: symbol text optional - one symbol; every symbol when absent
WITH days AS (
    SELECT symbol, day, open, high, low, close, volume,
           lag(day) OVER (PARTITION BY symbol ORDER BY day) AS prev_day
    FROM market.daily_prices
    WHERE ($1::text IS NULL OR symbol = $1)
),
per_symbol AS (
    SELECT symbol,
           count(*) AS rows,
           min(day) AS first_day,
           max(day) AS last_day,
           count(*) FILTER (WHERE volume = 0) AS zero_volume,
           count(*) FILTER (WHERE least(open, high, low, close) <= 0) AS price_not_positive,
           count(*) FILTER (WHERE high >= low AND (open NOT BETWEEN low AND high OR close NOT BETWEEN low AND high)) AS open_close_outside_range,
           count(*) FILTER (WHERE high < low) AS high_below_low,
           count(*) FILTER (WHERE extract(isodow FROM day) > 5) AS weekend_days,
           -- Weekdays strictly between two consecutive rows; only counted when the calendar gap is over a week.
           count(*) FILTER (WHERE day - prev_day > 7 AND
               (SELECT count(*) FROM generate_series(prev_day + 1, day - 1, interval '1 day') g
                WHERE extract(isodow FROM g) < 6) > 5) AS gaps_over_5_weekdays
    FROM days
    GROUP BY symbol
)
SELECT symbol, rows, first_day, last_day, zero_volume, price_not_positive,
       open_close_outside_range, high_below_low, weekend_days, gaps_over_5_weekdays,
       '' AS note
FROM per_symbol
UNION ALL
SELECT s.symbol, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 'listed, no prices'
FROM market.symbols s
WHERE ($1::text IS NULL OR s.symbol = $1)
  AND NOT EXISTS (SELECT 1 FROM market.daily_prices p WHERE p.symbol = s.symbol)
ORDER BY symbol;
