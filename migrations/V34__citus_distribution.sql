-- Issue 46: on the citus tier (the `citus` extension in this database, DESIGN.md §10) the
-- market tables are sharded by symbol over the worker nodes, and the small lookup tables are
-- reference tables copied to every node. Elsewhere this migration does nothing.
--
-- Two co-location groups, because Citus co-locates only tables whose distribution columns
-- share a collation: the prices (daily, intraday and what is built on them; symbol in the
-- database's collation) and the events (trades, quotes, event_daily; symbol COLLATE "C",
-- V13). Within a group one symbol's rows of every table sit on one worker, so its joins and
-- window functions run there. Both groups take the same shard count, so their shards cover
-- the same hash ranges.
--
-- The loader's bookkeeping (load_runs, the stale ranges, aggregate_refreshes, follow_offsets)
-- stays in the coordinator's own tables: each file writes a row or two there, and a
-- distributed write would cost a round trip to a worker for nothing.
DO $$
DECLARE
    t text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    -- Creating shards over several connections and then DDL on the same tables in one
    -- transaction fails ("cannot perform DDL ... over multiple connections"): one at a time.
    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
    -- A table that references market.symbols passes through Citus' local-table form on the way
    -- (when symbols becomes a reference table), which keeps no comments: they are put back.
    CREATE TEMP TABLE stockdb_comments ON COMMIT DROP AS
    SELECT c.oid::regclass::text AS relation, a.attname::text AS column_name,
           col_description(c.oid, a.attnum) AS comment
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'market'
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relkind = 'r' AND col_description(c.oid, a.attnum) IS NOT NULL
    UNION ALL
    SELECT c.oid::regclass::text, NULL, obj_description(c.oid, 'pg_class')
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'market'
    WHERE c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NOT NULL;
    FOREACH t IN ARRAY ARRAY['symbols', 'exchanges'] LOOP
        PERFORM create_reference_table('market.' || t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['daily_prices', 'weekly_prices', 'monthly_prices',
            'quarterly_prices', 'yearly_prices', 'moving_average_crosses',
            'daily_return_counts', 'symbol_stats', 'corporate_actions', 'intraday_bars',
            'intraday_5min_rollup', 'intraday_15min_rollup', 'intraday_hourly_rollup',
            'intraday_daily_rollup'] LOOP
        PERFORM create_distributed_table('market.' || t, 'symbol',
            colocate_with => CASE WHEN t = 'daily_prices' THEN 'default' ELSE 'market.daily_prices' END);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['trades', 'quotes', 'event_daily'] LOOP
        PERFORM create_distributed_table('market.' || t, 'symbol',
            colocate_with => CASE WHEN t = 'trades' THEN 'none' ELSE 'market.trades' END);
    END LOOP;
    FOR t IN SELECT CASE WHEN column_name IS NULL
                         THEN format('COMMENT ON TABLE %s IS %L', relation, comment)
                         ELSE format('COMMENT ON COLUMN %s.%I IS %L', relation, column_name, comment)
                    END
             FROM pg_temp.stockdb_comments LOOP
        EXECUTE t;
    END LOOP;
    -- Functions that queries on the shards call (the trade bars' condition filters) must
    -- exist on the workers.
    PERFORM create_distributed_function(p.oid::regprocedure)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'market' AND p.proname IN ('trade_sets_price', 'trade_sets_volume');
END $$;
