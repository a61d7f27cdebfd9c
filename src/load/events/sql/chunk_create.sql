-- Creates the chunks of market.quotes and market.trades that hold event time $1, in a
-- transaction of its own (direct.rs): a placeholder row in each (symbol and exchange ' ',
-- which no file gives), deleted again by chunk_placeholders.sql before that transaction
-- commits. TimescaleDB creates a chunk under a lock on its hypertable held to commit, so files
-- that created their chunks inside their own transactions would write one after another.
WITH q AS (
    INSERT INTO market.quotes (trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm,
                               bid_pr, bid_size, ask_pr, ask_size, event_ns)
    VALUES (DATE '2000-01-01', ' ', ' ', $1, 0, $1, 0, 0, 0, 0, 0)
    RETURNING 1
), t AS (
    INSERT INTO market.trades (trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm,
                               price, size, event_ns)
    VALUES (DATE '2000-01-01', ' ', ' ', $1, 0, $1, 0, 0, 0)
    RETURNING 1
)
SELECT (SELECT count(*) FROM q) + (SELECT count(*) FROM t)
