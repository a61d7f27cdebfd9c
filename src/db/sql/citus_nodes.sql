-- The worker nodes (and the coordinator, where it holds shards), with the shards and bytes of
-- stockdb's tables on each.
SELECT n.nodename AS host,
       n.nodeport AS port,
       n.groupid = 0 AS coordinator,
       count(s.shardid) AS shards,
       coalesce(sum(s.shard_size), 0)::bigint AS bytes
FROM pg_dist_node n
LEFT JOIN citus_shards s
       ON s.nodename = n.nodename AND s.nodeport = n.nodeport
      AND s.table_name::text LIKE 'market.%'
WHERE n.isactive AND n.noderole = 'primary' AND (n.groupid <> 0 OR s.shardid IS NOT NULL)
GROUP BY n.nodename, n.nodeport, n.groupid
ORDER BY n.groupid
