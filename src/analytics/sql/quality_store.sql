-- A symbol's quality counts as the loader counted them in a file's rows: $2 false sets them
-- (the symbol's first load), true adds them (days appended after the symbol's last).
-- $1 symbol, $3..$8 the counts in market.symbol_stats' column order.
UPDATE market.symbol_stats
SET zero_volume              = CASE WHEN $2 THEN zero_volume ELSE 0 END + $3,
    price_not_positive       = CASE WHEN $2 THEN price_not_positive ELSE 0 END + $4,
    open_close_outside_range = CASE WHEN $2 THEN open_close_outside_range ELSE 0 END + $5,
    high_below_low           = CASE WHEN $2 THEN high_below_low ELSE 0 END + $6,
    weekend_days             = CASE WHEN $2 THEN weekend_days ELSE 0 END + $7,
    gaps_over_5_weekdays     = CASE WHEN $2 THEN gaps_over_5_weekdays ELSE 0 END + $8
WHERE symbol = $1
