-- Deletes chunk_create.sql's placeholder rows (event time $1) in the transaction that
-- inserted them: no other session ever sees them.
WITH q AS (
    DELETE FROM market.quotes WHERE symbol = ' ' AND exchange = ' ' AND event_tm = $1
    RETURNING 1
), t AS (
    DELETE FROM market.trades WHERE symbol = ' ' AND exchange = ' ' AND event_tm = $1
    RETURNING 1
)
SELECT (SELECT count(*) FROM q) + (SELECT count(*) FROM t)
