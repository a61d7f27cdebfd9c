-- Empties the four period aggregate tables for one symbol ($1) in one statement, before the
-- loader writes the rows it computed for the symbol's first load.
WITH weekly AS (DELETE FROM market.weekly_prices WHERE symbol = $1),
     monthly AS (DELETE FROM market.monthly_prices WHERE symbol = $1),
     quarterly AS (DELETE FROM market.quarterly_prices WHERE symbol = $1),
     yearly AS (DELETE FROM market.yearly_prices WHERE symbol = $1)
SELECT 1
