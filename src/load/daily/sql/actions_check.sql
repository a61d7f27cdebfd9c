-- A file's dividends and splits against market.corporate_actions ($1 symbol; $2 days, $3
-- dividends, $4 split ratios, NULL where the file has none): how many are stored with another
-- value, how many are there with the file's values (a NULL of the file matches any stored
-- value: the merge keeps it), and the first differing day.
WITH given AS (
    SELECT * FROM unnest($2::date[], $3::float8[], $4::float8[]) AS g(day, dividend, split_ratio)
), compared AS (
    SELECT g.day,
           a.day IS NOT NULL
           AND (g.dividend IS NULL OR a.dividend IS NOT DISTINCT FROM g.dividend)
           AND (g.split_ratio IS NULL OR a.split_ratio IS NOT DISTINCT FROM g.split_ratio) AS same,
           a.day IS NOT NULL AS stored
    FROM given g
    LEFT JOIN market.corporate_actions a ON a.symbol = $1::text AND a.day = g.day
)
SELECT count(*) FILTER (WHERE stored AND NOT same) AS differing,
       count(*) FILTER (WHERE same) AS matching,
       min(day) FILTER (WHERE stored AND NOT same) AS first_differing
FROM compared
