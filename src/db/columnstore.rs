//! TimescaleDB's columnstore (issue 24): what the time-series tables hold on disk, and the
//! conversion of their chunks, which `load`, `refresh` and `migrate` run when they are done
//! (migration V17 turns the columnstore on, on the timescale tier only).

use super::Tier;
use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

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

/// What [`convert`] did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Converted {
    /// Chunks converted or, when partial, recompressed.
    pub chunks: usize,
    pub seconds: f64,
}

impl std::fmt::Display for Converted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "moved {} chunks into the columnstore in {:.1} s",
            self.chunks, self.seconds
        )
    }
}

/// Which chunks [`convert`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Chunks not wholly in the columnstore: what `load` and `refresh` leave.
    Pending,
    /// Those, and the converted event chunks that have no range of trade dates for chunk
    /// skipping (converted before migration V18): `migrate` converts these again, once.
    PendingAndUnranged,
}

/// Moves every chunk of the hypertables with the columnstore on that is not wholly in it into
/// the columnstore: new chunks, and chunks written since (partial). One chunk per statement, so
/// no transaction holds more than one chunk's lock, on as many chunks at a time as the pool
/// has connections (the conversion is CPU-bound on the server); `scope` adds the chunks to
/// convert again for their trade-date ranges. Does nothing on servers without the columnstore.
pub async fn convert(pool: &PgPool, tier: Tier, scope: Scope) -> Result<Converted> {
    use futures_util::{StreamExt, TryStreamExt};
    if tier != Tier::Timescale {
        return Ok(Converted::default());
    }
    let started = std::time::Instant::now();
    let mut chunks: Vec<(String, bool)> =
        sqlx::query_scalar(include_str!("sql/columnstore_pending.sql"))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|chunk| (chunk, false))
            .collect();
    if scope == Scope::PendingAndUnranged {
        let unranged: Vec<String> =
            sqlx::query_scalar(include_str!("sql/columnstore_unranged.sql"))
                .fetch_all(pool)
                .await?;
        chunks.extend(unranged.into_iter().map(|chunk| (chunk, true)));
    }
    futures_util::stream::iter(&chunks)
        .map(|(chunk, again)| async move {
            let mut tx = pool.begin().await?;
            // TimescaleDB warns of a "poor compression ratio" for a chunk of a few rows; the
            // ratio that matters is the table's, in `stockdb status`.
            sqlx::raw_sql("SET LOCAL client_min_messages = error")
                .execute(&mut *tx)
                .await?;
            if *again {
                // The range is taken only when a chunk is converted whole.
                sqlx::query("SELECT decompress_chunk($1::regclass)")
                    .bind(chunk)
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("taking {chunk} out of the columnstore"))?;
            }
            // compress_chunk recompresses only the changed segments of a partial chunk.
            sqlx::query("SELECT compress_chunk($1::regclass, if_not_compressed => true)")
                .bind(chunk)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("converting {chunk} to the columnstore"))?;
            let compressed: Option<String> =
                sqlx::query_scalar(include_str!("sql/columnstore_compressed.sql"))
                    .bind(chunk)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(compressed) = compressed {
                // The name is the catalog's, quoted by format('%I.%I').
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ANALYZE {compressed}")))
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("analyzing the columnstore of {chunk}"))?;
            }
            tx.commit().await?;
            anyhow::Ok(())
        })
        .buffer_unordered(pool.options().get_max_connections() as usize)
        .try_collect::<()>()
        .await?;
    Ok(Converted {
        chunks: chunks.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
