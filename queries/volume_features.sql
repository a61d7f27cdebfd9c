-- name: volume_features
-- description: Per day: volume, its 30-day mean, and the 30-day rolling median of the adjusted close (NULL until 30 days)
-- param: symbol text required - the symbol
-- param: from date optional - first day to show
-- param: to date optional - last day to show
SELECT m.day,
       m.volume,
       m.volume_sma_30 AS volume_mean_30,
       med.adj_close_median_30
FROM market.moving_averages m
CROSS JOIN LATERAL (
    SELECT CASE WHEN count(*) = 30
                THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY w.price) END AS adj_close_median_30
    FROM (SELECT coalesce(p.adj_close, p.close) AS price
          FROM market.daily_prices p
          WHERE p.symbol = m.symbol AND p.day <= m.day
          ORDER BY p.day DESC
          LIMIT 30) w
) med
WHERE m.symbol = $1
  AND ($2::date IS NULL OR m.day >= $2)
  AND ($3::date IS NULL OR m.day <= $3)
ORDER BY m.day;
