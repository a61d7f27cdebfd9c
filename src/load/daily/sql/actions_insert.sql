-- A file's dividends and splits into market.corporate_actions where none are stored for their
-- days (--on-conflict keep or error; actions_merge.sql says the parameters).
INSERT INTO market.corporate_actions (symbol, day, dividend, split_ratio, load_run_id)
SELECT $1::text, g.day, g.dividend, g.split_ratio, $5::bigint
FROM unnest($2::date[], $3::float8[], $4::float8[]) AS g(day, dividend, split_ratio)
ON CONFLICT (symbol, day) DO NOTHING
