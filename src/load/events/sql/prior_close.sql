-- The prior close (last trade price of the previous trade date with trades) of every
-- market.event_daily row of the file's symbols and exchanges from its first trade date
-- on: a load of one day changes the prior close of the days after it.
UPDATE market.event_daily d
   SET prior_close = p.prior_close
  FROM (
    SELECT e.trade_dt, e.symbol, e.exchange,
           (SELECT c.last_trade_pr
              FROM market.event_daily c
             WHERE c.symbol = e.symbol AND c.exchange = e.exchange
               AND c.trade_dt < e.trade_dt AND c.last_trade_pr IS NOT NULL
             ORDER BY c.trade_dt DESC
             LIMIT 1) AS prior_close
      FROM market.event_daily e
      JOIN (SELECT symbol, exchange, min(trade_dt) AS from_dt
              FROM pg_temp.stockdb_event_groups
             GROUP BY symbol, exchange) s
        ON s.symbol = e.symbol AND s.exchange = e.exchange AND e.trade_dt >= s.from_dt
  ) p
 WHERE d.trade_dt = p.trade_dt AND d.symbol = p.symbol AND d.exchange = p.exchange
   AND d.prior_close IS DISTINCT FROM p.prior_close
