-- Whether a group's last trade in the piece ($1 as in daily_add.sql) has the same time as its
-- last stored trade: only the trades' sequence numbers tell which one is last, so such a
-- piece's groups are recounted (daily.sql) rather than added to. daily_add.sql reads no trade
-- itself: Citus runs no correlated subquery from the coordinator's temporary tables into a
-- shard. Rare: a commit that ends within a microsecond's trades.
WITH added AS (
    SELECT trade_dt, symbol, exchange, event_tm
    FROM pg_temp.stockdb_event_winners WHERE NOT $1 AND rec_type = 'T'
    UNION ALL
    SELECT trade_dt, symbol, exchange, event_tm
    FROM pg_temp.stockdb_event_writes WHERE $1 AND NOT stored AND rec_type = 'T'
), last_trade AS (
    SELECT trade_dt, symbol, exchange, max(event_tm) AS last_trade_tm
    FROM added
    GROUP BY trade_dt, symbol, exchange
)
SELECT EXISTS (
    SELECT 1
    FROM last_trade l
    JOIN market.event_daily d USING (trade_dt, symbol, exchange)
    WHERE d.last_trade_tm = l.last_trade_tm
)
