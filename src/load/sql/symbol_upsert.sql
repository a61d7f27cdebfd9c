-- Make sure the file's symbol exists; the folder's asset class fills a gap, never overwrites.
INSERT INTO market.symbols AS s (symbol, asset_class)
VALUES ($1, $2)
ON CONFLICT (symbol) DO UPDATE
    SET asset_class = COALESCE(s.asset_class, EXCLUDED.asset_class)
    WHERE s.asset_class IS NULL AND EXCLUDED.asset_class IS NOT NULL
