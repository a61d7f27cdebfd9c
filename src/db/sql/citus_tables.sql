-- How each of stockdb's tables is distributed: by which column, in which co-location group,
-- over how many shards.
SELECT table_name::text AS name,
       citus_table_type AS kind,
       distribution_column AS column_name,
       colocation_id AS colocation,
       shard_count AS shards,
       access_method::text AS access_method
FROM citus_tables
WHERE table_name::text LIKE 'market.%'
ORDER BY citus_table_type, colocation_id, table_name::text
