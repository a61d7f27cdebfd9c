-- The event times to read when rewriting the summary of the groups the file touched: the
-- file's ($1, $2) and those the groups held before. Bounding the reads lets TimescaleDB skip
-- the chunks of other days (without it, each group read every chunk's index).
SELECT least(min(d.first_event_tm), $1::timestamptz),
       greatest(max(d.last_event_tm), $2::timestamptz)
FROM market.event_daily d
JOIN pg_temp.stockdb_event_groups g
  USING (trade_dt, symbol, exchange)
