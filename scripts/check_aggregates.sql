-- Checks every column of the four period aggregates against a GROUP BY on market.daily_prices,
-- for every symbol (relative tolerance 1e-12 on the averages; issue 9). Any tier:
--   psql "$(stockdb db url)" -f scripts/check_aggregates.sql
-- Prints one row per aggregate: rows compared and mismatches (0 when exact).
WITH daily AS (
    SELECT p.name, d.symbol, date_trunc(p.unit, d.day)::date AS bucket,
           count(*) AS n, (array_agg(d.open ORDER BY d.day))[1] AS o, max(d.high) AS h,
           min(d.low) AS l, (array_agg(d.close ORDER BY d.day DESC))[1] AS c,
           sum(d.volume)::bigint AS v, avg(d.high) AS ah, avg(d.low) AS al, avg(d.close) AS ac,
           avg(d.volume)::float8 AS av
    FROM market.daily_prices d
    CROSS JOIN (VALUES ('weekly', 'week'), ('monthly', 'month'), ('quarterly', 'quarter'),
                       ('yearly', 'year')) AS p(name, unit)
    GROUP BY 1, 2, 3
),
stored AS (
    SELECT 'weekly' AS name, * FROM market.weekly_prices
    UNION ALL SELECT 'monthly', * FROM market.monthly_prices
    UNION ALL SELECT 'quarterly', * FROM market.quarterly_prices
    UNION ALL SELECT 'yearly', * FROM market.yearly_prices
)
SELECT coalesce(a.name, g.name) AS aggregate,
       count(*) AS rows_compared,
       count(*) FILTER (WHERE a.symbol IS NULL OR g.symbol IS NULL
           OR a.trading_days <> g.n OR a.open <> g.o OR a.high <> g.h OR a.low <> g.l
           OR a.close <> g.c OR a.volume <> g.v
           OR abs(a.avg_high - g.ah) > 1e-12 * greatest(abs(g.ah), 1)
           OR abs(a.avg_low - g.al) > 1e-12 * greatest(abs(g.al), 1)
           OR abs(a.avg_close - g.ac) > 1e-12 * greatest(abs(g.ac), 1)
           OR abs(a.avg_volume - g.av) > 1e-12 * greatest(abs(g.av), 1)) AS mismatches
FROM stored a
FULL JOIN daily g ON g.name = a.name AND g.symbol = a.symbol AND g.bucket = a.bucket
GROUP BY 1
ORDER BY min(CASE coalesce(a.name, g.name) WHEN 'weekly' THEN 1 WHEN 'monthly' THEN 2 WHEN 'quarterly' THEN 3 ELSE 4 END);
