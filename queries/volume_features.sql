-- name: volume_features
-- description: Per day: volume, its 30-day mean, and the 30-day rolling median of the adjusted close (NULL until 30 days)
-- param: symbol text required - the symbol
-- param: from date optional - first day to show (the windows still use the days before it)
-- param: to date optional - last day to show
SELECT day,
       volume,
       volume_mean_30,
       CASE WHEN cardinality(last_30) = 30
            -- unnest in the select list streams; FROM unnest(...) would fill a tuplestore
            -- for every day (a third of the query's time).
            THEN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM (SELECT unnest(last_30) AS x) AS v)
       END AS adj_close_median_30
FROM (
    SELECT day,
           volume,
           CASE WHEN count(*) OVER w = 30 THEN avg(volume) OVER w END::double precision AS volume_mean_30,
           array_agg(coalesce(adj_close, close)) OVER w AS last_30
    FROM market.daily_prices
    WHERE symbol = $1
    WINDOW w AS (ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)
) s
WHERE ($2::date IS NULL OR day >= $2)
  AND ($3::date IS NULL OR day <= $3)
ORDER BY day;
