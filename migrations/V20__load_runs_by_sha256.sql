-- A re-loaded event file is compared with the stored events only when a committed load stored
-- its bytes before (src/load/events/compare.rs asks by SHA-256 for every such file).
CREATE INDEX load_runs_sha256_idx ON market.load_runs (sha256) WHERE status = 'succeeded';
