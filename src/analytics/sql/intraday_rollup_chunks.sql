-- Creates the chunks of one roll-up's storage ({table}, from intraday_rollup_storage.sql) over
-- [$1, $2): a placeholder row a day (symbol ' ', which no file gives), deleted again before
-- the transaction commits (intraday.rs), so no reader ever sees one. The chunks are a week
-- long or more, so a row a day reaches each of them.
INSERT INTO {table} (symbol, bucket)
SELECT ' ', t
FROM generate_series($1::timestamptz, $2::timestamptz - INTERVAL '1 microsecond', INTERVAL '1 day') AS t
