-- name: trade_analytics
-- description: Trades of one symbol with the 30-minute moving average of its trade price on that exchange and the previous trade date's last trade price (as market.trade_analytics)
-- param: symbol text required
-- param: from date optional - first trade date to show; the symbol's latest when from and to are absent
-- param: to date optional - last trade date to show
-- param: exchange text optional - one exchange (e.g. NYSE); every exchange when absent
-- setting: timescaledb.enable_chunk_skipping = on - plan only the chunks whose trade dates meet the dates asked for (migration V18; also where the database default is not set)
-- The view market.trade_analytics, with event-time bounds: immutable expressions of the
-- dates (a day either side, in exchange time), so that TimescaleDB plans only those days'
-- chunks (planning every chunk of 60 days took 25 ms). The loader warns about an event more
-- than a day from its trade date. Times are exchange time (America/New_York).
SELECT t.trade_dt, t.symbol, t.exchange,
       t.event_tm AT TIME ZONE 'America/New_York' AS exchange_time,
       t.event_seq_nb, t.execution_id, t.price, t.size,
       avg(t.price::numeric) OVER (PARTITION BY t.symbol, t.trade_dt, t.exchange
                                   ORDER BY t.event_tm
                                   RANGE BETWEEN INTERVAL '30 minutes' PRECEDING AND CURRENT ROW)
           ::double precision AS moving_avg_30min,
       d.prior_close
FROM market.trades t
LEFT JOIN market.event_daily d USING (symbol, trade_dt, exchange)
WHERE t.symbol = upper($1)
  AND t.trade_dt >= coalesce($2, $3, (SELECT max(trade_dt) FROM market.event_daily
                                       WHERE symbol = upper($1) AND trades > 0))
  AND t.trade_dt <= coalesce($3, $2, (SELECT max(trade_dt) FROM market.event_daily
                                       WHERE symbol = upper($1) AND trades > 0))
  AND t.event_tm >= ((coalesce($2, $3, '-infinity') - 1)::timestamp AT TIME ZONE 'America/New_York')
  AND t.event_tm < ((coalesce($3, $2, 'infinity') + 2)::timestamp AT TIME ZONE 'America/New_York')
  AND ($4::text IS NULL OR t.exchange = upper($4))
ORDER BY t.trade_dt, t.exchange, t.event_tm, t.event_seq_nb;
