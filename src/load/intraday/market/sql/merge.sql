-- Upsert the staged bars of a market file into market.intraday_bars. A bar whose values did not
-- change is not written (the WHERE on DO UPDATE). A file without a trade count leaves the stored
-- one (COALESCE). $1: stored bars may take the file's values (--on-conflict update).
-- Returns how many bars were new and changed, and the first and last changed bar.
WITH upsert AS (
    INSERT INTO market.intraday_bars AS b
           (symbol, resolution, ts, open, high, low, close, volume, transactions, load_run_id)
    SELECT symbol, resolution, ts, open, high, low, close, volume, transactions, load_run_id
    FROM pg_temp.stockdb_market_staging
    ON CONFLICT (symbol, resolution, ts) DO UPDATE
        SET open = EXCLUDED.open,
            high = EXCLUDED.high,
            low = EXCLUDED.low,
            close = EXCLUDED.close,
            volume = EXCLUDED.volume,
            transactions = COALESCE(EXCLUDED.transactions, b.transactions),
            load_run_id = EXCLUDED.load_run_id
        WHERE $1
          AND (b.open, b.high, b.low, b.close, b.volume, b.transactions)
              IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                                EXCLUDED.volume, COALESCE(EXCLUDED.transactions, b.transactions))
    RETURNING (xmax = 0) AS inserted, ts
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated,
       min(ts), max(ts)
FROM upsert
