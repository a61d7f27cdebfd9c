-- The staged file's events when none of its groups has events yet (stored_groups.sql): what
-- the upserts (merge_trades.sql, merge_quotes.sql) would write into empty tables, without
-- their conflict handling, which costs 2.3x a plain INSERT (issue 25, BENCHMARKS.md). The file
-- holds its days' locks (mod.rs), so no other load inserts these events meanwhile.
INSERT INTO market.quotes (trade_dt, symbol, exchange, event_tm, event_seq_nb,
                           arrival_tm, bid_pr, bid_size, ask_pr, ask_size, event_ns, source, conditions, tape, participant_ns, bid_exchange, ask_exchange, dropped_arrivals)
SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, bid_pr, bid_size, ask_pr, ask_size, event_ns, source, conditions, tape, participant_ns, bid_exchange, ask_exchange, dropped_arrivals
FROM pg_temp.stockdb_event_winners
WHERE rec_type = 'Q'
