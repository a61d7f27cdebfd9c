-- Issue 43: the trade count of a bar, where a vendor's file gives it (Polygon/Massive
-- `transactions`). NULL is unknown: a file without the column leaves a stored count as it is
-- (the merges keep COALESCE(file, stored)), and a file with it fills it in.
ALTER TABLE market.intraday_bars ADD COLUMN transactions bigint;
COMMENT ON COLUMN market.intraday_bars.transactions IS 'Trades in the bar, as the vendor counted them (Polygon/Massive transactions); NULL when no file loaded so far gave it';
ALTER TABLE market.daily_prices ADD COLUMN transactions bigint;
COMMENT ON COLUMN market.daily_prices.transactions IS 'Trades in the day, as the vendor counted them (Polygon/Massive day aggregates); NULL when no file loaded so far gave it';
