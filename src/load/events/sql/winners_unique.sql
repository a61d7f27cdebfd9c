-- The winners of a file that holds each event once (repeated.sql found none): every staged
-- record, with no arrival that lost. What winners.sql gives such a file, without its window.
INSERT INTO pg_temp.stockdb_event_winners
SELECT rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm,
       execution_id, price, size, bid_pr, bid_size, ask_pr, ask_size,
       event_ns, source, conditions, correction, tape, trf_id, trf_ns, participant_ns, bid_exchange, ask_exchange, NULL
FROM pg_temp.stockdb_event_staging
