-- Every relation and column of the market schema with its type and comment, as a BI tool
-- would see them.
SELECT c.relname::text AS relation,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      WHEN 'p' THEN 'table' ELSE c.relkind::text END AS kind,
       a.attname::text AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       coalesce(col_description(c.oid, a.attnum), '') AS comment,
       coalesce(obj_description(c.oid, 'pg_class'), '') AS relation_comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'market' AND c.relkind IN ('r', 'v', 'm', 'p')
ORDER BY c.relname, a.attnum
