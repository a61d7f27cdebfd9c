-- Crosses the loader found in a file's rows ($2..$6, one array per column) and the symbol's
-- running sums after them ($7), for symbol $1; inside the file's transaction.
WITH found AS (
    INSERT INTO market.moving_average_crosses AS c (symbol, day, direction, close, sma_20, sma_200)
    SELECT $1, * FROM unnest($2::date[], $3::text[], $4::float8[], $5::float8[], $6::float8[])
    ON CONFLICT (symbol, day) DO UPDATE
        SET direction = EXCLUDED.direction, close = EXCLUDED.close,
            sma_20 = EXCLUDED.sma_20, sma_200 = EXCLUDED.sma_200
)
UPDATE market.symbol_stats SET close_running_sums = $7 WHERE symbol = $1
