-- name: quote_analytics
-- description: Quotes of one symbol with the latest trade at or before each (an as-of join on that exchange and trade date) and the bid and ask against the prior close (as market.quote_analytics)
-- param: symbol text required
-- param: from date optional - first trade date to show; the symbol's latest when from and to are absent
-- param: to date optional - last trade date to show
-- param: exchange text optional - one exchange (e.g. NYSE); every exchange when absent
-- The view market.quote_analytics (see migration V13 for how the one window pass works),
-- with event-time bounds: immutable expressions of the dates (a day either side, in exchange
-- time), so that TimescaleDB plans only those days' chunks (planning every chunk of 60 days
-- took 40 ms). The loader warns about an event more than a day from its trade date. Times
-- are exchange time (America/New_York).
WITH bounds AS MATERIALIZED (
    SELECT coalesce($2, $3, (SELECT max(trade_dt) FROM market.event_daily
                             WHERE symbol = upper($1) AND quotes > 0)) AS from_dt,
           coalesce($3, $2, (SELECT max(trade_dt) FROM market.event_daily
                             WHERE symbol = upper($1) AND quotes > 0)) AS to_dt
), trades AS (
    SELECT t.trade_dt, t.symbol, t.exchange, t.event_tm, t.event_seq_nb, t.price,
           avg(t.price::numeric) OVER (PARTITION BY t.symbol, t.trade_dt, t.exchange
                                       ORDER BY t.event_tm
                                       RANGE BETWEEN INTERVAL '30 minutes' PRECEDING AND CURRENT ROW)
               ::double precision AS moving_avg_30min
    FROM market.trades t, bounds b
    WHERE t.symbol = upper($1) AND t.trade_dt BETWEEN b.from_dt AND b.to_dt
      AND t.event_tm >= ((coalesce($2, $3, '-infinity') - 1)::timestamp AT TIME ZONE 'America/New_York')
      AND t.event_tm < ((coalesce($3, $2, 'infinity') + 2)::timestamp AT TIME ZONE 'America/New_York')
      AND ($4::text IS NULL OR t.exchange = upper($4))
), stream AS (
    SELECT q.trade_dt, q.symbol, q.exchange, q.event_tm, q.event_seq_nb, 1 AS is_quote,
           q.bid_pr, q.bid_size, q.ask_pr, q.ask_size,
           NULL::timestamptz AS trade_tm, NULL::double precision[] AS trade
    FROM market.quotes q, bounds b
    WHERE q.symbol = upper($1) AND q.trade_dt BETWEEN b.from_dt AND b.to_dt
      AND q.event_tm >= ((coalesce($2, $3, '-infinity') - 1)::timestamp AT TIME ZONE 'America/New_York')
      AND q.event_tm < ((coalesce($3, $2, 'infinity') + 2)::timestamp AT TIME ZONE 'America/New_York')
      AND ($4::text IS NULL OR q.exchange = upper($4))
    UNION ALL
    SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, 0, NULL, NULL, NULL, NULL,
           event_tm,
           ARRAY[extract(epoch FROM event_tm)::double precision,
                 event_seq_nb::double precision, price, moving_avg_30min]
    FROM trades
), asof AS (
    SELECT s.*,
           max(s.trade_tm) OVER w AS last_trade_tm,
           max(s.trade) OVER w AS last_trade
    FROM stream s
    WINDOW w AS (PARTITION BY s.symbol, s.trade_dt, s.exchange
                 ORDER BY s.event_tm, s.event_seq_nb, s.is_quote)
)
SELECT a.trade_dt, a.symbol, a.exchange,
       a.event_tm AT TIME ZONE 'America/New_York' AS exchange_time,
       a.event_seq_nb, a.bid_pr, a.bid_size, a.ask_pr, a.ask_size,
       a.last_trade_tm AT TIME ZONE 'America/New_York' AS last_trade_time,
       a.last_trade[3] AS last_trade_pr,
       a.last_trade[4] AS last_trade_moving_avg_30min,
       d.prior_close,
       a.bid_pr - d.prior_close AS bid_pr_mv,
       a.ask_pr - d.prior_close AS ask_pr_mv
FROM asof a
LEFT JOIN market.event_daily d USING (symbol, trade_dt, exchange)
WHERE a.is_quote = 1
ORDER BY a.trade_dt, a.exchange, a.event_tm, a.event_seq_nb;
