-- The groups of an event file, as the parse collected them ($1, $2, $3:
-- parallel arrays of trade date, symbol and exchange), numbered from 1 in that order: the
-- read-backs (read_back_*.sql) send a stored row's group as its number.
INSERT INTO pg_temp.stockdb_event_groups (trade_dt, symbol, exchange, n)
SELECT d, s, x, n::integer
FROM unnest($1::date[], $2::text[], $3::text[]) WITH ORDINALITY AS u(d, s, x, n)
