-- Merge the staged trades of one file into market.trades. Within the file the latest arrival
-- of an event wins (the last line between equal arrivals); against the table too (the file
-- wins an equal arrival: the later load). The arrival times that lost are kept in
-- dropped_arrivals. Rows whose values, arrival and dropped set are unchanged are not touched,
-- so a re-load changes nothing. Returns (inserted, updated, events in the file).
WITH staged AS (
    SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id,
           price, size,
           row_number() OVER w AS pick,
           array_agg(arrival_tm) OVER w AS arrivals
    FROM pg_temp.stockdb_event_staging
    WHERE rec_type = 'T'
    WINDOW w AS (PARTITION BY trade_dt, symbol, exchange, event_tm, event_seq_nb
                 ORDER BY arrival_tm DESC, line DESC
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
), winners AS (
    SELECT trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id,
           price, size, market.merge_arrivals(arrivals, '{}', arrival_tm) AS dropped_arrivals
    FROM staged
    WHERE pick = 1
), merged AS (
    INSERT INTO market.trades AS t (trade_dt, symbol, exchange, event_tm, event_seq_nb,
                                    arrival_tm, execution_id, price, size, dropped_arrivals)
    SELECT * FROM winners
    ON CONFLICT (trade_dt, symbol, exchange, event_tm, event_seq_nb) DO UPDATE SET
        arrival_tm = greatest(t.arrival_tm, EXCLUDED.arrival_tm),
        execution_id = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                            THEN EXCLUDED.execution_id ELSE t.execution_id END,
        price = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                     THEN EXCLUDED.price ELSE t.price END,
        size = CASE WHEN EXCLUDED.arrival_tm >= t.arrival_tm
                    THEN EXCLUDED.size ELSE t.size END,
        dropped_arrivals = market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                                 EXCLUDED.dropped_arrivals || EXCLUDED.arrival_tm,
                                                 greatest(t.arrival_tm, EXCLUDED.arrival_tm))
    WHERE EXCLUDED.arrival_tm > t.arrival_tm
       OR (EXCLUDED.arrival_tm = t.arrival_tm
           AND (EXCLUDED.execution_id, EXCLUDED.price, EXCLUDED.size)
               IS DISTINCT FROM (t.execution_id, t.price, t.size))
       OR market.merge_arrivals(t.dropped_arrivals || t.arrival_tm,
                                EXCLUDED.dropped_arrivals || EXCLUDED.arrival_tm,
                                greatest(t.arrival_tm, EXCLUDED.arrival_tm))
          IS DISTINCT FROM t.dropped_arrivals
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted),
       count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM winners)
FROM merged
