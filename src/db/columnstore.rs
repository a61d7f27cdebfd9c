//! TimescaleDB's columnstore (issue 24): what the time-series tables hold on disk, and the
//! conversion of their chunks, which `load`, `refresh` and `migrate` run when they are done
//! (migration V17 turns the columnstore on, on the timescale tier only).

use super::{Tier, private};
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
    /// Converted chunks written since by another writer (partial), waiting for the next
    /// conversion; None where the server does not say (or has no columnstore).
    #[sqlx(default)]
    pub partial_chunks: Option<i64>,
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
    let sql = match tier {
        Tier::Timescale | Tier::Apache => include_str!("sql/storage.sql").to_string(),
        // A distributed table's own relation is empty: its rows are in the workers' shards.
        Tier::Citus => include_str!("sql/storage_plain.sql")
            .replace("pg_total_relation_size", "citus_total_relation_size"),
        Tier::Postgres => include_str!("sql/storage_plain.sql").to_string(),
    };
    let mut tables: Vec<Storage> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    if tier == Tier::Timescale {
        let pending = private::pending_chunks(&mut *conn).await?;
        for table in tables.iter_mut().filter(|t| t.columnstore) {
            let mine = pending.iter().filter(|p| p.hypertable == table.name);
            table.partial_chunks = mine
                .map(|p| p.partial.map(i64::from))
                .try_fold(0, |sum, partial| partial.map(|n| sum + n));
        }
    }
    Ok(tables)
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

/// The advisory lock that keeps [`convert`] and the transactions that write into the
/// hypertables apart. compress_chunk waits for a chunk's writers while holding locks that a
/// writer of several chunks asks for next: a deadlock (with two loaders at once, 1 run in 3 of
/// `two_loaders_on_overlapping_trees_load_everything_exactly_once`). Writers hold it shared
/// and a conversion exclusively, so a conversion waits for the files in flight and new files
/// wait for the conversion.
const CONVERSION_LOCK: i64 = 0x5f0c_bdb0_0002;

/// Begins a transaction that writes into the hypertables: `BEGIN` and the shared
/// [`CONVERSION_LOCK`], in one round trip (for [`sqlx::Connection::begin_with`]).
pub const BEGIN_WRITING: &str = "BEGIN; SELECT pg_advisory_xact_lock_shared(104508326674434)";

/// Moves every chunk of the hypertables with the columnstore on that is not wholly in it into
/// the columnstore: new chunks, and chunks written since (partial). One chunk per statement, so
/// no transaction holds more than one chunk's lock, on as many chunks at a time as the pool
/// has connections (the conversion is CPU-bound on the server); `scope` adds the chunks to
/// convert again for their trade-date ranges. Does nothing on servers without the columnstore.
/// Holds [`CONVERSION_LOCK`] throughout, on a connection of its own.
pub async fn convert(pool: &PgPool, tier: Tier, scope: Scope) -> Result<Converted> {
    use sqlx::{ConnectOptions, Connection};
    if tier != Tier::Timescale {
        return Ok(Converted::default());
    }
    let started = std::time::Instant::now();
    // Asked before the lock too, so that a load with nothing to convert never waits for
    // another process's files.
    if chunks_to_convert(pool, scope).await?.is_empty() {
        return Ok(Converted::default());
    }
    let mut lock = pool.connect_options().connect().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(CONVERSION_LOCK)
        .execute(&mut lock)
        .await
        .context("waiting for other loads' files to commit before the conversion")?;
    let chunks = match chunks_to_convert(pool, scope).await {
        Ok(chunks) => convert_chunks(pool, &chunks).await.map(|()| chunks.len()),
        Err(e) => Err(e),
    };
    // Closing the session releases the lock, also after an error.
    lock.close().await.ok();
    Ok(Converted {
        chunks: chunks?,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The chunks [`convert`] takes, each with whether it is converted again (unranged).
async fn chunks_to_convert(pool: &PgPool, scope: Scope) -> Result<Vec<(String, bool)>> {
    let mut conn = pool.acquire().await?;
    let mut chunks: Vec<(String, bool)> = private::pending_chunks(&mut *conn)
        .await?
        .into_iter()
        .map(|pending| (pending.chunk, false))
        .collect();
    if scope == Scope::PendingAndUnranged {
        let unranged = private::unranged_chunks(&mut conn).await?;
        chunks.extend(unranged.into_iter().map(|chunk| (chunk, true)));
    }
    Ok(chunks)
}

/// Converts `chunks`, one transaction each, as many at a time as the pool has connections.
async fn convert_chunks(pool: &PgPool, chunks: &[(String, bool)]) -> Result<()> {
    use futures_util::{StreamExt, TryStreamExt};
    let analyze = private::usable(pool, "compressed_chunk").await?;
    futures_util::stream::iter(chunks)
        .map(|(chunk, again)| async move {
            let mut tx = pool.begin().await?;
            // TimescaleDB warns of a "poor compression ratio" for a chunk of a few rows; the
            // ratio that matters is the table's, in `stockdb status`. The index scan reads the
            // rows in the columnstore's order from the primary key where it has that order
            // (daily: symbol, day; intraday: symbol, resolution, ts) instead of sorting them:
            // a 60-year daily tree converts in 3.9 s instead of 7.8-8.6 s, a trade date of
            // events in 0.9 s instead of 3.1-3.4 s (BENCHMARKS.md). Event chunks converted
            // before migration V22 put their segment columns in another order: they sort.
            sqlx::raw_sql(
                "SET LOCAL client_min_messages = error; \
                 SET LOCAL timescaledb.enable_compression_indexscan = on",
            )
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
            // compress_chunk recompresses only the changed segments of a partial chunk, and
            // passes over a chunk wholly converted (the public path lists those too).
            sqlx::query("SELECT compress_chunk($1::regclass, if_not_compressed => true)")
                .bind(chunk)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("converting {chunk} to the columnstore"))?;
            let compressed = match analyze {
                true => private::compressed_table(&mut tx, chunk).await?,
                false => None,
            };
            if let Some(compressed) = compressed {
                // The name is the catalog's, quoted by regclass's output.
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
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn writers_take_the_lock_the_conversion_takes() {
        let key = super::CONVERSION_LOCK.to_string();
        assert!(super::BEGIN_WRITING.ends_with(&format!("lock_shared({key})")));
    }
}
