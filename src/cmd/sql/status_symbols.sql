-- Rows and date range per symbol as stockdb counted them, largest first. $1: how many.
SELECT st.symbol, s.asset_class, st.rows, st.first_day, st.last_day
FROM market.symbol_stats st
LEFT JOIN market.symbols s USING (symbol)
ORDER BY st.rows DESC, st.symbol
LIMIT $1
