-- Issue 9: `volume_features` in milliseconds. Its 30-day rolling median of the adjusted close
-- has no window function in PostgreSQL, so the loader stores it beside each day's prices: it
-- computes the value as a new symbol's rows stream in (bit for bit the SQL definition in
-- src/analytics/sql/refresh_medians.sql), and recomputes it in SQL after re-loads from the
-- first changed day on. `stockdb refresh` recomputes it for rows written by other tools.
ALTER TABLE market.daily_prices ADD COLUMN adj_close_median_30 double precision;
COMMENT ON COLUMN market.daily_prices.adj_close_median_30 IS
    'Median of the adjusted close (the close where there is none) over the last 30 trading days, this one included; NULL before the 30th. Kept by stockdb load; after other tools write prices, run stockdb refresh';

-- Prices loaded before this migration: their medians, as the definition computes them.
UPDATE market.daily_prices AS d
SET adj_close_median_30 = m.median
FROM (
    SELECT symbol, day,
           CASE WHEN n = 30
                THEN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x)
                      FROM (SELECT unnest(last_30) AS x) AS v)
           END AS median
    FROM (SELECT symbol, day,
                 count(*) OVER w AS n,
                 array_agg(coalesce(adj_close, close)) OVER w AS last_30
          FROM market.daily_prices
          WINDOW w AS (PARTITION BY symbol ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)) AS w
) AS m
WHERE d.symbol = m.symbol AND d.day = m.day AND m.median IS NOT NULL;
