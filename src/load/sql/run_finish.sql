-- Close a load_runs record. Run inside the data transaction for a success (so the record
-- claims success only if the data commits), outside it for every failure. Only a record
-- still `running` changes: nothing written afterwards can overwrite a committed success.
-- The symbol is written again: a file naming a symbol on each row is known only once read.
UPDATE market.load_runs
   SET finished_at = clock_timestamp(),
       status = $2, sha256 = $3,
       rows_in_file = $4, rows_accepted = $5, rows_rejected = $6, rows_warned = $7,
       rows_inserted = $8, rows_updated = $9, rows_unchanged = $10, rows_in_table = $11,
       first_day = $12, last_day = $13, error = $14, symbol = $15,
       rows_kept = $16, rows_overwritten = $17, actions = $18
 WHERE id = $1 AND status = 'running'
