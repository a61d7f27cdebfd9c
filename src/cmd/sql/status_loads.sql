-- The most recent load attempts. $1: how many.
SELECT id, path, symbol, status, started_at, finished_at, rows_accepted, rows_inserted,
       rows_updated, rows_unchanged, error
FROM market.load_runs
ORDER BY id DESC
LIMIT $1
