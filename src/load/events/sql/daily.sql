-- Rewrite market.event_daily for the (trade date, symbol, exchange) groups the file
-- touched, from the tables as merged; $1 and $2 bound the groups' event times
-- (daily_bounds.sql). Returns the events in the table for those groups.
WITH touched AS (
    SELECT trade_dt, symbol, exchange FROM pg_temp.stockdb_event_groups
), t AS (
    SELECT x.trade_dt, x.symbol, x.exchange, count(*) AS n,
           sum(coalesce(cardinality(x.dropped_arrivals), 0)) AS dropped,
           (array_agg(x.price ORDER BY x.event_tm DESC, x.event_seq_nb DESC))[1] AS last_pr,
           min(x.event_tm) AS first_tm, max(x.event_tm) AS last_tm
    FROM market.trades x
    JOIN touched g USING (trade_dt, symbol, exchange)
    WHERE x.event_tm BETWEEN $1 AND $2
    GROUP BY x.trade_dt, x.symbol, x.exchange
), q AS (
    SELECT x.trade_dt, x.symbol, x.exchange, count(*) AS n,
           sum(coalesce(cardinality(x.dropped_arrivals), 0)) AS dropped,
           min(x.event_tm) AS first_tm, max(x.event_tm) AS last_tm
    FROM market.quotes x
    JOIN touched g USING (trade_dt, symbol, exchange)
    WHERE x.event_tm BETWEEN $1 AND $2
    GROUP BY x.trade_dt, x.symbol, x.exchange
), fresh AS (
    SELECT g.trade_dt, g.symbol, g.exchange,
           coalesce(t.n, 0) AS trades, coalesce(q.n, 0) AS quotes,
           coalesce(t.dropped, 0) AS trades_dropped, coalesce(q.dropped, 0) AS quotes_dropped,
           t.last_pr AS last_trade_pr, t.last_tm AS last_trade_tm,
           least(t.first_tm, q.first_tm) AS first_event_tm,
           greatest(t.last_tm, q.last_tm) AS last_event_tm
    FROM touched g
    LEFT JOIN t USING (trade_dt, symbol, exchange)
    LEFT JOIN q USING (trade_dt, symbol, exchange)
), written AS (
    INSERT INTO market.event_daily AS d (trade_dt, symbol, exchange, trades, quotes,
                                         trades_dropped, quotes_dropped, last_trade_pr,
                                         last_trade_tm, first_event_tm, last_event_tm)
    SELECT * FROM fresh
    ON CONFLICT (trade_dt, symbol, exchange) DO UPDATE SET
        trades = EXCLUDED.trades, quotes = EXCLUDED.quotes,
        trades_dropped = EXCLUDED.trades_dropped, quotes_dropped = EXCLUDED.quotes_dropped,
        last_trade_pr = EXCLUDED.last_trade_pr, last_trade_tm = EXCLUDED.last_trade_tm,
        first_event_tm = EXCLUDED.first_event_tm, last_event_tm = EXCLUDED.last_event_tm
    WHERE (d.trades, d.quotes, d.trades_dropped, d.quotes_dropped, d.last_trade_pr,
           d.last_trade_tm, d.first_event_tm, d.last_event_tm)
          IS DISTINCT FROM
          (EXCLUDED.trades, EXCLUDED.quotes, EXCLUDED.trades_dropped, EXCLUDED.quotes_dropped,
           EXCLUDED.last_trade_pr, EXCLUDED.last_trade_tm, EXCLUDED.first_event_tm,
           EXCLUDED.last_event_tm)
)
SELECT coalesce(sum(trades + quotes), 0)::bigint FROM fresh
