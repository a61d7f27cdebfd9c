-- When stockdb last refreshed each continuous aggregate (timescale tier; issue 9), for
-- `stockdb status`. TimescaleDB's own refresh policies keep their runs in
-- timescaledb_information.job_stats; status shows the later of the two.
CREATE TABLE market.aggregate_refreshes (
    aggregate    text        PRIMARY KEY,
    refreshed_at timestamptz NOT NULL,
    from_day     date        NOT NULL,
    to_day       date        NOT NULL
);
COMMENT ON TABLE market.aggregate_refreshes IS 'Last refresh of each continuous aggregate by stockdb (timescale tier): when, and the span it covered. Empty on the other tiers, where the loader writes the aggregate tables inside each load';
COMMENT ON COLUMN market.aggregate_refreshes.aggregate IS 'Continuous aggregate, e.g. market_agg.weekly (behind market.weekly_prices)';
COMMENT ON COLUMN market.aggregate_refreshes.refreshed_at IS 'When the last refresh by stockdb finished';
COMMENT ON COLUMN market.aggregate_refreshes.from_day IS 'First day of the span of the last refresh';
COMMENT ON COLUMN market.aggregate_refreshes.to_day IS 'Day after the span of the last refresh';
