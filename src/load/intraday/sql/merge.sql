-- Upsert one staged intraday file into market.intraday_bars. Bars whose values did not change
-- are not written (the WHERE on DO UPDATE), so a re-load reports them unchanged. $1: stored
-- bars may take the file's values (--on-conflict update; false inserts new bars only). Every bar written takes the staged
-- load_run_id (this load's market.load_runs id).
-- Returns how many bars were new and changed, and the first and last changed bar (what the
-- roll-ups redo). It reads no hypertable besides its own conflict checks: overwritten.sql
-- counts the bars another file wrote, before it, and says why.
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
        WHERE $1
          AND (b.open, b.high, b.low, b.close, b.volume)
              IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted, ts
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated,
       min(ts), max(ts)
FROM upsert
