-- Totals as stockdb counted them (market.symbol_stats, kept by loads and refreshes).
SELECT coalesce(sum(rows), 0)::bigint AS rows,
       count(*) AS symbols,
       min(first_day) AS first_day,
       max(last_day) AS last_day
FROM market.symbol_stats
