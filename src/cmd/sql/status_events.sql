-- Trade/quote events in total, from the per-day summary the loader keeps (exact, and cheap:
-- one row per trade date, symbol and exchange).
SELECT coalesce(sum(trades), 0)::bigint AS trades,
       coalesce(sum(quotes), 0)::bigint AS quotes,
       coalesce(sum(trades_dropped + quotes_dropped), 0)::bigint AS dropped,
       min(trade_dt) AS first_day,
       max(trade_dt) AS last_day
FROM market.event_daily
