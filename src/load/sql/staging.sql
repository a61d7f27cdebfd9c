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
    volume     bigint           NOT NULL,
    load_run_id bigint          NOT NULL
) ON COMMIT DELETE ROWS;

-- The same for a trade/quote event file: both record types in one stream, with the line each
-- came from (the last line wins between two copies with the same arrival time).
CREATE TEMP TABLE IF NOT EXISTS stockdb_event_staging (
    line         bigint           NOT NULL,
    rec_type     "char"           NOT NULL,
    trade_dt     date             NOT NULL,
    symbol       text COLLATE "C" NOT NULL,
    exchange     text COLLATE "C" NOT NULL,
    event_tm     timestamptz      NOT NULL,
    event_seq_nb bigint           NOT NULL,
    arrival_tm   timestamptz      NOT NULL,
    execution_id text,
    price        double precision,
    size         bigint,
    bid_pr       double precision,
    bid_size     bigint,
    ask_pr       double precision,
    ask_size     bigint,
    -- The vendor fields (migration V29), NULL where the file has none.
    event_ns     bigint           NOT NULL,
    source       text COLLATE "C",
    conditions   text[] COLLATE "C",
    correction   smallint,
    tape         text COLLATE "C",
    trf_id       text COLLATE "C",
    trf_ns       bigint,
    participant_ns bigint,
    bid_exchange text COLLATE "C",
    ask_exchange text COLLATE "C"
) ON COMMIT DELETE ROWS;

-- The file's events, each once: its latest arrival, with the arrival times that lost
-- (computed once; the merges, the summary and the check read it).
CREATE TEMP TABLE IF NOT EXISTS stockdb_event_winners (
    rec_type         "char"           NOT NULL,
    trade_dt         date             NOT NULL,
    symbol           text COLLATE "C" NOT NULL,
    exchange         text COLLATE "C" NOT NULL,
    event_tm         timestamptz      NOT NULL,
    event_seq_nb     bigint           NOT NULL,
    arrival_tm       timestamptz      NOT NULL,
    execution_id     text,
    price            double precision,
    size             bigint,
    bid_pr           double precision,
    bid_size         bigint,
    ask_pr           double precision,
    ask_size         bigint,
    event_ns         bigint           NOT NULL,
    source           text COLLATE "C",
    conditions       text[] COLLATE "C",
    correction       smallint,
    tape             text COLLATE "C",
    trf_id           text COLLATE "C",
    trf_ns           bigint,
    participant_ns   bigint,
    bid_exchange     text COLLATE "C",
    ask_exchange     text COLLATE "C",
    dropped_arrivals timestamptz[]
) ON COMMIT DELETE ROWS;

-- The winners the merge writes (src/load/events/sql/writes.sql), each marked stored when the
-- table holds its event already.
CREATE TEMP TABLE IF NOT EXISTS stockdb_event_writes (
    LIKE stockdb_event_winners,
    stored boolean NOT NULL
) ON COMMIT DELETE ROWS;

-- The (trade date, symbol, exchange) groups an event file touched, whichever path wrote it:
-- what market.event_daily is rewritten for, and which exchanges' locks the rewrite takes.
CREATE TEMP TABLE IF NOT EXISTS stockdb_event_groups (
    trade_dt date             NOT NULL,
    symbol   text COLLATE "C" NOT NULL,
    exchange text COLLATE "C" NOT NULL,
    n        integer          NOT NULL  -- the read-backs name a row's group by it
) ON COMMIT DELETE ROWS;

-- The same for a file naming a symbol on every row (vendor day files, long intraday files),
-- with the line each bar came from: repeats of a bar in one file are found here.
CREATE TEMP TABLE IF NOT EXISTS stockdb_market_staging (
    line         bigint           NOT NULL,
    symbol       text             NOT NULL,
    resolution   interval         NOT NULL,
    ts           timestamptz      NOT NULL,
    open         double precision NOT NULL,
    high         double precision NOT NULL,
    low          double precision NOT NULL,
    close        double precision NOT NULL,
    volume       bigint           NOT NULL,
    transactions bigint,
    load_run_id  bigint           NOT NULL
) ON COMMIT DELETE ROWS;
