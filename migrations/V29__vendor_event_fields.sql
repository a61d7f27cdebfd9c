-- Issue 44: trades and quotes from vendors' full-market day files (Polygon/Massive flat files,
-- Databento CSV, NYSE Daily TAQ) land in the same market.trades and market.quotes as the
-- exchange files of issue 12, with the fields those files carry.
--
-- A field a file's layout does not have is NULL (unknown). A field the layout has but a row
-- leaves empty is stored as what the vendor means by it: no conditions is '{}', no correction
-- is 0, a trade not reported through a TRF has trf_id ''. `source` names the layout, so which
-- fields a row can know is in docs/events.md's table.
--
-- event_ns is the event's time as the file gives it, in nanoseconds since the epoch:
-- timestamptz keeps microseconds, so event_tm is event_ns cut to the microsecond (floor), and
-- a bucket of event_tm is the bucket of the nanosecond time. Rows stored before this
-- migration get the nanoseconds of their event_tm (their files gave no finer time).
ALTER TABLE market.trades
    ADD COLUMN event_ns       bigint,
    ADD COLUMN source         text COLLATE "C",
    ADD COLUMN conditions     text[] COLLATE "C",
    ADD COLUMN correction     smallint,
    ADD COLUMN tape           text COLLATE "C",
    ADD COLUMN trf_id         text COLLATE "C",
    ADD COLUMN trf_ns         bigint,
    ADD COLUMN participant_ns bigint;
