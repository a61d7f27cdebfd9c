-- The definition of the quality counts in market.symbol_stats (what `stockdb report
-- data_quality` shows): per symbol in $1, its suspicious rows and its gaps, recounted from
-- market.daily_prices. The loader counts the same as rows stream in (src/analytics/features.rs)
-- and runs this after writes it cannot count that way; `stockdb refresh` runs it for all.
WITH days AS (
    SELECT symbol, day, open, high, low, close, volume,
           lag(day) OVER (PARTITION BY symbol ORDER BY day) AS prev_day
    FROM market.daily_prices
    WHERE symbol = ANY($1::text[])
),
counted AS (
    SELECT symbol,
           count(*) FILTER (WHERE volume = 0) AS zero_volume,
           count(*) FILTER (WHERE least(open, high, low, close) <= 0) AS price_not_positive,
           count(*) FILTER (WHERE high >= low AND (open NOT BETWEEN low AND high OR close NOT BETWEEN low AND high)) AS open_close_outside_range,
           count(*) FILTER (WHERE high < low) AS high_below_low,
           count(*) FILTER (WHERE extract(isodow FROM day) > 5) AS weekend_days,
           -- Weekdays strictly between two consecutive rows; only counted when the calendar
           -- gap is over a week.
           count(*) FILTER (WHERE day - prev_day > 7 AND
               (SELECT count(*) FROM generate_series(prev_day + 1, day - 1, interval '1 day') g
                WHERE extract(isodow FROM g) < 6) > 5) AS gaps_over_5_weekdays
    FROM days
    GROUP BY symbol
)
UPDATE market.symbol_stats AS s
SET zero_volume = c.zero_volume,
    price_not_positive = c.price_not_positive,
    open_close_outside_range = c.open_close_outside_range,
    high_below_low = c.high_below_low,
    weekend_days = c.weekend_days,
    gaps_over_5_weekdays = c.gaps_over_5_weekdays
FROM counted AS c
WHERE s.symbol = c.symbol
