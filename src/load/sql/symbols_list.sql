-- The symbols of a run's files, listed before the files load (citus tier: symbol_lock.rs says
-- why); $1 symbols, each once, $2 their folders' asset classes, filling gaps only.
INSERT INTO market.symbols AS s (symbol, asset_class)
SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT (symbol) DO UPDATE
    SET asset_class = COALESCE(s.asset_class, EXCLUDED.asset_class)
    WHERE s.asset_class IS NULL AND EXCLUDED.asset_class IS NOT NULL
