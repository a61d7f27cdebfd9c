-- One symbol's closes with their 20-, 50- and 200-trading-day simple moving averages (NULL
-- until the window is full) and volumes, for the days in [$2, $3]. The windows run over the
-- whole history up to $3, so the first days of the range have their averages too.
-- $1 symbol, $2 first day or NULL, $3 last day or NULL.
WITH prices AS (
    SELECT day, close, volume,
           row_number() OVER w AS n,
           avg(close) OVER (w ROWS 19 PRECEDING) AS sma_20,
           avg(close) OVER (w ROWS 49 PRECEDING) AS sma_50,
           avg(close) OVER (w ROWS 199 PRECEDING) AS sma_200
    FROM market.daily_prices
    WHERE symbol = $1 AND ($3::date IS NULL OR day <= $3)
    WINDOW w AS (ORDER BY day)
)
SELECT day, close, volume,
       CASE WHEN n >= 20 THEN sma_20 END AS sma_20,
       CASE WHEN n >= 50 THEN sma_50 END AS sma_50,
       CASE WHEN n >= 200 THEN sma_200 END AS sma_200
FROM prices
WHERE $2::date IS NULL OR day >= $2
ORDER BY day;
