-- Issue 13: `golden_cross` over every symbol in milliseconds (16.5–23 s on 9.2M rows: the
-- moving averages are windows over every row). The crosses are rare (a few per symbol-year),
-- so the loader stores them, not every day's averages: a table of 9.2M daily averages would
-- cost the load a second COPY's worth of writes. The loader finds the crosses as a new
-- symbol's rows stream in, continues from each symbol's running sums when days are appended,
-- and recomputes the symbol in SQL from the first changed day after corrections; `stockdb
-- refresh` recomputes every symbol. The definition is src/analytics/sql/crosses_refresh.sql,
-- which reads market.moving_averages.
CREATE TABLE market.moving_average_crosses (
    symbol    text             NOT NULL REFERENCES market.symbols (symbol),
    day       date             NOT NULL,
    direction text             NOT NULL CHECK (direction IN ('up', 'down')),
    close     double precision NOT NULL,
    sma_20    double precision NOT NULL,
    sma_200   double precision NOT NULL,
    PRIMARY KEY (symbol, day)
);
COMMENT ON TABLE market.moving_average_crosses IS 'Days where a symbol''s 20-day moving average crosses its 200-day one (market.moving_averages), kept by stockdb load; after other tools write prices, run stockdb refresh';
COMMENT ON COLUMN market.moving_average_crosses.symbol IS 'Ticker symbol';
COMMENT ON COLUMN market.moving_average_crosses.day IS 'Trading day of the cross';
COMMENT ON COLUMN market.moving_average_crosses.direction IS 'up: the 20-day average rose above the 200-day one (golden cross); down: fell below it (death cross)';
COMMENT ON COLUMN market.moving_average_crosses.close IS 'Closing price of the day';
COMMENT ON COLUMN market.moving_average_crosses.sma_20 IS '20 trading-day average close that day';
COMMENT ON COLUMN market.moving_average_crosses.sma_200 IS '200 trading-day average close that day';

-- The moving averages are running sums of the close differenced n rows back (V2), so
-- appended days continue from the sums of the symbol's last 201 rows (the 200-day average of
-- the day before the first new one reaches 200 rows further back).
ALTER TABLE market.symbol_stats ADD COLUMN close_running_sums double precision[];
COMMENT ON COLUMN market.symbol_stats.close_running_sums IS 'Running sums of the close over the symbol''s last 201 trading days, oldest first: where stockdb load continues the moving averages when days are appended';

-- Prices loaded before this migration, with the definition.
INSERT INTO market.moving_average_crosses (symbol, day, direction, close, sma_20, sma_200)
SELECT symbol, day, CASE WHEN diff > 0 THEN 'up' ELSE 'down' END, close, sma_20, sma_200
FROM (SELECT symbol, day, close, sma_20, sma_200,
             sma_20 - sma_200 AS diff,
             lag(sma_20 - sma_200) OVER (PARTITION BY symbol ORDER BY day) AS prev_diff
      FROM market.moving_averages) AS spread
WHERE (prev_diff <= 0 AND diff > 0) OR (prev_diff >= 0 AND diff < 0);

UPDATE market.symbol_stats AS s
SET close_running_sums = r.sums
FROM (SELECT symbol, array_agg(running ORDER BY day) AS sums
      FROM (SELECT symbol, day, running,
                   row_number() OVER (PARTITION BY symbol ORDER BY day DESC) AS back
            FROM (SELECT symbol, day,
                         sum(close) OVER (PARTITION BY symbol ORDER BY day ROWS UNBOUNDED PRECEDING) AS running
                  FROM market.daily_prices) AS running) AS numbered
      WHERE back <= 201
      GROUP BY symbol) AS r
WHERE s.symbol = r.symbol;
