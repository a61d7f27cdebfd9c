-- Whether market.quotes or market.trades has no chunk for the event time $1 yet (TimescaleDB only: the caller
-- asks where timescaledb_information.chunks exists).
SELECT NOT EXISTS (
    SELECT 1
    FROM timescaledb_information.chunks c
    WHERE c.hypertable_schema = 'market' AND c.hypertable_name = 'quotes'
      AND $1 >= c.range_start AND $1 < c.range_end
) OR NOT EXISTS (
    SELECT 1
    FROM timescaledb_information.chunks c
    WHERE c.hypertable_schema = 'market' AND c.hypertable_name = 'trades'
      AND $1 >= c.range_start AND $1 < c.range_end
)
