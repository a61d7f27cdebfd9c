-- name: event_counts
-- description: Trades and quotes per trade date, exchange and symbol, with the duplicate records dropped (a later arrival of the same event won), from market.event_daily
-- param: symbol text optional - one symbol; every symbol when absent
-- param: from date optional - first trade date to show
-- param: to date optional - last trade date to show
-- param: exchange text optional - one exchange; every exchange when absent
-- Duplicates count distinct arrival times that lost; the same record twice in one file with
-- the same arrival time is one arrival.
SELECT trade_dt, exchange, symbol, trades, quotes,
       trades_dropped, quotes_dropped, last_trade_pr, prior_close
FROM market.event_daily
WHERE ($1::text IS NULL OR symbol = upper($1))
  AND ($2::date IS NULL OR trade_dt >= $2)
  AND ($3::date IS NULL OR trade_dt <= $3)
  AND ($4::text IS NULL OR exchange = upper($4))
ORDER BY trade_dt, exchange, symbol;
