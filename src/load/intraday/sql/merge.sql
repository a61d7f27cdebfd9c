-- Upsert one staged intraday file into market.intraday_bars. Bars whose values did not change
-- are not written (the WHERE on DO UPDATE), so a re-load reports them unchanged. Returns how
-- many bars were new and changed, and the first and last changed bar (what the roll-ups redo).
WITH upsert AS (
    INSERT INTO market.intraday_bars AS b (symbol, resolution, ts, open, high, low, close, volume)
    SELECT symbol, resolution, ts, open, high, low, close, volume
    FROM pg_temp.stockdb_intraday_staging
    ON CONFLICT (symbol, resolution, ts) DO UPDATE
        SET open = EXCLUDED.open,
            high = EXCLUDED.high,
            low = EXCLUDED.low,
            close = EXCLUDED.close,
            volume = EXCLUDED.volume
        WHERE (b.open, b.high, b.low, b.close, b.volume)
              IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted, ts
)
SELECT count(*) FILTER (WHERE inserted)     AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated,
       min(ts), max(ts)
FROM upsert
