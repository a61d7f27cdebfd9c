-- Issue 23: where each price came from, and the corporate actions some sources carry.
--
-- Provenance: each daily and intraday bar names the market.load_runs row of the stockdb load
-- that last inserted or changed it. A re-load that changes nothing leaves it. No foreign key:
-- its check would cost a lookup per row of every COPY, and load_runs rows are never deleted
-- by stockdb. NULL for rows written before this migration or by another tool.
ALTER TABLE market.daily_prices ADD COLUMN load_run_id bigint;
COMMENT ON COLUMN market.daily_prices.load_run_id IS 'market.load_runs.id of the stockdb load that last inserted or changed this row (a re-load that changes nothing leaves it); NULL when written before stockdb recorded it, or by another tool';
ALTER TABLE market.intraday_bars ADD COLUMN load_run_id bigint;
COMMENT ON COLUMN market.intraday_bars.load_run_id IS 'market.load_runs.id of the stockdb load that last inserted or changed this bar (a re-load that changes nothing leaves it); NULL when written before stockdb recorded it, or by another tool';

ALTER TABLE market.load_runs ADD COLUMN rows_kept bigint;
COMMENT ON COLUMN market.load_runs.rows_kept IS 'Accepted rows whose day was already stored with other values and kept as stored (--on-conflict keep)';
ALTER TABLE market.load_runs ADD COLUMN rows_overwritten bigint;
COMMENT ON COLUMN market.load_runs.rows_overwritten IS 'Updated rows that another file (another path) had written last';
ALTER TABLE market.load_runs ADD COLUMN actions bigint;
COMMENT ON COLUMN market.load_runs.actions IS 'Dividends and splits the file carried (rows of market.corporate_actions it names)';

-- Dividends and splits, from files that carry them (yfinance Ticker.history(): Dividends,
-- Stock Splits). A day with neither has no row.
CREATE TABLE market.corporate_actions (
    symbol      text             NOT NULL,
    day         date             NOT NULL,
    dividend    double precision CHECK (dividend > 0),
    split_ratio double precision CHECK (split_ratio > 0),
    load_run_id bigint,
    PRIMARY KEY (symbol, day),
    CHECK (dividend IS NOT NULL OR split_ratio IS NOT NULL)
);
COMMENT ON TABLE market.corporate_actions IS 'Dividends and stock splits per symbol and ex-date, from files that carry them (yfinance Ticker.history() Dividends and Stock Splits columns); a day with neither has no row';
COMMENT ON COLUMN market.corporate_actions.symbol IS 'Ticker symbol (see market.symbols)';
COMMENT ON COLUMN market.corporate_actions.day IS 'Ex-date: the first trading day without the dividend, or the first day at the split''s new share count';
COMMENT ON COLUMN market.corporate_actions.dividend IS 'Cash dividend per share, as the file gives it (yfinance: in the split-adjusted shares of its prices); NULL when none';
COMMENT ON COLUMN market.corporate_actions.split_ratio IS 'New shares per old share (2 for a 2-for-1 split, 0.1 for a 1-for-10 reverse split); NULL when none';
COMMENT ON COLUMN market.corporate_actions.load_run_id IS 'market.load_runs.id of the stockdb load that last inserted or changed this row';

-- An adjusted close for every day. Yahoo documents its Adj Close as the close adjusted for
-- splits and dividends (CRSP method): every close before an ex-dividend date is multiplied by
-- 1 - dividend / (the close of the trading day before it). The closes of the sources stockdb
-- reads (Yahoo, yfinance, Nasdaq.com, Stooq, Kaggle) are already split-adjusted, so splits
-- are not applied a second time; split_factor gives the as-traded close (close * split_factor).
CREATE VIEW market.adjusted_prices AS
WITH dividend_steps AS (
    -- Each dividend's factor, on the last trading day it applies to (the day before the
    -- ex-date); several on one day multiply.
    SELECT a.symbol, p.day, exp(sum(ln(1 - a.dividend / p.close))) AS factor
    FROM market.corporate_actions a
    CROSS JOIN LATERAL (
        SELECT d.day, d.close FROM market.daily_prices d
        WHERE d.symbol = a.symbol AND d.day < a.day
        ORDER BY d.day DESC LIMIT 1
    ) p
    WHERE a.dividend IS NOT NULL AND a.dividend < p.close
    GROUP BY a.symbol, p.day
), split_steps AS (
    SELECT a.symbol, p.day, exp(sum(ln(a.split_ratio))) AS factor
    FROM market.corporate_actions a
    CROSS JOIN LATERAL (
        SELECT d.day FROM market.daily_prices d
        WHERE d.symbol = a.symbol AND d.day < a.day
        ORDER BY d.day DESC LIMIT 1
    ) p
    WHERE a.split_ratio IS NOT NULL
    GROUP BY a.symbol, p.day
), factors AS (
    SELECT d.symbol, d.day, d.close, d.adj_close,
           exp(sum(ln(coalesce(v.factor, 1))) OVER later) AS dividend_factor,
           exp(sum(ln(coalesce(s.factor, 1))) OVER later) AS split_factor
    FROM market.daily_prices d
    LEFT JOIN dividend_steps v ON v.symbol = d.symbol AND v.day = d.day
    LEFT JOIN split_steps s ON s.symbol = d.symbol AND s.day = d.day
    WINDOW later AS (PARTITION BY d.symbol ORDER BY d.day DESC ROWS UNBOUNDED PRECEDING)
)
SELECT symbol,
       day,
       close,
       coalesce(adj_close, close * dividend_factor) AS adj_close,
       CASE WHEN adj_close IS NOT NULL THEN 'file' ELSE 'computed' END AS adj_close_source,
       adj_close AS file_adj_close,
       close * dividend_factor AS computed_adj_close,
       dividend_factor,
       split_factor
FROM factors;
COMMENT ON VIEW market.adjusted_prices IS 'Every day''s adjusted close: the file''s Adj Close where it had one, else the close adjusted for the stored dividends the way Yahoo documents it (CRSP method)';
COMMENT ON COLUMN market.adjusted_prices.symbol IS 'Ticker symbol';
COMMENT ON COLUMN market.adjusted_prices.day IS 'Trading day';
COMMENT ON COLUMN market.adjusted_prices.close IS 'Closing price as stored (split-adjusted by the sources)';
COMMENT ON COLUMN market.adjusted_prices.adj_close IS 'Adjusted close: file_adj_close when the file had one, else computed_adj_close';
COMMENT ON COLUMN market.adjusted_prices.adj_close_source IS 'file (the file''s Adj Close) or computed (from market.corporate_actions)';
COMMENT ON COLUMN market.adjusted_prices.file_adj_close IS 'The Adj Close the file gave; NULL when it had none';
COMMENT ON COLUMN market.adjusted_prices.computed_adj_close IS 'close * dividend_factor: the close adjusted for every later dividend';
COMMENT ON COLUMN market.adjusted_prices.dividend_factor IS 'Product over later ex-dates of 1 - dividend / previous close (1 when no dividend follows)';
COMMENT ON COLUMN market.adjusted_prices.split_factor IS 'Product of the split ratios after this day: close * split_factor is the as-traded close (1 when no split follows)';
