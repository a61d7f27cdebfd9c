-- Writes the 30-day medians refresh_medians.sql computed for symbol $1: $2 the days, $3 their
-- medians (NULL before a symbol's 30th day), $4 and $5 the first and last of the days. The
-- bounds let TimescaleDB skip the chunks, and the columnstore batches, of other days: without
-- them the UPDATE decompressed every batch of the symbol (0.9 s for one appended day).
UPDATE market.daily_prices AS d
SET adj_close_median_30 = m.median
FROM unnest($2::date[], $3::double precision[]) AS m(day, median)
WHERE d.symbol = $1
  AND d.day BETWEEN $4 AND $5
  AND d.day = m.day
