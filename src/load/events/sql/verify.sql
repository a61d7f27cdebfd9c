-- The sanity check of an event file: each of its events (pg_temp.stockdb_event_winners: the
-- latest arrival in the file) must be in the table with those values and that arrival time,
-- or with a later arrival. $1 and $2 bound the file's event times, so that only the chunks
-- of those days are read, in one hash join per table. Returns the events found as expected.
SELECT (SELECT count(*)
          FROM pg_temp.stockdb_event_winners w
          JOIN market.trades t USING (trade_dt, symbol, exchange, event_tm, event_seq_nb)
         WHERE w.rec_type = 'T' AND t.event_tm BETWEEN $1 AND $2
           AND (t.arrival_tm > w.arrival_tm
                OR (t.arrival_tm = w.arrival_tm
                    AND (t.execution_id, t.price, t.size, t.event_ns, t.source, t.conditions, t.correction, t.tape, t.trf_id, t.trf_ns, t.participant_ns)
                        IS NOT DISTINCT FROM (w.execution_id, w.price, w.size, w.event_ns, w.source, w.conditions, w.correction, w.tape, w.trf_id, w.trf_ns, w.participant_ns))))
     + (SELECT count(*)
          FROM pg_temp.stockdb_event_winners w
          JOIN market.quotes q USING (trade_dt, symbol, exchange, event_tm, event_seq_nb)
         WHERE w.rec_type = 'Q' AND q.event_tm BETWEEN $1 AND $2
           AND (q.arrival_tm > w.arrival_tm
                OR (q.arrival_tm = w.arrival_tm
                    AND (q.bid_pr, q.bid_size, q.ask_pr, q.ask_size, q.event_ns, q.source, q.conditions, q.tape, q.participant_ns, q.bid_exchange, q.ask_exchange)
                        IS NOT DISTINCT FROM (w.bid_pr, w.bid_size, w.ask_pr, w.ask_size, w.event_ns, w.source, w.conditions, w.tape, w.participant_ns, w.bid_exchange, w.ask_exchange))))
