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
