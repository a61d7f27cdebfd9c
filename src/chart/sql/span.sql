-- What one symbol has, for an error that says where its data is: daily days and intraday days.
-- $1 symbol.
SELECT (SELECT min(day) FROM market.daily_prices WHERE symbol = $1) AS first_day,
       (SELECT max(day) FROM market.daily_prices WHERE symbol = $1) AS last_day,
       (SELECT (min(ts) AT TIME ZONE 'America/New_York')::date FROM market.intraday_bars WHERE symbol = $1) AS first_bar_day,
       (SELECT (max(ts) AT TIME ZONE 'America/New_York')::date FROM market.intraday_bars WHERE symbol = $1) AS last_bar_day;
