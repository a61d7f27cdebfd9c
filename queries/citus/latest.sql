-- name: latest
-- description: Every symbol's last daily bar, with its change against the previous close
-- param: symbol text optional - one symbol; every symbol when absent
-- The citus tier's form of queries/latest.sql, with the same rows. Citus takes no LIMIT in a
-- lateral subquery of a reference table (market.symbols), so the symbols come from the
-- prices themselves, joined to market.symbols on every worker: each worker then reads the
-- last two days of each of its symbols, all workers at once. With a symbol it is one shard's
-- query.
SELECT st.symbol,
       last.day,
       last.open,
       last.high,
       last.low,
       last.close,
       last.volume,
       last.previous_close,
       last.close - last.previous_close AS change,
       CASE WHEN last.previous_close <> 0 THEN (last.close / last.previous_close - 1) * 100 END AS change_percent
FROM (SELECT DISTINCT d.symbol
      FROM market.daily_prices d
      JOIN market.symbols s ON s.symbol = d.symbol
      WHERE $1::text IS NULL OR d.symbol = $1) st
CROSS JOIN LATERAL (
    SELECT t.day, t.open, t.high, t.low, t.close, t.volume,
           lead(t.close) OVER (ORDER BY t.day DESC) AS previous_close
    FROM (SELECT d.day, d.open, d.high, d.low, d.close, d.volume
          FROM market.daily_prices d
          WHERE d.symbol = st.symbol
          ORDER BY d.day DESC
          LIMIT 2) t
    ORDER BY t.day DESC
    LIMIT 1
) last
ORDER BY st.symbol;
