-- Upsert the staged file into daily_prices. Rows whose values did not change are not
-- written at all (the WHERE on DO UPDATE), so a re-load is cheap and reports them unchanged.
-- $1: symbol. $2: the file has an Adj Close column; without one, adj_close is unknown, not
-- NULL: stored values are kept and not compared (issue 23), and new days get NULL.
-- $3: this load's market.load_runs id, written on every row it inserts or changes.
-- $4: the file's path. $5: stored days may take the file's values (--on-conflict update);
-- false inserts new days only.
-- Returns how many keys were new (inserted), how many changed (updated), and how many of
-- those a file with another path had written last (overwritten): the outer query reads the
-- table as it was before this statement, as every part of one statement does.
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
        WHERE $5
          AND (d.open, d.high, d.low, d.close, CASE WHEN $2 THEN d.adj_close END, d.volume)
              IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                                CASE WHEN $2 THEN EXCLUDED.adj_close END, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted, day
)
SELECT count(*) FILTER (WHERE u.inserted)                       AS inserted,
       count(*) FILTER (WHERE NOT u.inserted)                   AS updated,
       count(*) FILTER (WHERE NOT u.inserted AND r.path <> $4)  AS overwritten
FROM upsert u
LEFT JOIN market.daily_prices before ON NOT u.inserted AND before.symbol = $1 AND before.day = u.day
LEFT JOIN market.load_runs r ON r.id = before.load_run_id
