-- True when a load of the file at $1 succeeded after its last modification ($2): a folder
-- follow restarted leaves it alone.
SELECT EXISTS (
    SELECT 1 FROM market.load_runs
     WHERE path = $1 AND status = 'succeeded' AND finished_at >= $2
)
