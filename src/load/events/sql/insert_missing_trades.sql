-- The staged file's events not stored yet (writes.sql found them), after the upserts have
-- merged the stored ones (merge_trades.sql, merge_quotes.sql): a plain INSERT, without the
-- conflict handling that costs 2.3x (issue 25, BENCHMARKS.md). The file holds its days' locks
-- (mod.rs), so no other load inserts these events meanwhile.
INSERT INTO market.trades (trade_dt, symbol, exchange, event_tm, event_seq_nb,
                           arrival_tm, execution_id, price, size, event_ns, source, conditions, correction, tape, trf_id, trf_ns, participant_ns, dropped_arrivals)
SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size, event_ns, source, conditions, correction, tape, trf_id, trf_ns, participant_ns, dropped_arrivals
FROM pg_temp.stockdb_event_writes
WHERE rec_type = 'T' AND NOT stored
