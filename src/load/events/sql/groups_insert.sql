-- The groups of an event file, as the parse collected them ($1, $2, $3:
-- parallel arrays of trade date, symbol and exchange).
INSERT INTO pg_temp.stockdb_event_groups
SELECT * FROM unnest($1::date[], $2::text[], $3::text[])
