//! What the time-series tables hold on disk, with TimescaleDB's columnstore figures where a
//! table has it on (issue 24). stockdb does not turn the columnstore on yet
//! (docs/not-finished.md): a table a user converted shows its ratio; elsewhere the line says
//! why not.

use super::Tier;
use anyhow::Result;
use serde::Serialize;
use sqlx::PgConnection;

/// One time-series table's storage.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Storage {
    pub name: String,
    /// Bytes on disk, indexes and (on TimescaleDB) every chunk included.
    pub bytes: i64,
    /// True where the table has the columnstore on.
    pub columnstore: bool,
    pub total_chunks: Option<i64>,
    pub compressed_chunks: Option<i64>,
    /// Bytes of the converted chunks before and after conversion.
    pub before_bytes: Option<i64>,
    pub after_bytes: Option<i64>,
}

impl Storage {
    /// How many times smaller the converted chunks are (None: nothing converted).
    pub fn ratio(&self) -> Option<f64> {
        match (self.before_bytes, self.after_bytes) {
            (Some(before), Some(after)) if after > 0 => Some(before as f64 / after as f64),
            _ => None,
        }
    }
}

/// The size of each time-series table, with its columnstore figures where it has them.
pub async fn storage(conn: &mut PgConnection, tier: Tier) -> Result<Vec<Storage>> {
    let sql = if tier.has_hypertables() {
        include_str!("sql/storage.sql")
    } else {
        include_str!("sql/storage_plain.sql")
    };
    Ok(sqlx::query_as(sql).fetch_all(conn).await?)
}
