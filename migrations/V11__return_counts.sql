-- Issue 13: `returns_distribution` over every symbol in about a second (8.4–10 s on 9.2M rows:
-- a window over every row, then a GROUP BY; a GROUP BY over one stored float column of every
-- row alone took 5.5–6 s). The loader counts each symbol's daily returns per calendar quarter in
-- buckets of the report's default width (0.01) as rows stream in, and recomputes a symbol in
-- SQL from the quarter of the first changed day after corrections; `stockdb refresh` recomputes
-- every symbol. The report reads these counts for the whole quarters of its range and computes
-- the partial quarters at its ends (and other widths) from the prices. The definition is
-- src/analytics/sql/returns_refresh.sql.
CREATE TABLE market.daily_return_counts (
    symbol        text             NOT NULL REFERENCES market.symbols (symbol),
    quarter       date             NOT NULL,
    return_bucket double precision NOT NULL,
    days          integer          NOT NULL,
    PRIMARY KEY (symbol, quarter, return_bucket)
);
-- A range of quarters over every symbol (the report's from/to) reads only those quarters.
CREATE INDEX daily_return_counts_quarter_idx ON market.daily_return_counts (quarter);
COMMENT ON TABLE market.daily_return_counts IS 'Per symbol and calendar quarter: trading days by daily simple return of the adjusted close (the close where there is none) in buckets 1 percentage point wide, kept by stockdb load; after other tools write prices, run stockdb refresh';
COMMENT ON COLUMN market.daily_return_counts.symbol IS 'Ticker symbol';
COMMENT ON COLUMN market.daily_return_counts.quarter IS 'First day of the calendar quarter of the trading days';
COMMENT ON COLUMN market.daily_return_counts.return_bucket IS 'floor(return / 0.01): returns from return_bucket * 0.01 up to (return_bucket + 1) * 0.01';
COMMENT ON COLUMN market.daily_return_counts.days IS 'Trading days of the quarter whose return falls in the bucket (a day counts once its previous trading day has a price above 0)';

-- Prices loaded before this migration, with the definition.
INSERT INTO market.daily_return_counts (symbol, quarter, return_bucket, days)
SELECT symbol, date_trunc('quarter', day::timestamp)::date, floor((price / prev - 1) / 0.01::float8), count(*)
FROM (SELECT symbol, day, coalesce(adj_close, close) AS price,
             lag(coalesce(adj_close, close)) OVER (PARTITION BY symbol ORDER BY day) AS prev
      FROM market.daily_prices) AS priced
WHERE prev > 0
GROUP BY 1, 2, 3;
