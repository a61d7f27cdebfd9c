-- Make sure the file's symbol exists; the folder's asset class fills a gap, never overwrites.
-- ON CONFLICT DO UPDATE locks the symbol's row even when its WHERE is false: every load of
-- this symbol waits here until this transaction ends, so two loads of one symbol never
-- interleave (no deadlock between them, and a first load may COPY straight into the table).
INSERT INTO market.symbols AS s (symbol, asset_class)
VALUES ($1, $2)
ON CONFLICT (symbol) DO UPDATE
    SET asset_class = COALESCE(s.asset_class, EXCLUDED.asset_class)
    WHERE s.asset_class IS NULL AND EXCLUDED.asset_class IS NOT NULL
