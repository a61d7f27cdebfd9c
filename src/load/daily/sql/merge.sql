-- Upsert the staged file into daily_prices. Rows whose values did not change are not
-- written at all (the WHERE on DO UPDATE), so a re-load is cheap and reports them unchanged.
-- $1: symbol. $2: the file has an Adj Close column; without one, adj_close is unknown, not
-- NULL: stored values are kept and not compared (issue 23), and new days get NULL.
-- $3: this load's market.load_runs id, written on every row it inserts or changes.
-- $4: stored days may take the file's values (--on-conflict update); false inserts new days
-- only.
-- Returns how many keys were new (inserted) and how many changed (updated). It reads no
-- hypertable besides its own conflict checks (overwritten.sql says why); the days another
-- file wrote are counted by overwritten.sql before it.
WITH upsert AS (
    INSERT INTO market.daily_prices AS d (symbol, day, open, high, low, close, adj_close, volume, load_run_id)
    SELECT $1, s.day, s.open, s.high, s.low, s.close, s.adj_close, s.volume, $3
    FROM pg_temp.stockdb_staging s
    ON CONFLICT (symbol, day) DO UPDATE
        SET open = EXCLUDED.open,
            high = EXCLUDED.high,
            low = EXCLUDED.low,
            close = EXCLUDED.close,
            adj_close = CASE WHEN $2 THEN EXCLUDED.adj_close ELSE d.adj_close END,
            volume = EXCLUDED.volume,
            load_run_id = EXCLUDED.load_run_id
        WHERE $4
          AND (d.open, d.high, d.low, d.close, CASE WHEN $2 THEN d.adj_close END, d.volume)
              IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                                CASE WHEN $2 THEN EXCLUDED.adj_close END, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upsert
