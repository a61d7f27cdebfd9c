-- Whether a committed load stored a file of these bytes ($1: its SHA-256) before: only then
-- is a re-load's comparison with the stored events worth its read-back (compare.rs).
-- A --dry-run leaves rows_inserted NULL.
SELECT EXISTS (
    SELECT 1 FROM market.load_runs
    WHERE sha256 = $1 AND status = 'succeeded' AND rows_inserted IS NOT NULL
)
