-- The trades of the file's (trade date, symbol, exchange) groups, read back for the copy
-- path's sanity check (direct.rs) and a re-load's comparison (compare.rs), within the file's
-- event times (:'event_from' and :'event_to', literals: COPY takes no parameters).
-- Each row comes as its group's number in pg_temp.stockdb_event_groups, then the rest of
-- the columns copy_trades.sql writes, in its binary form, then its dropped arrivals (digest.rs):
-- the number spares the server writing three columns of every row.
COPY (
    SELECT g.n, x.event_tm, x.event_seq_nb, x.arrival_tm,
           x.execution_id, x.price, x.size,
           x.event_ns, x.source, x.conditions, x.correction, x.tape, x.trf_id, x.trf_ns, x.participant_ns, x.dropped_arrivals
    FROM market.trades x
    JOIN pg_temp.stockdb_event_groups g USING (trade_dt, symbol, exchange)
    WHERE x.event_tm BETWEEN :'event_from'::timestamptz
                         AND :'event_to'::timestamptz
) TO STDOUT (FORMAT binary)
