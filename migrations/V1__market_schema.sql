-- The market schema: symbols, daily prices and the record of every load attempt.
-- Forward-only (refinery): once applied, this file is never edited; add V2__… instead.

CREATE SCHEMA IF NOT EXISTS market;
COMMENT ON SCHEMA market IS 'Stock market daily prices loaded by stockdb, with symbols and load history';

CREATE TABLE market.symbols (
    symbol           text PRIMARY KEY CHECK (symbol <> '' AND length(symbol) <= 32),
    name             text,
    asset_class      text CHECK (asset_class IN ('stock', 'etf')),
    exchange         text,
    market_category  text,
    round_lot_size   integer,
    is_test_issue    boolean,
    financial_status text,
    nasdaq_traded    boolean,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE market.symbols IS 'One row per ticker symbol: security name and listing facts from symbols_valid_meta.csv when loaded, else only the asset class taken from the folder (stocks/ or etfs/)';
COMMENT ON COLUMN market.symbols.symbol IS 'Ticker symbol, upper case (e.g. MSFT)';
COMMENT ON COLUMN market.symbols.name IS 'Security name as published by Nasdaq (e.g. Microsoft Corporation - Common Stock)';
COMMENT ON COLUMN market.symbols.asset_class IS 'stock or etf';
COMMENT ON COLUMN market.symbols.exchange IS 'Listing exchange code from Nasdaq Trader: Q Nasdaq, N NYSE, A NYSE American, P NYSE Arca, Z Cboe BZX, V IEX';
COMMENT ON COLUMN market.symbols.market_category IS 'Nasdaq market category: Q Global Select, G Global Market, S Capital Market; NULL when not listed on Nasdaq';
COMMENT ON COLUMN market.symbols.round_lot_size IS 'Round lot size in shares';
COMMENT ON COLUMN market.symbols.is_test_issue IS 'True for test securities that are not really traded';
COMMENT ON COLUMN market.symbols.financial_status IS 'Nasdaq financial status code (N normal, D deficient, E delinquent, …); NULL when not given';
COMMENT ON COLUMN market.symbols.nasdaq_traded IS 'True when the security trades on Nasdaq';
COMMENT ON COLUMN market.symbols.updated_at IS 'When stockdb last wrote this row';

CREATE TABLE market.daily_prices (
    symbol    text             NOT NULL,
    day       date             NOT NULL,
    open      double precision NOT NULL,
    high      double precision NOT NULL,
    low       double precision NOT NULL,
    close     double precision NOT NULL,
    adj_close double precision,
    volume    bigint           NOT NULL,
    PRIMARY KEY (symbol, day)
);
COMMENT ON TABLE market.daily_prices IS 'One row per symbol and trading day (daily OHLCV bar), exactly as loaded from the CSV files';
COMMENT ON COLUMN market.daily_prices.symbol IS 'Ticker symbol (see market.symbols)';
COMMENT ON COLUMN market.daily_prices.day IS 'Trading day (a date: daily bars have no time zone)';
COMMENT ON COLUMN market.daily_prices.open IS 'Opening price';
COMMENT ON COLUMN market.daily_prices.high IS 'Highest price of the day';
COMMENT ON COLUMN market.daily_prices.low IS 'Lowest price of the day';
COMMENT ON COLUMN market.daily_prices.close IS 'Closing price (not adjusted)';
COMMENT ON COLUMN market.daily_prices.adj_close IS 'Closing price adjusted for splits and dividends; NULL when the file had no Adj Close column';
COMMENT ON COLUMN market.daily_prices.volume IS 'Number of shares traded';

-- Hypertable where TimescaleDB is present (tiers timescale and apache; DESIGN.md §3).
-- Chunks of 365 days (INTERVAL '1 year' would become 360 days): a per-symbol file covers decades, and small chunks would make every
-- file touch hundreds of chunks (timescaledb #2863). No default time index: the primary key
-- (symbol, day) serves the per-symbol queries, and the extra index costs ~60% of COPY time.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        PERFORM create_hypertable('market.daily_prices', 'day',
                                  chunk_time_interval => INTERVAL '365 days',
                                  create_default_indexes => false);
    END IF;
END
$$;

CREATE TABLE market.load_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path           text        NOT NULL,
    sha256         text,
    symbol         text,
    started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at    timestamptz,
    status         text        NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'succeeded', 'failed', 'rolled_back', 'interrupted')),
    rows_in_file   bigint,
    rows_accepted  bigint,
    rows_rejected  bigint,
    rows_warned    bigint,
    rows_inserted  bigint,
    rows_updated   bigint,
    rows_unchanged bigint,
    rows_in_table  bigint,
    first_day      date,
    last_day       date,
    error          text
);
CREATE INDEX load_runs_symbol_idx ON market.load_runs (symbol, started_at DESC);
COMMENT ON TABLE market.load_runs IS 'One row per file and load attempt, written outside the data transaction so failed loads keep their record';
COMMENT ON COLUMN market.load_runs.id IS 'Attempt number, increasing';
COMMENT ON COLUMN market.load_runs.path IS 'Path of the file as given to stockdb load';
COMMENT ON COLUMN market.load_runs.sha256 IS 'SHA-256 of the file bytes as read (compressed bytes for .csv.gz)';
COMMENT ON COLUMN market.load_runs.symbol IS 'Symbol the file was loaded as';
COMMENT ON COLUMN market.load_runs.started_at IS 'When the attempt started';
COMMENT ON COLUMN market.load_runs.finished_at IS 'When the attempt ended; NULL while running or when the loader died';
COMMENT ON COLUMN market.load_runs.status IS 'running, succeeded, failed (bad input or error: nothing loaded), rolled_back (sanity check failed: nothing loaded), interrupted';
COMMENT ON COLUMN market.load_runs.rows_in_file IS 'Data rows in the file (header excluded)';
COMMENT ON COLUMN market.load_runs.rows_accepted IS 'Rows that passed validation and were written';
COMMENT ON COLUMN market.load_runs.rows_rejected IS 'Bad rows skipped under --max-bad-rows';
COMMENT ON COLUMN market.load_runs.rows_warned IS 'Accepted rows that looked suspicious (zero volume, price <= 0, open/close outside [low, high], high < low, weekend)';
COMMENT ON COLUMN market.load_runs.rows_inserted IS 'Accepted rows whose (symbol, day) was new';
COMMENT ON COLUMN market.load_runs.rows_updated IS 'Accepted rows that changed an existing day';
COMMENT ON COLUMN market.load_runs.rows_unchanged IS 'Accepted rows identical to what the table already held';
COMMENT ON COLUMN market.load_runs.rows_in_table IS 'Rows of the symbol in market.daily_prices after the load';
COMMENT ON COLUMN market.load_runs.first_day IS 'First trading day among the accepted rows';
COMMENT ON COLUMN market.load_runs.last_day IS 'Last trading day among the accepted rows';
COMMENT ON COLUMN market.load_runs.error IS 'Why the attempt failed, with file:line:column where it applies';
