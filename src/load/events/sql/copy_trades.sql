COPY market.trades (trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size) FROM STDIN (FORMAT binary)
