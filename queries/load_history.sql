-- name: load_history
-- description: The most recent load attempts with their counts and errors
-- param: symbol text optional - one symbol; every symbol when absent
-- param: limit int optional=50 - how many attempts
SELECT id AS run, started_at, finished_at, path, symbol, status,
       rows_in_file, rows_accepted, rows_rejected, rows_warned,
       rows_inserted, rows_updated, rows_unchanged, rows_kept, rows_overwritten,
       actions, rows_in_table, error
FROM market.load_runs
WHERE ($1::text IS NULL OR symbol = $1)
ORDER BY id DESC
LIMIT $2;
