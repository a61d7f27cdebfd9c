-- A followed file found truncated or replaced ($1 key, $2 why, $3 its inode now): recorded, and
-- its mark set back to its start, so that a restart before the next commit reads it from there.
UPDATE market.follow_offsets
   SET restarts = restarts + 1, restarted_at = clock_timestamp(), restart_reason = $2,
       inode = $3, byte_offset = 0, line = 0
 WHERE source = $1
