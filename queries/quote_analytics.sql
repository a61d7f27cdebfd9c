-- name: quote_analytics
-- description: Quotes of one symbol with the latest trade at or before each (an as-of join on that exchange and trade date) and the bid and ask against the prior close (market.quote_analytics)
-- param: symbol text required
-- param: from date optional - first trade date to show; the symbol's latest when from and to are absent
-- param: to date optional - last trade date to show
-- param: exchange text optional - one exchange (e.g. NYSE); every exchange when absent
-- setting: enable_bitmapscan = off - read both tables in key order through their indexes
-- setting: enable_sort = off - and merge them, sorting only within equal times, so rows stream
-- setting: jit = off - on the columnstore the symbol-day is sorted after all; with sorts off that plan costs enough to be JIT-compiled, which took 280 ms
-- Times are exchange time (America/New_York). The bounds are on columns every window of the
-- view partitions by, so they reach both tables before the windows. Unlike trade_analytics
-- this reads the view without event-time bounds: on one or two loaded days it is faster
-- (first row 15-26 ms against 21-37 ms for the bounded form, 2,517 quotes), but on
-- TimescaleDB its planning grows with the days loaded (60 days: 49 ms for 222 quotes).
-- The settings: left to its costs, the planner reads the symbol-day with bitmap scans and
-- sorts it whole before the first row (most active symbol, 100k quotes: first row 143 ms, all
-- 274 ms); in key order the quotes and trades merge as they are read, and only events of
-- equal time and sequence are sorted (first row 0.5 ms, all 226 ms; median symbol 6.8 ms
-- against 7.9 ms; TimescaleDB 2.28, issue 25).
SELECT trade_dt, symbol, exchange,
       event_tm AT TIME ZONE 'America/New_York' AS exchange_time,
       event_seq_nb, bid_pr, bid_size, ask_pr, ask_size,
       last_trade_tm AT TIME ZONE 'America/New_York' AS last_trade_time,
       last_trade_pr, last_trade_moving_avg_30min, prior_close, bid_pr_mv, ask_pr_mv
FROM market.quote_analytics
WHERE symbol = upper($1)
  AND trade_dt >= coalesce($2, $3, (SELECT max(trade_dt) FROM market.event_daily
                                     WHERE symbol = upper($1) AND quotes > 0))
  AND trade_dt <= coalesce($3, $2, (SELECT max(trade_dt) FROM market.event_daily
                                     WHERE symbol = upper($1) AND quotes > 0))
  AND ($4::text IS NULL OR exchange = upper($4))
ORDER BY trade_dt, exchange, event_tm, event_seq_nb;
