-- Session settings of every connection stockdb writes on. TimescaleDB stops a transaction
-- whose writes into converted (columnstore) chunks decompress more than 100,000 rows by
-- default; a corrected file of many symbols, or a refresh of every stored median, may need
-- more, and stockdb's transactions are per file, so there is no limit (0). A placeholder
-- setting where TimescaleDB is absent.
SET timescaledb.max_tuples_decompressed_per_dml_transaction = 0;
-- A custom plan for every execution of a prepared statement: TimescaleDB decompresses the
-- columnstore batches a write may touch before the write runs, and with a generic plan it
-- cannot tell the chunks by the parameters' days, so an UPDATE of one day decompressed the
-- symbol's batches in every chunk (every other load of one new day then took 3x as long and
-- re-converted every chunk).
SET plan_cache_mode = force_custom_plan;
-- Keep each converted event chunk's range of trade dates (migration V18), also where the
-- database default could not be set: a chunk converted without it is planned for every day.
SET timescaledb.enable_chunk_skipping = on;
-- On the citus tier, a transaction's statements over many shards use one connection per
-- worker: a market-wide file writes its symbols into the reference table market.symbols after
-- its rows, which Citus refuses after a statement that took several connections to a worker
-- ("there was a parallel operation on a distributed table"). A placeholder elsewhere.
SET citus.multi_shard_modify_mode = sequential;
