//! A refresh into empty period aggregates (a first load, or `stockdb refresh` after another
//! tool loaded the prices) writes every row of their storage. It runs without the storage's
//! indexes (TimescaleDB's on the bucket and on symbol and bucket, and the monthly ones by
//! quarter and by year), which are built again afterwards in one sorted pass each. Inserting
//! 2.3M rows into the bucket index one by one took 2.2 s of a 2,642-file first load's 12.5 s
//! refresh, the builds 0.9 s; without the (symbol, bucket) index too the refresh took 9.4-9.7
//! s against 11.0-11.2 s, builds included; the monthly level alone took 3.3 s without its two
//! expression indexes against 4.2-4.5 s with them, whose builds take 0.2 s each
//! (BENCHMARKS.md).

use anyhow::{Context, Result};
use futures_util::{StreamExt, TryStreamExt};
use sqlx::PgPool;

/// One index of aggregate_indexes.sql: names quoted, ready for DDL.
#[derive(Debug, sqlx::FromRow)]
struct AggregateIndex {
    /// The aggregate's storage (materialization hypertable).
    storage: String,
    /// The index, schema-qualified.
    index: String,
    /// The index's name alone, as CREATE INDEX takes it.
    index_name: String,
    /// Its key, as written between the parentheses of CREATE INDEX.
    key: String,
    present: bool,
    has_chunks: bool,
}

/// The indexes to build after the refresh: the ones set aside, and any missing from storage
/// that has rows (a refresh that stopped before building them again).
#[derive(Debug, Default)]
pub(super) struct SetAside {
    indexes: Vec<AggregateIndex>,
}

/// Before a refresh: drops the indexes when no aggregate's storage has a chunk yet.
/// Gives up on dropping (and refreshes with the indexes) when a reader holds the storage
/// for more than a second.
pub(super) async fn set_aside(pool: &PgPool) -> Result<SetAside> {
    let all: Vec<AggregateIndex> = sqlx::query_as(include_str!("sql/aggregate_indexes.sql"))
        .fetch_all(pool)
        .await?;
    let empty = all.iter().all(|i| !i.has_chunks);
    let mut aside = SetAside::default();
    for i in all {
        if i.present && empty {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL lock_timeout = '1s'")
                .execute(&mut *tx)
                .await?;
            let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP INDEX IF EXISTS {}",
                i.index
            )))
            .execute(&mut *tx)
            .await;
            match dropped {
                Ok(_) => tx.commit().await?,
                Err(e) => {
                    tracing::info!("keeping {} for the refresh: {e}", i.index);
                    continue;
                }
            }
            aside.indexes.push(i);
        } else if !i.present && i.has_chunks {
            aside.indexes.push(i);
        }
    }
    Ok(aside)
}

/// The advisory lock class under which loaders take turns building one index.
const BUILD_LOCK_CLASS: i32 = 0x5354_4958; // "STIX"

/// After the refresh (also a failed one): builds the indexes set aside, two at a time.
pub(super) async fn restore(pool: &PgPool, aside: SetAside) -> Result<()> {
    futures_util::stream::iter(aside.indexes)
        .map(|i| async move {
            build(pool, &i)
                .await
                .with_context(|| format!("building {} again", i.index))
        })
        .buffer_unordered(2)
        .try_collect()
        .await
}

/// Builds one index unless it is there. Two loaders refreshing at once can both have set it
/// aside, and `IF NOT EXISTS` does not hold against a concurrent build of the same name (it
/// fails on pg_class's unique name), so they take turns on a lock per index.
async fn build(pool: &PgPool, i: &AggregateIndex) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(BUILD_LOCK_CLASS)
        .bind(&i.index)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
        i.index_name, i.storage, i.key
    )))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
