-- Upsert one staged intraday file into market.intraday_bars. Bars whose values did not change
-- are not written (the WHERE on DO UPDATE), so a re-load reports them unchanged. $1 symbol,
-- $2 resolution, $3 the file's path, $4 stored bars may take the file's values
-- (--on-conflict update; false inserts new bars only). Every bar written takes the staged
-- load_run_id (this load's market.load_runs id).
-- Returns how many bars were new and changed, how many of the changed ones a file with another
-- path had written last (the outer query reads the table as it was before this statement),
-- and the first and last changed bar (what the roll-ups redo).
WITH upsert AS (
    INSERT INTO market.intraday_bars AS b (symbol, resolution, ts, open, high, low, close, volume, load_run_id)
    SELECT symbol, resolution, ts, open, high, low, close, volume, load_run_id
    FROM pg_temp.stockdb_intraday_staging
    ON CONFLICT (symbol, resolution, ts) DO UPDATE
        SET open = EXCLUDED.open,
            high = EXCLUDED.high,
            low = EXCLUDED.low,
            close = EXCLUDED.close,
            volume = EXCLUDED.volume,
            load_run_id = EXCLUDED.load_run_id
        WHERE $4
          AND (b.open, b.high, b.low, b.close, b.volume)
              IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted, ts
)
SELECT count(*) FILTER (WHERE u.inserted)                      AS inserted,
       count(*) FILTER (WHERE NOT u.inserted)                  AS updated,
       count(*) FILTER (WHERE NOT u.inserted AND r.path <> $3) AS overwritten,
       min(u.ts), max(u.ts)
FROM upsert u
LEFT JOIN market.intraday_bars before
       ON NOT u.inserted AND before.symbol = $1 AND before.resolution = $2 AND before.ts = u.ts
LEFT JOIN market.load_runs r ON r.id = before.load_run_id
