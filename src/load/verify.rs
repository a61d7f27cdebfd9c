//! The per-file sanity check (DESIGN.md §6): rows in file = accepted + rejected, and every
//! accepted row is in the table with the same values. Runs inside the file's transaction.

use crate::db::copy;
use anyhow::Result;
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::PgConnection;
use std::collections::HashMap;

/// What the table says about one file, after the merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCounts {
    /// Rows in the staging table (rows the COPY wrote, when it wrote to the table directly).
    pub staged: u64,
    /// The file's (symbol, day) keys present with exactly the staged values.
    pub matching: u64,
    /// The file's keys present with other values (kept as stored, `--on-conflict keep`).
    pub kept: u64,
    /// Rows of the symbol in the table in all.
    pub in_table: u64,
}

/// What the loader itself counted for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileCounts {
    pub rows_in_file: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Rows the server reported for the COPY.
    pub copied: u64,
    /// Stored rows the merge left with other values than the file's (`--on-conflict keep`).
    pub kept: u64,
}

/// Queries the table side of the check.
/// `adj_known`: the file has an Adj Close column; without one the stored adj_close is kept and
/// not compared.
pub async fn table_counts(
    conn: &mut PgConnection,
    symbol: &str,
    adj_known: bool,
    days: (Option<NaiveDate>, Option<NaiveDate>),
) -> Result<TableCounts> {
    let (staged, matching, kept, in_table): (i64, i64, i64, i64) =
        sqlx::query_as(include_str!("sql/verify.sql"))
            .bind(symbol)
            .bind(adj_known)
            .bind(days.0)
            .bind(days.1)
            .fetch_one(conn)
            .await?;
    Ok(TableCounts {
        staged: staged as u64,
        matching: matching as u64,
        kept: kept as u64,
        in_table: in_table as u64,
    })
}

/// The table side after a COPY straight into `market.daily_prices` (a symbol's first load):
/// reads the symbol's rows back in binary and looks each up among the file's row digests
/// (`digests`: [`copy::digest`] of every accepted row).
pub async fn read_back(
    conn: &mut PgConnection,
    symbol: &str,
    copied: u64,
    mut digests: Vec<u64>,
) -> Result<TableCounts> {
    digests.sort_unstable();
    let mut in_table = 0u64;
    let mut matching = 0u64;
    each_row(conn, symbol, |values| {
        in_table += 1;
        // Days are unique in the table, so each digest is found at most once.
        if digests.binary_search(&copy::digest(values)).is_ok() {
            matching += 1;
        }
    })
    .await?;
    Ok(TableCounts {
        staged: copied,
        matching,
        kept: 0,
        in_table,
    })
}

/// The symbol's rows already in the table, as day → [`copy::digest`] of the values: a re-load
/// sends only the file's rows that are new or differ, and counts the others as verified
/// unchanged (read in the same transaction, under the symbol's lock). Without `adj_known` (the
/// file has no Adj Close column) adj_close reads as NULL, as the file's rows encode it.
pub async fn known_rows(
    conn: &mut PgConnection,
    symbol: &str,
    adj_known: bool,
) -> Result<HashMap<NaiveDate, u64>> {
    let mut known = HashMap::new();
    let mut undated = false;
    let sql = if adj_known {
        include_str!("sql/read_back.sql")
    } else {
        include_str!("sql/read_back_without_adj_close.sql")
    };
    each_tuple(conn, sql, symbol, None, |values| {
        match copy::day_of(values) {
            Some(day) => {
                known.insert(day, copy::digest(values));
            }
            None => undated = true,
        }
    })
    .await?;
    anyhow::ensure!(!undated, "reading back {symbol}: a row without a date");
    Ok(known)
}

/// Streams the symbol's rows from `market.daily_prices` in binary, each tuple's values to `each`.
async fn each_row(conn: &mut PgConnection, symbol: &str, each: impl FnMut(&[u8])) -> Result<()> {
    each_tuple(conn, include_str!("sql/read_back.sql"), symbol, None, each).await
}

/// Streams the tuples of a `COPY ... TO STDOUT (FORMAT binary)` of one symbol's rows (`:'symbol'`
/// and `:'resolution'` in `sql`: [`copy::with_literals`]), each tuple's values to `each`.
pub async fn each_tuple(
    conn: &mut PgConnection,
    sql: &str,
    symbol: &str,
    resolution: Option<&str>,
    mut each: impl FnMut(&[u8]),
) -> Result<()> {
    let sql = copy::with_literals(
        sql,
        &[("symbol", symbol), ("resolution", resolution.unwrap_or(""))],
    );
    let mut tuples = copy::TupleReader::default();
    let mut stream = conn.copy_out_raw(&sql).await?;
    while let Some(chunk) = stream.try_next().await? {
        tuples.feed(&chunk, &mut each).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// Compares both sides; `Err` says every mismatch found.
pub fn check(file: FileCounts, table: TableCounts) -> Result<(), String> {
    let mut problems = Vec::new();
    if file.rows_in_file != file.accepted + file.rejected {
        problems.push(format!(
            "rows in file {} != accepted {} + rejected {}",
            file.rows_in_file, file.accepted, file.rejected
        ));
    }
    if file.copied != file.accepted {
        problems.push(format!(
            "the server received {} rows, the loader accepted {}",
            file.copied, file.accepted
        ));
    }
    if table.staged != file.accepted {
        problems.push(format!(
            "{} rows staged, {} accepted",
            table.staged, file.accepted
        ));
    }
    // Under --on-conflict keep, the kept rows are the ones expected to differ.
    let expected = file.accepted.saturating_sub(file.kept);
    if table.matching != expected {
        problems.push(format!(
            "only {} of {expected} accepted rows are in market.daily_prices with identical values",
            table.matching,
        ));
    }
    if table.kept != file.kept {
        problems.push(format!(
            "{} stored rows differ from the file, {} were to be kept as stored",
            table.kept, file.kept
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("sanity check failed: {}", problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: FileCounts = FileCounts {
        rows_in_file: 10,
        accepted: 9,
        rejected: 1,
        copied: 9,
        kept: 0,
    };

    #[test]
    fn passes_when_everything_adds_up() {
        let table = TableCounts {
            staged: 9,
            matching: 9,
            kept: 0,
            in_table: 100,
        };
        assert_eq!(check(FILE, table), Ok(()));
    }

    #[test]
    fn names_each_mismatch() {
        let table = TableCounts {
            staged: 9,
            matching: 7,
            kept: 0,
            in_table: 100,
        };
        assert_eq!(
            check(FILE, table).unwrap_err(),
            "sanity check failed: only 7 of 9 accepted rows are in market.daily_prices with identical values"
        );
        let lost = FileCounts {
            rows_in_file: 11,
            ..FILE
        };
        assert!(
            check(lost, table)
                .unwrap_err()
                .contains("rows in file 11 != accepted 9 + rejected 1")
        );
    }

    #[test]
    fn kept_rows_count_only_when_the_merge_kept_them() {
        // --on-conflict keep: 2 stored rows differ from the file and were meant to.
        let kept = FileCounts { kept: 2, ..FILE };
        let table = TableCounts {
            staged: 9,
            matching: 7,
            kept: 2,
            in_table: 100,
        };
        assert_eq!(check(kept, table), Ok(()));
        // The same table after a merge that was to update every row: 2 rows were not written.
        let message = check(FILE, table).unwrap_err();
        assert!(
            message.contains("only 7 of 9 accepted rows")
                && message.contains("2 stored rows differ from the file, 0 were to be kept"),
            "{message}"
        );
    }
}
