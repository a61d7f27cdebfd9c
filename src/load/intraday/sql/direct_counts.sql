-- The sanity check after a COPY straight into market.intraday_bars ($1 symbol, $2 resolution,
-- which had no bars before): count, volume sum (as text, exact), first and last bar.
SELECT count(*), sum(volume)::text, min(ts), max(ts)
FROM market.intraday_bars
WHERE symbol = $1 AND resolution = $2
