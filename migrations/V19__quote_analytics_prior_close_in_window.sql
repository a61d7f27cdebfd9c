-- Issue 25: one symbol-day of market.quote_analytics took longer with every day loaded. The
-- view joined market.event_daily for the prior close after its window, where no bound on the
-- trade date reaches the join (PostgreSQL carries only equalities across a join), and the
-- planner, expecting few rows out of the window, compared every quote with every stored day
-- of the symbol: 5,050 quotes against 50 rows of event_daily took 15 of a query's 37 ms on 25
-- loaded days. Here event_daily's row of the (symbol, trade date, exchange) joins the window's
-- stream as its first row (at event time -infinity), so the bounds on the partition columns
-- reach it as they reach the quotes and trades, and a running max carries its prior close to
-- every quote. Same columns and results as V13's view (a partition without an event_daily row
-- has no prior close, as the LEFT JOIN gave).
CREATE OR REPLACE VIEW market.quote_analytics AS
SELECT w.trade_dt, w.symbol, w.exchange, w.event_tm, w.event_seq_nb,
       w.bid_pr, w.bid_size, w.ask_pr, w.ask_size,
       w.last_trade_tm,
       w.last_trade[3] AS last_trade_pr,
       w.last_trade[4] AS last_trade_moving_avg_30min,
       w.prior_close,
       w.bid_pr - w.prior_close AS bid_pr_mv,
       w.ask_pr - w.prior_close AS ask_pr_mv
FROM (
    SELECT e.*,
           max(e.trade_tm) OVER w AS last_trade_tm,
           max(e.trade) OVER w AS last_trade,
           max(e.day_prior_close) OVER w AS prior_close
    FROM (
        SELECT trade_dt, symbol, exchange, '-infinity'::timestamptz AS event_tm,
               0::bigint AS event_seq_nb, -1 AS is_quote,
               NULL::double precision AS bid_pr, NULL::bigint AS bid_size,
               NULL::double precision AS ask_pr, NULL::bigint AS ask_size,
               NULL::timestamptz AS trade_tm, NULL::double precision[] AS trade,
               prior_close AS day_prior_close
        FROM market.event_daily
        UNION ALL
        SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, 1,
               bid_pr, bid_size, ask_pr, ask_size,
               NULL, NULL, NULL
        FROM market.quotes
        UNION ALL
        SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, 0,
               NULL, NULL, NULL, NULL,
               event_tm,
               ARRAY[extract(epoch FROM event_tm)::double precision,
                     event_seq_nb::double precision, price, moving_avg_30min],
               NULL
        FROM market.trade_analytics
    ) e
    WINDOW w AS (PARTITION BY e.symbol, e.trade_dt, e.exchange
                 ORDER BY e.event_tm, e.event_seq_nb, e.is_quote)
) w
WHERE w.is_quote = 1;
