-- Issue 45: `stockdb load --follow FILE` commits a growing file piece by piece, and stores how
-- far it got in the same transaction as the rows, so that a kill at any moment and a restart
-- load every line exactly once.
CREATE TABLE market.follow_offsets (
    source      text        PRIMARY KEY,
    inode       bigint      NOT NULL,
    byte_offset bigint      NOT NULL CHECK (byte_offset >= 0),
    line        bigint      NOT NULL CHECK (line >= 0),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    restarts    bigint      NOT NULL DEFAULT 0,
    restarted_at timestamptz,
    restart_reason text
);
COMMENT ON TABLE market.follow_offsets IS 'How far stockdb load --follow has committed each followed file: written in the transaction of the rows it covers';
COMMENT ON COLUMN market.follow_offsets.source IS 'The followed file, as an absolute path';
COMMENT ON COLUMN market.follow_offsets.inode IS 'The file''s inode when last read: another inode means the file was replaced, and it is read from its start';
COMMENT ON COLUMN market.follow_offsets.byte_offset IS 'Bytes of the file committed (whole lines, the header included)';
COMMENT ON COLUMN market.follow_offsets.line IS 'Lines of the file committed, the header included';
COMMENT ON COLUMN market.follow_offsets.updated_at IS 'When the last piece committed';
COMMENT ON COLUMN market.follow_offsets.restarts IS 'Times the file was found truncated or replaced and read again from its start';
COMMENT ON COLUMN market.follow_offsets.restarted_at IS 'When it was last found truncated or replaced';
COMMENT ON COLUMN market.follow_offsets.restart_reason IS 'Why it was last read from its start (truncated to N bytes, replaced: new inode)';

-- A followed trades file rewrites most of a day's market.event_daily rows at every commit
-- (90,000 groups for 10,000 tickers on 9 exchanges): room on their pages lets those updates
-- stay on the page without new index entries (HOT), where full pages moved every row.
ALTER TABLE market.event_daily SET (fillfactor = 60);
