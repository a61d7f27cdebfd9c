COPY market.quotes (trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, bid_pr, bid_size, ask_pr, ask_size) FROM STDIN (FORMAT binary)
