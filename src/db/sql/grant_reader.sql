-- Read-only access for a BI login. {role} is replaced by the quoted role name, {database} by
-- the quoted database name (identifiers cannot be bound); {password} by a SCRAM-SHA-256
-- verifier computed by stockdb, so the plain password never reaches the server or its logs.
ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '{password}';
ALTER ROLE {role} SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA market TO {role};
GRANT SELECT ON market.symbols, market.daily_prices, market.moving_averages,
                market.weekly_prices, market.monthly_prices, market.quarterly_prices,
                market.yearly_prices, market.stale_ranges, market.symbol_stats,
                market.moving_average_crosses, market.daily_return_counts,
                market.intraday_bars, market.intraday_5min, market.intraday_15min,
                market.intraday_hourly, market.intraday_daily, market.intraday_stale_ranges,
                market.trades, market.quotes, market.event_daily, market.trade_analytics,
                market.quote_analytics, market.corporate_actions, market.adjusted_prices,
                market.exchanges, market.trade_bars_1min, market.trade_bars_5min,
                market.trade_bars_hourly, market.trade_bars_daily
    TO {role};
-- Tables and views that later migrations create stay readable.
ALTER DEFAULT PRIVILEGES IN SCHEMA market GRANT SELECT ON TABLES TO {role};
-- On Citus the workers run a view's query as the reader, not as the view's owner: the tables
-- under the intraday views must be readable too.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        GRANT SELECT ON market.intraday_5min_rollup, market.intraday_15min_rollup,
                        market.intraday_hourly_rollup, market.intraday_daily_rollup
            TO {role};
    END IF;
END $$;
