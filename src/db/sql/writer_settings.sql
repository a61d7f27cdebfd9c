-- Session settings of every connection stockdb writes on. TimescaleDB stops a transaction
-- whose writes into converted (columnstore) chunks decompress more than 100,000 rows by
-- default; a corrected file of many symbols, or a refresh of every stored median, may need
-- more, and stockdb's transactions are per file, so there is no limit (0). A placeholder
-- setting where TimescaleDB is absent.
SET timescaledb.max_tuples_decompressed_per_dml_transaction = 0;
