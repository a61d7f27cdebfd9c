-- Per-connection staging table for one file's rows (created once per connection; emptied at
-- each commit). The symbol is not staged: every row of a file has the same one.
CREATE TEMP TABLE IF NOT EXISTS stockdb_staging (
    day       date             NOT NULL,
    open      double precision NOT NULL,
    high      double precision NOT NULL,
    low       double precision NOT NULL,
    close     double precision NOT NULL,
    adj_close double precision,
    volume    bigint           NOT NULL
) ON COMMIT DELETE ROWS;

-- The same for an intraday file's bars (the symbol and resolution are staged: they are the
-- columns of market.intraday_bars, and the COPY tuple is the same for both targets).
CREATE TEMP TABLE IF NOT EXISTS stockdb_intraday_staging (
    symbol     text             NOT NULL,
    resolution interval         NOT NULL,
    ts         timestamptz      NOT NULL,
    open       double precision NOT NULL,
    high       double precision NOT NULL,
    low        double precision NOT NULL,
    close      double precision NOT NULL,
    volume     bigint           NOT NULL
) ON COMMIT DELETE ROWS;