ALTER TABLE market.quotes
    ADD COLUMN event_ns       bigint,
    ADD COLUMN source         text COLLATE "C",
    ADD COLUMN conditions     text[] COLLATE "C",
    ADD COLUMN tape           text COLLATE "C",
    ADD COLUMN participant_ns bigint,
    ADD COLUMN bid_exchange   text COLLATE "C",
    ADD COLUMN ask_exchange   text COLLATE "C",
    -- A one-sided quote (Databento's null price, a TAQ side of 0) keeps NULL for the missing side.
    ALTER COLUMN bid_pr DROP NOT NULL,
    ALTER COLUMN ask_pr DROP NOT NULL;

UPDATE market.trades SET event_ns = (extract(epoch FROM event_tm) * 1000000)::bigint * 1000
WHERE event_ns IS NULL;
UPDATE market.quotes SET event_ns = (extract(epoch FROM event_tm) * 1000000)::bigint * 1000
WHERE event_ns IS NULL;

COMMENT ON COLUMN market.trades.event_ns IS 'Event time in nanoseconds since 1970-01-01 UTC, exactly as the file gives it (Polygon sip_timestamp, Databento ts_event, TAQ Time on the file''s date in New York); event_tm is this cut to the microsecond';
COMMENT ON COLUMN market.trades.source IS 'Layout of the file the row came from: polygon, databento, taq, or NULL for the exchange files of issue 12; says which vendor fields the row can know (docs/events.md)';
COMMENT ON COLUMN market.trades.conditions IS 'The vendor''s sale condition codes (Polygon numbers, TAQ letters); ''{}'' none; NULL when the file has no such field';
COMMENT ON COLUMN market.trades.correction IS 'Correction indicator (Polygon correction, TAQ Trade Correction Indicator): 0 a regular trade; NULL when the file has no such field';
COMMENT ON COLUMN market.trades.tape IS 'SIP tape (Polygon 1 = A NYSE, 2 = B NYSE Arca/American/regional, 3 = C Nasdaq; TAQ Source of Trade C/N); NULL when unknown';
COMMENT ON COLUMN market.trades.trf_id IS 'Trade Reporting Facility that reported an off-exchange trade; '''' when not through a TRF; NULL when the file has no such field';
COMMENT ON COLUMN market.trades.trf_ns IS 'Time the TRF received the trade, nanoseconds since the epoch; NULL when none';
COMMENT ON COLUMN market.trades.participant_ns IS 'Time the exchange or TRF says the trade happened, nanoseconds since the epoch; NULL when the file has none';
COMMENT ON COLUMN market.trades.exchange IS 'Exchange that reported the event: a name in exchange files, the vendor''s code in vendor files (Polygon id, Databento publisher_id, TAQ participant letter; market.exchanges names them)';
COMMENT ON COLUMN market.trades.execution_id IS 'Trade id when the file gives one (Polygon id, TAQ Trade Id, JSON files, the sectioned sample)';
COMMENT ON COLUMN market.trades.event_seq_nb IS 'Sequence number of the event in its stream (Polygon sequence_number, Databento sequence, TAQ Sequence Number)';
COMMENT ON COLUMN market.quotes.event_ns IS 'Event time in nanoseconds since 1970-01-01 UTC, exactly as the file gives it; event_tm is this cut to the microsecond';
COMMENT ON COLUMN market.quotes.source IS 'Layout of the file the row came from: polygon, databento, taq, or NULL for the exchange files of issue 12';
COMMENT ON COLUMN market.quotes.conditions IS 'The vendor''s quote condition codes; ''{}'' none; NULL when the file has no such field';
COMMENT ON COLUMN market.quotes.tape IS 'SIP tape, when the file gives it';
COMMENT ON COLUMN market.quotes.participant_ns IS 'Time the exchange says the quote was made, nanoseconds since the epoch; NULL when the file has none';
COMMENT ON COLUMN market.quotes.bid_exchange IS 'Exchange of the bid (vendor code), when the file gives one apart from exchange';
COMMENT ON COLUMN market.quotes.ask_exchange IS 'Exchange of the ask (vendor code), when the file gives one apart from exchange';
COMMENT ON COLUMN market.quotes.bid_pr IS 'Bid price; NULL for a quote without a bid';
COMMENT ON COLUMN market.quotes.ask_pr IS 'Ask price; NULL for a quote without an ask';

-- The vendors' exchange codes, from their published lists (Polygon's /v3/reference/exchanges,
-- Databento's publisher ids of US equities, the participant letters of the NYSE Daily TAQ specification).
CREATE TABLE market.exchanges (
    source text COLLATE "C" NOT NULL,
    code   text COLLATE "C" NOT NULL,
    mic    text COLLATE "C",
    name   text             NOT NULL,
    PRIMARY KEY (source, code)
);
COMMENT ON TABLE market.exchanges IS 'Exchange codes of each vendor layout (source, code) with the venue''s ISO 10383 MIC and name: join on (source, exchange) of market.trades / market.quotes';
COMMENT ON COLUMN market.exchanges.source IS 'Vendor layout: polygon, databento or taq';
COMMENT ON COLUMN market.exchanges.code IS 'The code as the vendor''s files write it';
COMMENT ON COLUMN market.exchanges.mic IS 'ISO 10383 market identifier code of the venue';
COMMENT ON COLUMN market.exchanges.name IS 'Venue name';

INSERT INTO market.exchanges (source, code, mic, name) VALUES
    ('polygon', '1', 'XASE', 'NYSE American'),
    ('polygon', '2', 'XBOS', 'Nasdaq BX'),
    ('polygon', '3', 'XCIS', 'NYSE National'),
    ('polygon', '4', 'XADF', 'FINRA Alternative Display Facility and Trade Reporting Facilities'),
    ('polygon', '5', NULL, 'UTP SIP (Unlisted Trading Privileges)'),
    ('polygon', '6', 'XISE', 'International Securities Exchange'),
    ('polygon', '7', 'EDGA', 'Cboe EDGA'),
    ('polygon', '8', 'EDGX', 'Cboe EDGX'),
    ('polygon', '9', 'XCHI', 'NYSE Chicago'),
    ('polygon', '10', 'XNYS', 'New York Stock Exchange'),
    ('polygon', '11', 'ARCX', 'NYSE Arca'),
    ('polygon', '12', 'XNAS', 'Nasdaq'),
    ('polygon', '13', NULL, 'CTA SIP (Consolidated Tape Association)'),
    ('polygon', '14', 'LTSE', 'Long-Term Stock Exchange'),
    ('polygon', '15', 'IEXG', 'Investors Exchange'),
    ('polygon', '16', 'CBSX', 'Cboe Stock Exchange'),
    ('polygon', '17', 'XPHL', 'Nasdaq PSX'),
    ('polygon', '18', 'BATY', 'Cboe BYX'),
    ('polygon', '19', 'BATS', 'Cboe BZX'),
    ('polygon', '20', 'EPRL', 'MIAX Pearl'),
    ('polygon', '21', 'MEMX', 'Members Exchange'),
    ('polygon', '62', 'OOTC', 'OTC Equity Security'),
    ('taq', 'A', 'XASE', 'NYSE American'),
    ('taq', 'B', 'XBOS', 'Nasdaq BX'),
    ('taq', 'C', 'XCIS', 'NYSE National'),
    ('taq', 'D', 'XADF', 'FINRA Alternative Display Facility and Trade Reporting Facilities'),
    ('taq', 'H', 'EPRL', 'MIAX Pearl'),
    ('taq', 'I', 'XISE', 'International Securities Exchange'),
    ('taq', 'J', 'EDGA', 'Cboe EDGA'),
    ('taq', 'K', 'EDGX', 'Cboe EDGX'),
    ('taq', 'L', 'LTSE', 'Long-Term Stock Exchange'),
    ('taq', 'M', 'XCHI', 'NYSE Chicago'),
    ('taq', 'N', 'XNYS', 'New York Stock Exchange'),
    ('taq', 'P', 'ARCX', 'NYSE Arca'),
    ('taq', 'Q', 'XNAS', 'Nasdaq'),
    ('taq', 'S', NULL, 'Consolidated Tape System'),
    ('taq', 'T', 'XNAS', 'Nasdaq (UTP)'),
    ('taq', 'U', 'MEMX', 'Members Exchange'),
    ('taq', 'V', 'IEXG', 'Investors Exchange'),
    ('taq', 'W', 'CBSX', 'Cboe Stock Exchange'),
    ('taq', 'X', 'XPHL', 'Nasdaq PSX'),
    ('taq', 'Y', 'BATY', 'Cboe BYX'),
    ('taq', 'Z', 'BATS', 'Cboe BZX'),
    ('databento', '2', 'XNAS', 'Nasdaq TotalView-ITCH'),
    ('databento', '3', 'XBOS', 'Nasdaq BX TotalView-ITCH'),
    ('databento', '4', 'XPSX', 'Nasdaq PSX TotalView-ITCH'),
    ('databento', '5', 'BATS', 'Cboe BZX Depth'),
    ('databento', '6', 'BATY', 'Cboe BYX Depth'),
    ('databento', '7', 'EDGA', 'Cboe EDGA Depth'),
    ('databento', '8', 'EDGX', 'Cboe EDGX Depth'),
    ('databento', '9', 'XNYS', 'NYSE Integrated'),
    ('databento', '10', 'XCIS', 'NYSE National Integrated'),
    ('databento', '11', 'XASE', 'NYSE American Integrated'),
    ('databento', '12', 'XCHI', 'NYSE Chicago Integrated'),
    ('databento', '13', 'XCIS', 'NYSE National BBO'),
    ('databento', '14', 'XCIS', 'NYSE National Trades'),
    ('databento', '15', 'MEMX', 'MEMX Memoir Depth'),
    ('databento', '16', 'EPRL', 'MIAX Pearl Depth'),
    ('databento', '17', 'FINN', 'FINRA/Nasdaq TRF Carteret'),
    ('databento', '18', 'FINC', 'FINRA/Nasdaq TRF Chicago'),
    ('databento', '19', 'FINY', 'FINRA/NYSE TRF');
