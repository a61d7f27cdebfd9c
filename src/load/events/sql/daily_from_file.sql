-- market.event_daily for the groups of a file the copy path wrote, from its records as the
-- parse counted them ($1–$9: parallel arrays of trade date, symbol, exchange, trades, quotes,
-- last trade price and time, first and last event time). The read-back check found the
-- groups' rows in the tables to be exactly the file's, so these are the counts daily.sql would
-- take from the tables, without reading the day's events again. Nothing was dropped.
INSERT INTO market.event_daily AS d (trade_dt, symbol, exchange, trades, quotes,
                                     trades_dropped, quotes_dropped, last_trade_pr,
                                     last_trade_tm, first_event_tm, last_event_tm)
SELECT g.trade_dt, g.symbol, g.exchange, g.trades, g.quotes, 0, 0, g.last_trade_pr,
       g.last_trade_tm, g.first_event_tm, g.last_event_tm
FROM unnest($1::date[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
            $6::double precision[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
     AS g(trade_dt, symbol, exchange, trades, quotes, last_trade_pr, last_trade_tm,
          first_event_tm, last_event_tm)
ON CONFLICT (trade_dt, symbol, exchange) DO UPDATE SET
    trades = EXCLUDED.trades, quotes = EXCLUDED.quotes,
    trades_dropped = EXCLUDED.trades_dropped, quotes_dropped = EXCLUDED.quotes_dropped,
    last_trade_pr = EXCLUDED.last_trade_pr, last_trade_tm = EXCLUDED.last_trade_tm,
    first_event_tm = EXCLUDED.first_event_tm, last_event_tm = EXCLUDED.last_event_tm
