-- name: latest
-- description: Every symbol's last daily bar, with its change against the previous close
-- param: symbol text optional - one symbol; every symbol when absent
-- One pair of index probes per symbol (its last two days, through the primary key), not a
-- scan of the prices: every symbol of a 9M-row table in tens of milliseconds. The symbols are
-- those of market.symbols, which every stockdb load fills; a symbol that another tool wrote
-- prices for without a market.symbols row is not listed.
SELECT s.symbol,
       last.day,
       last.open,
       last.high,
       last.low,
       last.close,
       last.volume,
       prev.close AS previous_close,
       last.close - prev.close AS change,
       CASE WHEN prev.close <> 0 THEN (last.close / prev.close - 1) * 100 END AS change_percent
FROM market.symbols s
CROSS JOIN LATERAL (
    SELECT d.day, d.open, d.high, d.low, d.close, d.volume
    FROM market.daily_prices d
    WHERE d.symbol = s.symbol
    ORDER BY d.day DESC
    LIMIT 1
) last
LEFT JOIN LATERAL (
    SELECT d.close
    FROM market.daily_prices d
    WHERE d.symbol = s.symbol AND d.day < last.day
    ORDER BY d.day DESC
    LIMIT 1
) prev ON true
WHERE $1::text IS NULL OR s.symbol = $1
ORDER BY s.symbol;
