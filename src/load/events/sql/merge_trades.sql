-- Merge the file's stored trades that it changes (pg_temp.stockdb_event_writes: filled by
-- writes.sql, or with every event of the file after a unique violation) into market.trades.
-- The latest arrival wins (the file wins an equal arrival: the later load); the arrival times
-- that lost are kept in dropped_arrivals. Rows whose values, arrival and dropped set are
-- unchanged are not touched, so a re-load changes nothing. Returns (inserted, updated):
-- inserted only when another tool stored an event meanwhile.
WITH merged AS (
    INSERT INTO market.trades AS t (trade_dt, symbol, exchange, event_tm, event_seq_nb,
                                    arrival_tm, execution_id, price, size, event_ns, source,
                                    conditions, correction, tape, trf_id, trf_ns,
                                    participant_ns, dropped_arrivals)
    SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size, event_ns, source, conditions, correction, tape, trf_id, trf_ns, participant_ns, dropped_arrivals
    FROM pg_temp.stockdb_event_writes w
    -- The new ones are INSERTed plainly after this (insert_missing_trades.sql).
    WHERE rec_type = 'T' AND stored
    -- In key order: two loaders upserting the same events take their row locks in one order,
    -- so neither can wait on the other in a cycle (no lock around the whole merge).
    ORDER BY symbol, trade_dt, exchange, event_tm, event_seq_nb
    ON CONFLICT (trade_dt, symbol, exchange, event_tm, event_seq_nb) DO UPDATE SET
        arrival_tm = greatest(t.arrival_tm, EXCLUDED.arrival_tm),
        execution_id = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                            THEN EXCLUDED.execution_id ELSE t.execution_id END,
        price = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                     THEN EXCLUDED.price ELSE t.price END,
        size = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                    THEN EXCLUDED.size ELSE t.size END,
        event_ns = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                        THEN EXCLUDED.event_ns ELSE t.event_ns END,
        source = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                      THEN EXCLUDED.source ELSE t.source END,
        conditions = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                          THEN EXCLUDED.conditions ELSE t.conditions END,
        correction = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                          THEN EXCLUDED.correction ELSE t.correction END,
        tape = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                    THEN EXCLUDED.tape ELSE t.tape END,
        trf_id = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                      THEN EXCLUDED.trf_id ELSE t.trf_id END,
        trf_ns = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                      THEN EXCLUDED.trf_ns ELSE t.trf_ns END,
        participant_ns = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                              THEN EXCLUDED.participant_ns ELSE t.participant_ns END,
        dropped_arrivals = CASE WHEN EXCLUDED.arrival_tm = t.arrival_tm
                                     AND EXCLUDED.dropped_arrivals IS NULL
                                THEN t.dropped_arrivals
                                ELSE market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                                          EXCLUDED.dropped_arrivals || EXCLUDED.arrival_tm,
                                                          greatest(t.arrival_tm, EXCLUDED.arrival_tm)) END
    WHERE EXCLUDED.arrival_tm > t.arrival_tm
       OR (EXCLUDED.arrival_tm = t.arrival_tm
           AND (EXCLUDED.execution_id, EXCLUDED.price, EXCLUDED.size, EXCLUDED.event_ns, EXCLUDED.source, EXCLUDED.conditions, EXCLUDED.correction, EXCLUDED.tape, EXCLUDED.trf_id, EXCLUDED.trf_ns, EXCLUDED.participant_ns)
               IS DISTINCT FROM (t.execution_id, t.price, t.size, t.event_ns, t.source, t.conditions, t.correction, t.tape, t.trf_id, t.trf_ns, t.participant_ns))
       OR (EXCLUDED.arrival_tm <> t.arrival_tm OR EXCLUDED.dropped_arrivals IS NOT NULL)
          AND market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                    EXCLUDED.dropped_arrivals || EXCLUDED.arrival_tm,
                                    greatest(t.arrival_tm, EXCLUDED.arrival_tm))
              IS DISTINCT FROM t.dropped_arrivals
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM merged
