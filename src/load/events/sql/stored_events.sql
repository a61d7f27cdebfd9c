-- The events stored for the file's (trade date, symbol, exchange) groups, as
-- market.event_daily counts them: what the re-load's comparison would read back.
SELECT coalesce(sum(d.trades + d.quotes), 0)::bigint
FROM market.event_daily d
JOIN pg_temp.stockdb_event_groups g USING (trade_dt, symbol, exchange)
