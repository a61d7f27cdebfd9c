//! The merge of an event file's winners into `market.trades` and `market.quotes`: plain
//! INSERTs of new events, upserts of stored ones the file changes, nothing for an unchanged
//! file (issue 25); a followed file's piece INSERTs plainly first (issue 45).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use std::collections::BTreeSet;

/// Writes the file's events (the winners) into market.trades and market.quotes, holding the
/// file's days' locks. The upserts keep the latest arrival of
/// every event, but their conflict handling costs 2.3x a plain INSERT (issue 25). So a file
/// whose groups have no events yet is INSERTed plainly; otherwise `writes.sql` reads which
/// events the file adds or changes, and only those are written: the stored ones upserted, the
/// others INSERTed. A file that changes nothing writes nothing. Each statement reads the
/// hypertables or writes them, never both (TimescaleDB's columnstore, issue 24). Under the
/// days' locks no other load inserts these events meanwhile; a unique violation (another tool
/// did) sends every event of the file through the upserts after all.
pub(super) async fn merge(
    tx: &mut PgConnection,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    groups: &BTreeSet<(NaiveDate, String, String)>,
    live: bool,
) -> Result<Merged, sqlx::Error> {
    let stored: bool = sqlx::query_scalar(include_str!("sql/stored_groups.sql"))
        .fetch_one(&mut *tx)
        .await?;
    if stored && live {
        // A followed file's piece: its events are new unless a source sent them twice, so
        // it INSERTs them plainly at first, sparing writes.sql's comparison (0.5 s of a
        // 190,000-trade piece); a unique violation sends it the general way.
        sqlx::raw_sql("SAVEPOINT stockdb_live")
            .execute(&mut *tx)
            .await?;
        match plain_then_upserts(tx, false).await {
            Ok((inserted, updated)) => {
                return Ok(Merged {
                    inserted,
                    updated,
                    found_as_in_file: false,
                    stored: false,
                    inserted_plainly: true,
                });
            }
            Err(e) if crate::db::is_unique_violation(&e) => {
                sqlx::raw_sql("ROLLBACK TO SAVEPOINT stockdb_live")
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => return Err(e),
        }
    }
    if stored {
        let days: BTreeSet<NaiveDate> = groups.iter().map(|(day, _, _)| *day).collect();
        let exchanges: BTreeSet<&str> = groups.iter().map(|(_, _, x)| x.as_str()).collect();
        let writes = sqlx::query(include_str!("sql/writes.sql"))
            .bind(from)
            .bind(to)
            .bind(days.into_iter().collect::<Vec<_>>())
            .bind(exchanges.into_iter().collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        if writes.rows_affected() == 0 {
            return Ok(Merged {
                inserted: 0,
                updated: 0,
                found_as_in_file: true,
                stored,
                inserted_plainly: false,
            });
        }
    }
    sqlx::raw_sql("SAVEPOINT stockdb_events")
        .execute(&mut *tx)
        .await?;
    let mut plainly = live && !stored;
    let written = match plain_then_upserts(tx, stored).await {
        Err(e) if crate::db::is_unique_violation(&e) => {
            plainly = false;
            tracing::info!("another writer stored some of these events meanwhile; upserting all");
            sqlx::raw_sql(
                "ROLLBACK TO SAVEPOINT stockdb_events; \
                 DELETE FROM pg_temp.stockdb_event_writes; \
                 INSERT INTO pg_temp.stockdb_event_writes SELECT *, true FROM pg_temp.stockdb_event_winners",
            )
            .execute(&mut *tx)
            .await?;
            upserts(tx).await
        }
        done => done,
    };
    let (inserted, updated) = written?;
    Ok(Merged {
        inserted,
        updated,
        found_as_in_file: false,
        stored,
        inserted_plainly: plainly,
    })
}

/// What [`merge`] wrote.
pub(super) struct Merged {
    pub(super) inserted: i64,
    pub(super) updated: i64,
    /// `writes.sql` compared every event of the file with its stored row and found nothing to
    /// write: each is in the table with the file's values and arrival, or lost to a later
    /// arrival. That comparison, in this transaction, is the sanity check of a file that
    /// writes nothing (`verify.sql` would read the same rows again).
    pub(super) found_as_in_file: bool,
    /// The file's groups had events stored before it (`writes.sql` ran).
    pub(super) stored: bool,
    /// A followed file's piece INSERTed every winner with no conflict handling: each is in
    /// the table as in the piece when `inserted` counts them all.
    pub(super) inserted_plainly: bool,
}

/// INSERTs the events of a file whose groups have none stored; else upserts the stored
/// events it changes and INSERTs the new ones.
async fn plain_then_upserts(
    tx: &mut PgConnection,
    stored: bool,
) -> Result<(i64, i64), sqlx::Error> {
    let mut inserted = 0;
    let mut updated = 0;
    if stored {
        (inserted, updated) = upserts(tx).await?;
    }
    // Quotes before trades, on every path: a statement that creates a chunk holds a lock on
    // its hypertable to commit, and two files taking the two tables in opposite orders
    // deadlock (the copy path must stream the quotes first).
    let plain = match stored {
        false => [
            include_str!("sql/insert_new_quotes.sql"),
            include_str!("sql/insert_new_trades.sql"),
        ],
        true => [
            include_str!("sql/insert_missing_quotes.sql"),
            include_str!("sql/insert_missing_trades.sql"),
        ],
    };
    for sql in plain {
        inserted += sqlx::query(sql).execute(&mut *tx).await?.rows_affected() as i64;
    }
    Ok((inserted, updated))
}

/// The upserts of the events in pg_temp.stockdb_event_writes marked stored.
async fn upserts(tx: &mut PgConnection) -> Result<(i64, i64), sqlx::Error> {
    let (mut inserted, mut updated) = (0, 0);
    // Quotes before trades (`plain_then_upserts`).
    for sql in [
        include_str!("sql/merge_quotes.sql"),
        include_str!("sql/merge_trades.sql"),
    ] {
        let (ins, upd): (i64, i64) = sqlx::query_as(sql).fetch_one(&mut *tx).await?;
        inserted += ins;
        updated += upd;
    }
    Ok((inserted, updated))
}
