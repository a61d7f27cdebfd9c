-- market.event_daily for the groups of a followed file's piece whose events were all new
-- (inserted, none updated): each group's row plus the piece's events, instead of daily.sql's
-- count of every event of the groups, which would grow with the day at every commit. $1: the
-- groups had events stored, so the new events are pg_temp.stockdb_event_writes' unstored ones;
-- else every winner. The last trade is the later of the stored one and the piece's; a piece
-- whose last trade shares its time with the stored one never comes here (daily_add_ties.sql).
-- Returns the events the rows count.
WITH added AS (
    SELECT rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb, price, dropped_arrivals
    FROM pg_temp.stockdb_event_winners WHERE NOT $1
    UNION ALL
    SELECT rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb, price, dropped_arrivals
    FROM pg_temp.stockdb_event_writes WHERE $1 AND NOT stored
), g AS (
    SELECT trade_dt, symbol, exchange,
           count(*) FILTER (WHERE rec_type = 'T') AS trades,
           count(*) FILTER (WHERE rec_type = 'Q') AS quotes,
           coalesce(sum(cardinality(dropped_arrivals)) FILTER (WHERE rec_type = 'T'), 0) AS trades_dropped,
           coalesce(sum(cardinality(dropped_arrivals)) FILTER (WHERE rec_type = 'Q'), 0) AS quotes_dropped,
           min(event_tm) AS first_tm, max(event_tm) AS last_tm
    FROM added
    GROUP BY trade_dt, symbol, exchange
), last_trade AS (
    -- A sort, where array_agg(… ORDER BY …) per group took most of this statement's time.
    SELECT DISTINCT ON (trade_dt, symbol, exchange)
           trade_dt, symbol, exchange, event_tm AS last_trade_tm, price AS last_trade_pr
    FROM added
    WHERE rec_type = 'T'
    ORDER BY trade_dt, symbol, exchange, event_tm DESC, event_seq_nb DESC
), summed AS (
    SELECT g.trade_dt, g.symbol, g.exchange,
           coalesce(d.trades, 0) + g.trades AS trades,
           coalesce(d.quotes, 0) + g.quotes AS quotes,
           coalesce(d.trades_dropped, 0) + g.trades_dropped AS trades_dropped,
           coalesce(d.quotes_dropped, 0) + g.quotes_dropped AS quotes_dropped,
           CASE
               WHEN l.last_trade_tm IS NULL THEN d.last_trade_pr
               WHEN d.last_trade_tm IS NULL OR l.last_trade_tm > d.last_trade_tm THEN l.last_trade_pr
               ELSE d.last_trade_pr
           END AS last_trade_pr,
           greatest(d.last_trade_tm, l.last_trade_tm) AS last_trade_tm,
           least(d.first_event_tm, g.first_tm) AS first_event_tm,
           greatest(d.last_event_tm, g.last_tm) AS last_event_tm
    FROM g
    LEFT JOIN last_trade l USING (trade_dt, symbol, exchange)
    LEFT JOIN market.event_daily d USING (trade_dt, symbol, exchange)
), written AS (
    INSERT INTO market.event_daily AS d (trade_dt, symbol, exchange, trades, quotes,
                                         trades_dropped, quotes_dropped, last_trade_pr,
                                         last_trade_tm, first_event_tm, last_event_tm)
    SELECT trade_dt, symbol, exchange, trades, quotes, trades_dropped, quotes_dropped,
           last_trade_pr, last_trade_tm, first_event_tm, last_event_tm
    FROM summed
    ON CONFLICT (trade_dt, symbol, exchange) DO UPDATE SET
        trades = EXCLUDED.trades, quotes = EXCLUDED.quotes,
        trades_dropped = EXCLUDED.trades_dropped, quotes_dropped = EXCLUDED.quotes_dropped,
        last_trade_pr = EXCLUDED.last_trade_pr, last_trade_tm = EXCLUDED.last_trade_tm,
        first_event_tm = EXCLUDED.first_event_tm, last_event_tm = EXCLUDED.last_event_tm
    RETURNING trades + quotes AS events
)
SELECT coalesce(sum(events), 0)::bigint FROM written
