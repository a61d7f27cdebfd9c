-- name: trade_analytics
-- description: Trades of one symbol with the 30-minute moving average of its trade price on that exchange and the previous trade date's last trade price (market.trade_analytics)
-- param: symbol text required
-- param: from date optional - first trade date to show; the symbol's latest when from and to are absent
-- param: to date optional - last trade date to show
-- param: exchange text optional - one exchange (e.g. NYSE); every exchange when absent
-- Times are exchange time (America/New_York). The bounds are on trade_dt, a column every
-- window of the view partitions by, so they reach the table before the windows.
SELECT trade_dt, symbol, exchange,
       event_tm AT TIME ZONE 'America/New_York' AS exchange_time,
       event_seq_nb, execution_id, price, size, moving_avg_30min, prior_close
FROM market.trade_analytics
WHERE symbol = upper($1)
  AND trade_dt >= coalesce($2, $3, (SELECT max(trade_dt) FROM market.event_daily
                                     WHERE symbol = upper($1) AND trades > 0))
  AND trade_dt <= coalesce($3, $2, (SELECT max(trade_dt) FROM market.event_daily
                                     WHERE symbol = upper($1) AND trades > 0))
  AND ($4::text IS NULL OR exchange = upper($4))
ORDER BY trade_dt, exchange, event_tm, event_seq_nb;
