-- Issue 13: `data_quality` over every symbol in milliseconds (13.8 s on 9.2M rows, a window
-- over every row). The loader counts each symbol's suspicious rows and gaps as the rows stream
-- in and keeps the counts here, in the file's transaction; it recounts a symbol in SQL after
-- writes it cannot count that way (corrections, days out of order), and `stockdb refresh`
-- recounts every symbol. The definition is src/analytics/sql/quality_recount.sql.
ALTER TABLE market.symbol_stats
    ADD COLUMN zero_volume bigint NOT NULL DEFAULT 0,
    ADD COLUMN price_not_positive bigint NOT NULL DEFAULT 0,
    ADD COLUMN open_close_outside_range bigint NOT NULL DEFAULT 0,
    ADD COLUMN high_below_low bigint NOT NULL DEFAULT 0,
    ADD COLUMN weekend_days bigint NOT NULL DEFAULT 0,
    ADD COLUMN gaps_over_5_weekdays bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN market.symbol_stats.zero_volume IS 'Rows with a volume of 0';
COMMENT ON COLUMN market.symbol_stats.price_not_positive IS 'Rows with a price <= 0';
COMMENT ON COLUMN market.symbol_stats.open_close_outside_range IS 'Rows whose open or close is outside [low, high]';
COMMENT ON COLUMN market.symbol_stats.high_below_low IS 'Rows whose high is below their low';
COMMENT ON COLUMN market.symbol_stats.weekend_days IS 'Rows dated on a Saturday or Sunday';
COMMENT ON COLUMN market.symbol_stats.gaps_over_5_weekdays IS 'Gaps between consecutive rows of more than a week holding more than 5 weekdays';

-- Prices loaded before this migration, counted with the definition.
WITH days AS (
    SELECT symbol, day, open, high, low, close, volume,
           lag(day) OVER (PARTITION BY symbol ORDER BY day) AS prev_day
    FROM market.daily_prices
),
counted AS (
    SELECT symbol,
           count(*) FILTER (WHERE volume = 0) AS zero_volume,
           count(*) FILTER (WHERE least(open, high, low, close) <= 0) AS price_not_positive,
           count(*) FILTER (WHERE high >= low AND (open NOT BETWEEN low AND high OR close NOT BETWEEN low AND high)) AS open_close_outside_range,
           count(*) FILTER (WHERE high < low) AS high_below_low,
           count(*) FILTER (WHERE extract(isodow FROM day) > 5) AS weekend_days,
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
WHERE s.symbol = c.symbol;
