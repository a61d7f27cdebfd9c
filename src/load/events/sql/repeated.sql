-- How many events of the staged file appear more than once in it. Most files hold each event
-- once, and then the winners are the staged rows themselves (winners_unique.sql): a hash
-- aggregate and a copy cost 0.8 s for 500k quotes, the window of winners.sql 1.9 s (issue 25).
SELECT count(*)
FROM (SELECT 1
      FROM pg_temp.stockdb_event_staging
      GROUP BY rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb
      HAVING count(*) > 1) repeated
