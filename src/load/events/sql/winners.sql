-- Each event of the staged file once: its latest arrival (the last line between equal
-- arrivals), with the file's other arrival times of it; merge_arrivals (not inlined: ~10 us
-- a call) runs only for events that arrived more than once. Returns the events.
WITH ranked AS (
    SELECT s.*,
           row_number() OVER w AS pick,
           array_agg(s.arrival_tm) OVER w AS arrivals
    FROM pg_temp.stockdb_event_staging s
    WINDOW w AS (PARTITION BY rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb
                 ORDER BY arrival_tm DESC, line DESC
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
), kept AS (
    INSERT INTO pg_temp.stockdb_event_winners
    SELECT rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm,
           execution_id, price, size, bid_pr, bid_size, ask_pr, ask_size,
           event_ns, source, conditions, correction, tape, trf_id, trf_ns, participant_ns, bid_exchange, ask_exchange,
           CASE WHEN cardinality(arrivals) > 1
                THEN market.merge_arrivals(arrivals, '{}', arrival_tm) END
    FROM ranked
    WHERE pick = 1
    RETURNING 1
)
SELECT count(*) FROM kept
