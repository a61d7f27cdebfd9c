-- The events daily_add.sql would add ($1 as there): it adds them only when these are exactly
-- the events the merge inserted.
SELECT (SELECT count(*) FROM pg_temp.stockdb_event_winners WHERE NOT $1)
     + (SELECT count(*) FROM pg_temp.stockdb_event_writes WHERE $1 AND NOT stored)
