-- Each of stockdb's time-series tables and its size on disk, where they are plain tables
-- (on the citus tier columnstore.rs sums their shards with citus_total_relation_size).
SELECT c.relname::text AS name,
       pg_total_relation_size(c.oid) AS bytes,
       false AS columnstore,
       NULL::bigint AS total_chunks,
       NULL::bigint AS compressed_chunks,
       NULL::bigint AS before_bytes,
       NULL::bigint AS after_bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'market'
WHERE c.relname IN ('daily_prices', 'intraday_bars', 'trades', 'quotes') AND c.relkind = 'r'
ORDER BY c.relname
