-- Merge the file's stored quotes that it changes (pg_temp.stockdb_event_writes: filled by
-- writes.sql, or with every event of the file after a unique violation) into market.quotes.
-- The latest arrival wins (the file wins an equal arrival: the later load); the arrival times
-- that lost are kept in dropped_arrivals. Rows whose values, arrival and dropped set are
-- unchanged are not touched, so a re-load changes nothing. Returns (inserted, updated):
-- inserted only when another tool stored an event meanwhile.
WITH merged AS (
    INSERT INTO market.quotes AS t (trade_dt, symbol, exchange, event_tm, event_seq_nb,
                                    arrival_tm, bid_pr, bid_size, ask_pr, ask_size, event_ns, source, conditions, tape, participant_ns, bid_exchange, ask_exchange,
                                    dropped_arrivals)
    SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, bid_pr, bid_size, ask_pr, ask_size, event_ns, source, conditions, tape, participant_ns, bid_exchange, ask_exchange, dropped_arrivals
    FROM pg_temp.stockdb_event_writes w
    -- The new ones are INSERTed plainly after this (insert_missing_quotes.sql).
    WHERE rec_type = 'Q' AND stored
    -- In key order: two loaders upserting the same events take their row locks in one order,
    -- so neither can wait on the other in a cycle (no lock around the whole merge).
    ORDER BY symbol, trade_dt, exchange, event_tm, event_seq_nb
    ON CONFLICT (trade_dt, symbol, exchange, event_tm, event_seq_nb) DO UPDATE SET
        arrival_tm = greatest(t.arrival_tm, EXCLUDED.arrival_tm),
        bid_pr = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                      THEN EXCLUDED.bid_pr ELSE t.bid_pr END,
        bid_size = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                        THEN EXCLUDED.bid_size ELSE t.bid_size END,
        ask_pr = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                      THEN EXCLUDED.ask_pr ELSE t.ask_pr END,
        ask_size = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                        THEN EXCLUDED.ask_size ELSE t.ask_size END,
        event_ns = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                        THEN EXCLUDED.event_ns ELSE t.event_ns END,
        source = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                      THEN EXCLUDED.source ELSE t.source END,
        conditions = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                          THEN EXCLUDED.conditions ELSE t.conditions END,
        tape = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                    THEN EXCLUDED.tape ELSE t.tape END,
        participant_ns = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                              THEN EXCLUDED.participant_ns ELSE t.participant_ns END,
        bid_exchange = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                            THEN EXCLUDED.bid_exchange ELSE t.bid_exchange END,
        ask_exchange = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                            THEN EXCLUDED.ask_exchange ELSE t.ask_exchange END,
        dropped_arrivals = CASE WHEN EXCLUDED.arrival_tm = t.arrival_tm
                                     AND EXCLUDED.dropped_arrivals IS NULL
                                THEN t.dropped_arrivals
                                ELSE market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                                          EXCLUDED.dropped_arrivals || EXCLUDED.arrival_tm,
                                                          greatest(t.arrival_tm, EXCLUDED.arrival_tm)) END
    WHERE EXCLUDED.arrival_tm > t.arrival_tm
       OR (EXCLUDED.arrival_tm = t.arrival_tm
           AND (EXCLUDED.bid_pr, EXCLUDED.bid_size, EXCLUDED.ask_pr, EXCLUDED.ask_size, EXCLUDED.event_ns, EXCLUDED.source, EXCLUDED.conditions, EXCLUDED.tape, EXCLUDED.participant_ns, EXCLUDED.bid_exchange, EXCLUDED.ask_exchange)
               IS DISTINCT FROM (t.bid_pr, t.bid_size, t.ask_pr, t.ask_size, t.event_ns, t.source, t.conditions, t.tape, t.participant_ns, t.bid_exchange, t.ask_exchange))
       OR (EXCLUDED.arrival_tm <> t.arrival_tm OR EXCLUDED.dropped_arrivals IS NOT NULL)
          AND market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                    EXCLUDED.dropped_arrivals || EXCLUDED.arrival_tm,
                                    greatest(t.arrival_tm, EXCLUDED.arrival_tm))
              IS DISTINCT FROM t.dropped_arrivals
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM merged
