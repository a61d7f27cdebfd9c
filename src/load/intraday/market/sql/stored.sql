-- Whether market.intraday_bars holds any bar at this resolution ($1) in the file's New York
-- day [$2, $3): none, and the file's bars COPY straight into the table.
SELECT EXISTS (SELECT 1 FROM market.intraday_bars WHERE resolution = $1 AND ts >= $2 AND ts < $3)
