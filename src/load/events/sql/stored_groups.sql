-- Whether any (trade date, symbol, exchange) group of the staged file already has events, as
-- far as committed loads tell (market.event_daily is written in the same transaction as the
-- events). None: the file's events are new, and a plain INSERT replaces the upsert
-- (insert_new.sql); a concurrent file inserting the same events makes that INSERT fail with
-- a unique violation, and the file then takes the upsert after all.
SELECT EXISTS (
    SELECT 1
    FROM market.event_daily d
    JOIN pg_temp.stockdb_event_groups g USING (trade_dt, symbol, exchange)
)
