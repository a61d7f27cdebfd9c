-- Issue 13: `returns_distribution` over every symbol in about a second (8.4–10 s on 9.2M rows:
-- a window over every row, then a GROUP BY; a GROUP BY over one stored float column of every
-- row alone took 5.5–6 s). The loader counts each symbol's daily returns per calendar quarter in
-- buckets of the report's default width (0.01) as rows stream in, and recomputes a symbol in
-- SQL from the quarter of the first changed day after corrections; `stockdb refresh` recomputes
-- every symbol. The report reads these counts for the whole quarters of its range and computes
-- the partial quarters at its ends (and other widths) from the prices. The definition is
-- src/analytics/sql/returns_refresh.sql.
-- One row per symbol and quarter, its buckets in arrays: with a row per bucket (~490 per
-- symbol) a first load of 400 real-shaped files took ~30% longer than before V10 (index and
-- foreign-key upkeep); with ~56 rows per symbol, ~10% (V10 and V11 together).
CREATE TABLE market.daily_return_counts (
    symbol         text               NOT NULL REFERENCES market.symbols (symbol),
    quarter        date               NOT NULL,
    return_buckets double precision[] NOT NULL,
    days           integer[]          NOT NULL,
    PRIMARY KEY (symbol, quarter)
);
COMMENT ON TABLE market.daily_return_counts IS 'Per symbol and calendar quarter: trading days by daily simple return of the adjusted close (the close where there is none) in buckets 1 percentage point wide, kept by stockdb load; read it with unnest(return_buckets, days). After other tools write prices, run stockdb refresh';
COMMENT ON COLUMN market.daily_return_counts.symbol IS 'Ticker symbol';
COMMENT ON COLUMN market.daily_return_counts.quarter IS 'First day of the calendar quarter of the trading days';
COMMENT ON COLUMN market.daily_return_counts.return_buckets IS 'Buckets with days, ascending: bucket b holds returns from b * 0.01 up to (b + 1) * 0.01, b = floor(return / 0.01)';
COMMENT ON COLUMN market.daily_return_counts.days IS 'Trading days of the quarter in each bucket of return_buckets, same order (a day counts once its previous trading day has a price above 0)';

-- Prices loaded before this migration, with the definition.
INSERT INTO market.daily_return_counts (symbol, quarter, return_buckets, days)
SELECT symbol, quarter, array_agg(return_bucket ORDER BY return_bucket), array_agg(days ORDER BY return_bucket)
FROM (SELECT symbol, date_trunc('quarter', day::timestamp)::date AS quarter,
             floor((price / prev - 1) / 0.01::float8) AS return_bucket, count(*)::integer AS days
      FROM (SELECT symbol, day, coalesce(adj_close, close) AS price,
                   lag(coalesce(adj_close, close)) OVER (PARTITION BY symbol ORDER BY day) AS prev
            FROM market.daily_prices) AS priced
      WHERE prev > 0
      GROUP BY 1, 2, 3) AS buckets
GROUP BY symbol, quarter;
