-- How far a followed file or stream is committed: stored in the transaction of the rows up to
-- that byte offset and line ($1 key, $2 inode, $3 byte offset, $4 line), so that a restart
-- after a kill reads on from the first line not stored.
INSERT INTO market.follow_offsets AS f (source, inode, byte_offset, line, updated_at)
VALUES ($1, $2, $3, $4, clock_timestamp())
ON CONFLICT (source) DO UPDATE SET
    inode = EXCLUDED.inode, byte_offset = EXCLUDED.byte_offset, line = EXCLUDED.line,
    updated_at = EXCLUDED.updated_at
