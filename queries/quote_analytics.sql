-- name: quote_analytics
-- description: Quotes of one symbol with the latest trade at or before each (an as-of join on that exchange and trade date) and the bid and ask against the prior close (market.quote_analytics)
-- param: symbol text required
-- param: from date optional - first trade date to show; the symbol's latest when from and to are absent
-- param: to date optional - last trade date to show
-- param: exchange text optional - one exchange (e.g. NYSE); every exchange when absent
-- setting: enable_bitmapscan = off - read both tables in key order through their indexes
-- setting: enable_sort = off - and merge them, sorting only within equal times, so rows stream
-- setting: jit = off - with sorts off the plan costs enough to be JIT-compiled, which took 280 ms
-- setting: timescaledb.enable_chunk_skipping = on - plan only the chunks whose trade dates meet the dates asked for (migration V18; also where the database default is not set)
-- The view market.quote_analytics restated so that its rows stream (issue 25). Times are
-- exchange time (America/New_York). Against the view:
-- - each table is read in a subquery ordered by the window's order, and the window orders by
--   event time and sequence number only: a trade and a quote of equal time and number are
--   peers, so the quote's frame holds the trade as the view's trade-first order does. The
--   planner then merges the quotes, read in order from their index or columnstore batches,
--   with the trades, instead of sorting the symbol-day whole before the first row (the most
--   active symbol, 200k quotes on the columnstore: first row 10-11 ms instead of 231-269 ms);
-- - the prior close is joined from the days asked for only (the view carries it through its
--   window);
-- - the bounds are on columns the window partitions by, so they reach both tables before it.
-- The bounds are written out for each table rather than computed once: a given date is then
-- a constant when the query is planned, and TimescaleDB plans only that date's chunks.
-- The settings: left to its costs, the planner reads the symbol-day with bitmap scans and
-- sorts it whole before the first row; in key order only events of equal time are sorted.
SELECT w.trade_dt, w.symbol, w.exchange,
       w.event_tm AT TIME ZONE 'America/New_York' AS exchange_time,
       w.event_seq_nb, w.bid_pr, w.bid_size, w.ask_pr, w.ask_size,
       w.last_trade_tm AT TIME ZONE 'America/New_York' AS last_trade_time,
       w.last_trade[3] AS last_trade_pr,
       w.last_trade[4] AS last_trade_moving_avg_30min,
       d.prior_close,
       w.bid_pr - d.prior_close AS bid_pr_mv,
       w.ask_pr - d.prior_close AS ask_pr_mv
FROM (
    SELECT e.*,
           max(e.trade_tm) OVER w AS last_trade_tm,
           max(e.trade) OVER w AS last_trade
    FROM (
        (SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, 1 AS is_quote,
                bid_pr, bid_size, ask_pr, ask_size,
                NULL::timestamptz AS trade_tm, NULL::double precision[] AS trade
         FROM market.quotes
         ORDER BY trade_dt, exchange, event_tm, event_seq_nb)
        UNION ALL
        (SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, 0,
                NULL, NULL, NULL, NULL,
                event_tm,
                ARRAY[extract(epoch FROM event_tm)::double precision,
                      event_seq_nb::double precision, price, moving_avg_30min]
         FROM market.trade_analytics
         ORDER BY trade_dt, exchange, event_tm, event_seq_nb)
    ) e
    WHERE e.symbol = upper($1)
      AND e.trade_dt >= coalesce($2, $3, (SELECT max(trade_dt) FROM market.event_daily
                                           WHERE symbol = upper($1) AND quotes > 0))
      AND e.trade_dt <= coalesce($3, $2, (SELECT max(trade_dt) FROM market.event_daily
                                           WHERE symbol = upper($1) AND quotes > 0))
      AND ($4::text IS NULL OR e.exchange = upper($4))
    WINDOW w AS (PARTITION BY e.symbol, e.trade_dt, e.exchange
                 ORDER BY e.event_tm, e.event_seq_nb)
) w
LEFT JOIN (SELECT trade_dt, symbol, exchange, prior_close
           FROM market.event_daily
           WHERE symbol = upper($1)
             AND trade_dt >= coalesce($2, $3, (SELECT max(trade_dt) FROM market.event_daily
                                                WHERE symbol = upper($1) AND quotes > 0))
             AND trade_dt <= coalesce($3, $2, (SELECT max(trade_dt) FROM market.event_daily
                                                WHERE symbol = upper($1) AND quotes > 0))) d
       USING (symbol, trade_dt, exchange)
WHERE w.is_quote = 1
ORDER BY w.trade_dt, w.exchange, w.event_tm, w.event_seq_nb;
