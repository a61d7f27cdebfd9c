INSERT INTO market.load_runs (path, symbol, status) VALUES ($1, $2, 'running') RETURNING id
