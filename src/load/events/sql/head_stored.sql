-- Whether any (trade date, exchange) of the file's first records ($1, $2: parallel arrays)
-- has events stored by a committed load (market.event_daily is written in the same
-- transaction as the events). None: the direct path may COPY the file into the tables.
SELECT EXISTS (
    SELECT 1
    FROM market.event_daily d
    JOIN unnest($1::date[], $2::text[]) AS h(trade_dt, exchange)
      ON d.trade_dt = h.trade_dt AND d.exchange = h.exchange
)
