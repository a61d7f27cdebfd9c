-- Upsert a file's dividends and splits into market.corporate_actions ($1 symbol; $2 days, $3
-- dividends, $4 split ratios, NULL where the file has none; $5 this load's run id), stored
-- actions taking the file's values (--on-conflict update; actions_insert.sql otherwise: Citus
-- takes no parameter in the WHERE of DO UPDATE). A NULL keeps the stored value: a file
-- without the column, or saying 0 that day, never removes what another file stored.
INSERT INTO market.corporate_actions AS a (symbol, day, dividend, split_ratio, load_run_id)
SELECT $1::text, g.day, g.dividend, g.split_ratio, $5::bigint
FROM unnest($2::date[], $3::float8[], $4::float8[]) AS g(day, dividend, split_ratio)
ON CONFLICT (symbol, day) DO UPDATE
    SET dividend = coalesce(EXCLUDED.dividend, a.dividend),
        split_ratio = coalesce(EXCLUDED.split_ratio, a.split_ratio),
        load_run_id = EXCLUDED.load_run_id
    WHERE (a.dividend, a.split_ratio) IS DISTINCT FROM
          (coalesce(EXCLUDED.dividend, a.dividend), coalesce(EXCLUDED.split_ratio, a.split_ratio))
