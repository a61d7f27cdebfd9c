-- The staged file's events not stored yet, after the upserts have merged the stored ones
-- (merge_trades.sql, merge_quotes.sql): a plain INSERT, without the conflict handling that
-- costs 2.3x (issue 25, BENCHMARKS.md). The file holds its days' locks (mod.rs), so no other
-- load inserts these events meanwhile. $1 and $2 bound the file's event times.
INSERT INTO market.quotes (trade_dt, symbol, exchange, event_tm, event_seq_nb,
                           arrival_tm, bid_pr, bid_size, ask_pr, ask_size, dropped_arrivals)
SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, bid_pr, bid_size, ask_pr, ask_size, dropped_arrivals
FROM pg_temp.stockdb_event_winners w
WHERE rec_type = 'Q'
  AND NOT EXISTS (SELECT 1 FROM market.quotes s
                  WHERE (s.trade_dt, s.symbol, s.exchange, s.event_tm, s.event_seq_nb)
                        = (w.trade_dt, w.symbol, w.exchange, w.event_tm, w.event_seq_nb)
                    AND s.event_tm BETWEEN $1 AND $2)
