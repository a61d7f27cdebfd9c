-- Records a finished refresh of one continuous aggregate ($1) spanning [$2, $3), for status.
INSERT INTO market.aggregate_refreshes AS r (aggregate, refreshed_at, from_day, to_day)
VALUES ($1, clock_timestamp(), $2, $3)
ON CONFLICT (aggregate) DO UPDATE
    SET refreshed_at = EXCLUDED.refreshed_at, from_day = EXCLUDED.from_day, to_day = EXCLUDED.to_day
