//! How this database stores the period aggregates (migration V2 chose it by tier): read by
//! the connection setup, used by the analytics that refresh them.

use anyhow::Result;
use serde::Serialize;
use sqlx::PgConnection;

/// How the period aggregates are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregates {
    /// TimescaleDB continuous aggregates, refreshed after commit over the loaded range.
    Continuous,
    /// Tables written inside the load transaction.
    Tables,
}

/// Reads how migration V2 created the aggregates on this database.
pub async fn detect(conn: &mut PgConnection) -> Result<Aggregates> {
    // relkind is PostgreSQL's one-byte "char", which sqlx decodes as i8.
    let relkind: Option<i8> = sqlx::query_scalar(
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'market' AND c.relname = 'weekly_prices'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    // A continuous aggregate is a view over its materialization hypertable.
    Ok(match relkind.map(|k| k as u8) {
        Some(b'v') => Aggregates::Continuous,
        _ => Aggregates::Tables,
    })
}
