-- The sanity check of an event file: for each event of the file, its latest arrival (the
-- one merge_*.sql kept), the table must hold either those values with that arrival time or a
-- later arrival. Returns (records staged, events in the file, events found as expected).
WITH winners AS (
    SELECT DISTINCT ON (rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb) *
    FROM pg_temp.stockdb_event_staging
    ORDER BY rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb,
             arrival_tm DESC, line DESC
)
SELECT (SELECT count(*) FROM pg_temp.stockdb_event_staging),
       count(*),
       count(*) FILTER (WHERE
           (w.rec_type = 'T' AND EXISTS (
               SELECT 1 FROM market.trades t
                WHERE t.trade_dt = w.trade_dt AND t.symbol = w.symbol
                  AND t.exchange = w.exchange AND t.event_tm = w.event_tm
                  AND t.event_seq_nb = w.event_seq_nb
                  AND (t.arrival_tm > w.arrival_tm
                       OR (t.arrival_tm = w.arrival_tm
                           AND (t.execution_id, t.price, t.size)
                               IS NOT DISTINCT FROM (w.execution_id, w.price, w.size)))))
        OR (w.rec_type = 'Q' AND EXISTS (
               SELECT 1 FROM market.quotes q
                WHERE q.trade_dt = w.trade_dt AND q.symbol = w.symbol
                  AND q.exchange = w.exchange AND q.event_tm = w.event_tm
                  AND q.event_seq_nb = w.event_seq_nb
                  AND (q.arrival_tm > w.arrival_tm
                       OR (q.arrival_tm = w.arrival_tm
                           AND (q.bid_pr, q.bid_size, q.ask_pr, q.ask_size)
                               IS NOT DISTINCT FROM (w.bid_pr, w.bid_size, w.ask_pr, w.ask_size))))))
FROM winners w
