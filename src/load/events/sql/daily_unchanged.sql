-- For a file that wrote no event: how many of the (trade date, symbol, exchange) groups
-- it touched have no market.event_daily row, and the events the rows of the others count.
WITH touched AS (
    SELECT trade_dt, symbol, exchange FROM pg_temp.stockdb_event_groups
)
SELECT count(*) FILTER (WHERE d.trade_dt IS NULL) AS missing,
       coalesce(sum(d.trades + d.quotes), 0)::bigint AS in_table
FROM touched g
LEFT JOIN market.event_daily d USING (trade_dt, symbol, exchange)
