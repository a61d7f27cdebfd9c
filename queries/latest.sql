-- name: latest
-- description: Every symbol's last daily bar, with its change against the previous close
-- param: symbol text optional - one symbol; every symbol when absent
-- One index probe per symbol for its last two days (through the primary key), not a scan of
-- the prices: every symbol of a 9M-row table in tens of milliseconds. One probe, not one for
-- the last day and another for the day before: on the columnstore each probe decompresses the
-- symbol's newest batch (2,642 symbols: 107 against 164 ms; 40 against 104 ms in row storage;
-- BENCHMARKS.md). The symbols are those of market.symbols, which every stockdb load
-- fills; a symbol that another tool wrote prices for without a market.symbols row is not
-- listed.
SELECT s.symbol,
       last.day,
       last.open,
       last.high,
       last.low,
       last.close,
       last.volume,
       last.previous_close,
       last.close - last.previous_close AS change,
       CASE WHEN last.previous_close <> 0 THEN (last.close / last.previous_close - 1) * 100 END AS change_percent
FROM market.symbols s
CROSS JOIN LATERAL (
    SELECT t.day, t.open, t.high, t.low, t.close, t.volume,
           lead(t.close) OVER (ORDER BY t.day DESC) AS previous_close
    FROM (SELECT d.day, d.open, d.high, d.low, d.close, d.volume
          FROM market.daily_prices d
          WHERE d.symbol = s.symbol
          ORDER BY d.day DESC
          LIMIT 2) t
    ORDER BY t.day DESC
    LIMIT 1
) last
WHERE $1::text IS NULL OR s.symbol = $1
ORDER BY s.symbol;
