//! The per-file sanity check (DESIGN.md §6): rows in file = accepted + rejected, and every
//! accepted row is in the table with the same values. Runs inside the file's transaction.

use anyhow::Result;
use sqlx::PgConnection;

/// What the table says about one file, after the merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCounts {
    /// Rows in the staging table.
    pub staged: u64,
    /// The file's (symbol, day) keys present with exactly the staged values.
    pub matching: u64,
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
}

/// Queries the table side of the check.
pub async fn table_counts(conn: &mut PgConnection, symbol: &str) -> Result<TableCounts> {
    let (staged, matching, in_table): (i64, i64, i64) =
        sqlx::query_as(include_str!("sql/verify.sql"))
            .bind(symbol)
            .fetch_one(conn)
            .await?;
    Ok(TableCounts {
        staged: staged as u64,
        matching: matching as u64,
        in_table: in_table as u64,
    })
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
    if table.matching != file.accepted {
        problems.push(format!(
            "only {} of {} accepted rows are in market.daily_prices with identical values",
            table.matching, file.accepted
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
    };

    #[test]
    fn passes_when_everything_adds_up() {
        let table = TableCounts {
            staged: 9,
            matching: 9,
            in_table: 100,
        };
        assert_eq!(check(FILE, table), Ok(()));
    }

    #[test]
    fn names_each_mismatch() {
        let table = TableCounts {
            staged: 9,
            matching: 7,
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
}
