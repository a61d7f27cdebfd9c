//! The lock every load of one symbol's file takes first: two loads of one symbol never
//! interleave, and a symbol's first load may COPY straight into the table. It also makes sure
//! `market.symbols` lists the symbol.

use super::files::{Kind, PriceFile};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;

/// Advisory-lock class of a symbol's lock on the citus tier ("STSY").
const SYMBOL_LOCK_CLASS: i32 = 0x5354_5359;

/// Holds `symbol`'s lock until `tx` ends and lists it in `market.symbols`, the folder's asset
/// class filling a gap. Where the tables are not distributed, the lock is the symbol's row
/// lock taken by that upsert (sql/symbol_upsert.sql). On Citus, `market.symbols` is a
/// reference table, and a write into one holds a lock that every other writer of it waits
/// for until commit: every file's transaction would run one after the other (measured: 8 jobs
/// took as long as 1). There the lock is an advisory lock on the coordinator, which every
/// loader goes through, and a missing symbol is listed in a transaction of its own on
/// `records`: a file that then fails leaves its symbol listed without prices, as a listing
/// file would.
pub async fn hold(
    tx: &mut PgConnection,
    records: &PgPool,
    symbol: &str,
    asset_class: Option<&str>,
    distributed: bool,
) -> sqlx::Result<()> {
    let upsert = sqlx::query(include_str!("sql/symbol_upsert.sql"))
        .bind(symbol)
        .bind(asset_class);
    if !distributed {
        upsert.execute(&mut *tx).await?;
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(SYMBOL_LOCK_CLASS)
        .bind(symbol)
        .execute(&mut *tx)
        .await?;
    let listed: Option<Option<String>> =
        sqlx::query_scalar("SELECT asset_class FROM market.symbols WHERE symbol = $1")
            .bind(symbol)
            .fetch_optional(&mut *tx)
            .await?;
    let fills_gap = matches!(listed, Some(None)) && asset_class.is_some();
    if listed.is_none() || fills_gap {
        upsert.execute(records).await?;
    }
    Ok(())
}

/// Lists, in one statement, the symbols of the files that take a symbol's lock and name their
/// symbol before they are read (citus tier): a write into a reference table waits for every
/// other one to commit, so one write for the run beats one for each new symbol's file.
pub async fn list_beforehand(records: &PgPool, files: &[PriceFile]) -> sqlx::Result<()> {
    let mut symbols: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for f in files.iter().filter(|f| {
        matches!(f.kind, Kind::Daily | Kind::Intraday) && !f.symbol_in_file && !f.symbol_per_row
    }) {
        let class = symbols.entry(f.symbol.as_str()).or_default();
        if class.is_none() {
            *class = f.asset_class.map(|c| c.as_str());
        }
    }
    if symbols.is_empty() {
        return Ok(());
    }
    let (names, classes): (Vec<&str>, Vec<Option<&str>>) = symbols.into_iter().unzip();
    sqlx::query(include_str!("sql/symbols_list.sql"))
        .bind(names)
        .bind(classes)
        .execute(records)
        .await?;
    Ok(())
}
