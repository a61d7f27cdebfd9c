-- name: volume_features
-- description: Per day: volume, its 30-day mean, and the 30-day rolling median of the adjusted close (NULL until 30 days)
-- param: symbol text required - the symbol
-- param: from date optional - first day to show (the windows still use the days before it)
-- param: to date optional - last day to show
-- The median is stored by the loader (market.daily_prices.adj_close_median_30, defined in
-- src/analytics/sql/refresh_medians.sql): PostgreSQL has no windowed median, and sorting 30
-- values for every day took 240-280 ms on a 60-year symbol. The mean's window is O(1) a row.
SELECT day, volume, volume_mean_30, adj_close_median_30
FROM (
    SELECT day,
           volume,
           CASE WHEN count(*) OVER w = 30 THEN avg(volume) OVER w END::double precision AS volume_mean_30,
           adj_close_median_30
    FROM market.daily_prices
    WHERE symbol = $1
    WINDOW w AS (ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)
) s
WHERE ($2::date IS NULL OR day >= $2)
  AND ($3::date IS NULL OR day <= $3)
ORDER BY day;
