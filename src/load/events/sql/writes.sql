-- The staged file's events that the merge writes, into pg_temp.stockdb_event_writes: events
-- not stored yet (stored = false; insert_missing_*.sql INSERTs them plainly) and stored ones
-- whose arrival, values or dropped arrivals the file changes (stored = true; the upserts'
-- WHERE, merge_*.sql, read here without writing). None for an unchanged re-load: the merge
-- then writes nothing. Read here, written by other statements: on TimescaleDB's columnstore a
-- statement that writes a hypertable and reads it too sees rows twice or not at all when its
-- write decompresses the batches it reads (issue 24). $1 and $2 bound the file's event times,
-- so that only the chunks of its days are read; $3 and $4 (the file's trade dates and
-- exchanges) are columnstore segments, so that within them a late correction file of one
-- exchange reads that exchange's batches only.
INSERT INTO pg_temp.stockdb_event_writes
SELECT w.rec_type, w.trade_dt, w.symbol, w.exchange, w.event_tm, w.event_seq_nb, w.arrival_tm,
       w.execution_id, w.price, w.size, w.bid_pr, w.bid_size, w.ask_pr, w.ask_size,
       w.event_ns, w.source, w.conditions, w.correction, w.tape, w.trf_id, w.trf_ns, w.participant_ns, w.bid_exchange, w.ask_exchange,
       w.dropped_arrivals, t.symbol IS NOT NULL
FROM pg_temp.stockdb_event_winners w
LEFT JOIN market.trades t
  ON (t.trade_dt, t.symbol, t.exchange, t.event_tm, t.event_seq_nb)
     = (w.trade_dt, w.symbol, w.exchange, w.event_tm, w.event_seq_nb)
 AND t.event_tm BETWEEN $1 AND $2
 AND t.trade_dt = ANY ($3) AND t.exchange = ANY ($4)
WHERE w.rec_type = 'T'
  AND (t.symbol IS NULL
     OR w.arrival_tm > t.arrival_tm
     OR (w.arrival_tm = t.arrival_tm
         AND (w.execution_id, w.price, w.size, w.event_ns, w.source, w.conditions, w.correction, w.tape, w.trf_id, w.trf_ns, w.participant_ns)
             IS DISTINCT FROM (t.execution_id, t.price, t.size, t.event_ns, t.source, t.conditions, t.correction, t.tape, t.trf_id, t.trf_ns, t.participant_ns))
     OR (w.arrival_tm <> t.arrival_tm OR w.dropped_arrivals IS NOT NULL)
        AND market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                  w.dropped_arrivals || w.arrival_tm,
                                  greatest(t.arrival_tm, w.arrival_tm))
            IS DISTINCT FROM t.dropped_arrivals)
UNION ALL
SELECT w.rec_type, w.trade_dt, w.symbol, w.exchange, w.event_tm, w.event_seq_nb, w.arrival_tm,
       w.execution_id, w.price, w.size, w.bid_pr, w.bid_size, w.ask_pr, w.ask_size,
       w.event_ns, w.source, w.conditions, w.correction, w.tape, w.trf_id, w.trf_ns, w.participant_ns, w.bid_exchange, w.ask_exchange,
       w.dropped_arrivals, t.symbol IS NOT NULL
FROM pg_temp.stockdb_event_winners w
LEFT JOIN market.quotes t
  ON (t.trade_dt, t.symbol, t.exchange, t.event_tm, t.event_seq_nb)
     = (w.trade_dt, w.symbol, w.exchange, w.event_tm, w.event_seq_nb)
 AND t.event_tm BETWEEN $1 AND $2
 AND t.trade_dt = ANY ($3) AND t.exchange = ANY ($4)
WHERE w.rec_type = 'Q'
  AND (t.symbol IS NULL
     OR w.arrival_tm > t.arrival_tm
     OR (w.arrival_tm = t.arrival_tm
         AND (w.bid_pr, w.bid_size, w.ask_pr, w.ask_size, w.event_ns, w.source, w.conditions, w.tape, w.participant_ns, w.bid_exchange, w.ask_exchange)
             IS DISTINCT FROM (t.bid_pr, t.bid_size, t.ask_pr, t.ask_size, t.event_ns, t.source, t.conditions, t.tape, t.participant_ns, t.bid_exchange, t.ask_exchange))
     OR (w.arrival_tm <> t.arrival_tm OR w.dropped_arrivals IS NOT NULL)
        AND market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                  w.dropped_arrivals || w.arrival_tm,
                                  greatest(t.arrival_tm, w.arrival_tm))
            IS DISTINCT FROM t.dropped_arrivals)
