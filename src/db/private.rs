//! TimescaleDB's private interfaces, in one place (issue 42). The rest of stockdb uses
//! TimescaleDB's public views and functions; the reads here have no public equivalent and are
//! worth their speed. Each checks that the server has the shape it expects (migrations/V26,
//! `market.timescaledb_private_shapes()`) and, where it does not, takes the public path with
//! the same results, saying so once with `-v`. Never a SQL error for a release whose catalog
//! moved, and never a chunk silently left outside the columnstore.

use anyhow::Result;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use std::sync::atomic::{AtomicBool, Ordering};

/// `STOCKDB_TIMESCALEDB_PRIVATE=off` takes the public paths even where the private shapes are
/// there: what a release without them gets, for the tests that compare the two.
pub fn public_only() -> bool {
    std::env::var("STOCKDB_TIMESCALEDB_PRIVATE").is_ok_and(|v| v == "off")
}

/// One private interface stockdb reads, and whether this server has it as expected.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Shape {
    /// `chunk_status`, `compressed_chunk` or `invalidation_logs`.
    pub shape: String,
    pub present: bool,
    /// What stockdb reads it for.
    pub used_for: String,
}

/// Every private interface stockdb reads (timescale tier, after migration V26).
pub async fn shapes(conn: impl PgExecutor<'_>) -> Result<Vec<Shape>> {
    Ok(
        sqlx::query_as("SELECT shape, present, used_for FROM market.timescaledb_private_shapes()")
            .fetch_all(conn)
            .await?,
    )
}

/// True when `shape` is there and the public path was not asked for; notes a fallback once.
pub async fn usable(conn: impl PgExecutor<'_>, shape: &str) -> Result<bool> {
    if public_only() {
        note_public_path(shape, "STOCKDB_TIMESCALEDB_PRIVATE=off");
        return Ok(false);
    }
    let present = shapes(conn)
        .await?
        .iter()
        .any(|s| s.shape == shape && s.present);
    if !present {
        note_public_path(shape, "not in the shape stockdb reads on this release");
    }
    Ok(present)
}

/// Says once per process, at `-v`, that a private interface is passed over.
fn note_public_path(shape: &str, why: &str) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        tracing::info!("TimescaleDB's {shape}: {why}; taking the public path");
    }
}

/// A chunk of stockdb's hypertables that is not wholly in the columnstore.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingChunk {
    /// Quoted and schema-qualified.
    pub chunk: String,
    /// Its table in `market`.
    pub hypertable: String,
    /// Converted and written since; None where the server does not say (public path), in
    /// which case the chunk is converted and compress_chunk passes over it if it is whole.
    pub partial: Option<bool>,
}

/// The chunks to convert, oldest first per table: never converted, or partial.
pub async fn pending_chunks(conn: impl PgExecutor<'_>) -> Result<Vec<PendingChunk>> {
    let only_public = public_only();
    let chunks: Vec<PendingChunk> = sqlx::query_as(
        "SELECT chunk::text AS chunk, hypertable, partial FROM market.columnstore_pending($1)",
    )
    .bind(only_public)
    .fetch_all(conn)
    .await?;
    if chunks.iter().any(|c| c.partial.is_none()) {
        note_public_path(
            "chunk_status",
            "unknown, so every converted chunk goes to compress_chunk",
        );
    }
    Ok(chunks)
}

/// The table holding `chunk`'s columnstore, quoted. Reads `compression_settings`: call it only
/// where [`usable`] said yes to `compressed_chunk` (the caller skips the ANALYZE otherwise).
pub async fn compressed_table(conn: &mut PgConnection, chunk: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar(include_str!("sql/private/compressed_table.sql"))
            .bind(chunk)
            .fetch_optional(conn)
            .await?,
    )
}

/// The converted chunks, not partial, whose chunk-skipping range (migration V18) is still the
/// whole line; empty where the private catalog is not in a shape this knows.
pub async fn unranged_chunks(conn: &mut PgConnection) -> Result<Vec<String>> {
    if public_only() {
        return Ok(Vec::new());
    }
    // 2.29 names a chunk by relid; 2.28 and earlier by schema_name and table_name.
    let naming: Option<String> = sqlx::query_scalar(include_str!("sql/private/chunk_naming.sql"))
        .fetch_one(&mut *conn)
        .await?;
    let chunk = match naming.as_deref() {
        Some("relid") => "c.relid::text",
        Some("names") => "format('%I.%I', c.schema_name, c.table_name)",
        _ => {
            note_public_path("chunk_column_stats", "not in a shape stockdb reads");
            return Ok(Vec::new());
        }
    };
    let sql = include_str!("sql/private/unranged_chunks.sql").replace("{chunk}", chunk);
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?)
}
