-- The trades of the file's (trade date, symbol, exchange) groups, read back for the copy path's
-- sanity check (direct.rs) and a re-load's comparison (compare.rs): in the columns and binary
-- form copy_trades.sql writes them, then their dropped arrivals, within the file's event times (settings stockdb.event_from and
-- stockdb.event_to: COPY takes no parameters).
COPY (
    SELECT x.trade_dt, x.symbol, x.exchange, x.event_tm, x.event_seq_nb, x.arrival_tm,
           x.execution_id, x.price, x.size, x.dropped_arrivals
    FROM market.trades x
    JOIN pg_temp.stockdb_event_groups g USING (trade_dt, symbol, exchange)
    WHERE x.event_tm BETWEEN current_setting('stockdb.event_from')::timestamptz
                         AND current_setting('stockdb.event_to')::timestamptz
) TO STDOUT (FORMAT binary)
