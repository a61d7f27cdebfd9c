//! The merge path of a market file: its bars staged with their line numbers, the bars it
//! gives twice judged (a whole repeat loads once, a repeat with other values is a bad row),
//! then upserted into `market.intraday_bars` and checked bar by bar.

use super::{MarketParsed, Pass, at, check, copy_rows, finish};
use crate::db::copy;
use crate::load::files::PriceFile;
use crate::load::input::{Stop, refused};
use crate::load::job::{Conflicts, Failure, FileReport, Settings, WriteContext};
use crate::load::values::{BadRow, Problem};
use crate::load::verify::TableCounts;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// The merge path: staged with line numbers, repeats judged, upserted, checked.
pub(super) async fn staged(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let settings = context.settings;
    let db = |e| Failure::db(file, e);
    let pass = Pass::Staged {
        run_id: context.run_id,
    };
    let _slot = context.run.bulk_copy_slot().await;
    let sql = "COPY pg_temp.stockdb_market_staging (line, symbol, resolution, ts, open, high, low, close, volume, transactions, load_run_id) FROM STDIN (FORMAT binary)";
    let (parsed, copied) = copy_rows(tx, file, context, pass, sql).await?;
    let mut parsed = parsed.map_err(|stop| refused(file, &stop))?;
    let copied = copied.map_err(db)?;
    let sent = parsed.accepted;
    let repeats = judge_repeats(tx, file, settings, &mut parsed).await?;
    // Rows staged and then refused as repeats with other values were not accepted.
    let copied = copied.saturating_sub(sent - parsed.accepted);
    report.take_market(&parsed);
    let updates = settings.on_conflict.updates();
    let (first, last) = (parsed.first.and_then(at), parsed.last.and_then(at));
    let kept = if updates {
        0
    } else {
        let found: Option<Conflicts> = sqlx::query_as(include_str!("sql/conflicts.sql"))
            .bind(first)
            .bind(last)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        crate::load::job::on_conflict(file, found, settings.on_conflict, "bar(s)")?
    };
    let overwritten: i64 = sqlx::query_scalar(include_str!("sql/overwritten.sql"))
        .bind(file.path.display().to_string())
        .bind(updates)
        .bind(first)
        .bind(last)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    type Merged = (i64, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let (inserted, updated, from, to): Merged = sqlx::query_as(include_str!("sql/merge.sql"))
        .bind(updates)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let (staged, matching, differing, in_table): (i64, i64, i64, i64) =
        sqlx::query_as(include_str!("sql/verify.sql"))
            .bind(copy::interval_of(parsed.resolution))
            .bind(first)
            .bind(last)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    let table = TableCounts {
        staged: staged as u64 + repeats,
        matching: matching as u64 + repeats,
        kept: differing as u64,
        in_table: in_table as u64,
    };
    check(file, &parsed, kept, copied, table)?;
    let micros = |t: DateTime<Utc>| t.timestamp_micros();
    finish(
        tx,
        file,
        context,
        &parsed,
        from.map(micros).zip(to.map(micros)),
    )
    .await?;
    report.take_merged(
        parsed.accepted,
        (inserted, updated),
        kept,
        overwritten,
        in_table as u64,
    );
    report.write_path = Some("merge".into());
    Ok(std::mem::take(&mut parsed.rejected))
}

/// Bars the file gives twice: a whole repeat loads once (a warning), a repeat with other
/// values is a bad row; both leave the staging table. Returns the whole repeats.
async fn judge_repeats(
    tx: &mut PgConnection,
    file: &PriceFile,
    settings: &Settings,
    parsed: &mut MarketParsed,
) -> Result<u64, Failure> {
    let db = |e| Failure::db(file, e);
    type Repeat = (i64, i64, String, String, bool, String);
    let repeats: Vec<Repeat> = sqlx::query_as(include_str!("sql/repeats.sql"))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    if repeats.is_empty() {
        return Ok(0);
    }
    let lines: Vec<i64> = repeats.iter().map(|r| r.0).collect();
    sqlx::query("DELETE FROM pg_temp.stockdb_market_staging WHERE line = ANY($1)")
        .bind(&lines)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut whole = 0;
    for (line, first_line, symbol, time, same, text) in repeats {
        if same {
            whole += 1;
            continue;
        }
        let row = BadRow::new(
            line as u64,
            None,
            Problem::DuplicateTime {
                time: format!("{symbol} at {time}"),
                first_line: first_line as u64,
            },
            text,
        );
        if parsed.rejected.len() as u64 >= settings.max_bad_rows {
            return Err(refused(
                file,
                &Stop::TooManyBadRows {
                    row: Box::new(row),
                    limit: settings.max_bad_rows,
                },
            ));
        }
        parsed.accepted -= 1;
        parsed.rejected.push(row);
    }
    parsed.rejected.sort_by_key(|r| r.line);
    if whole > 0 {
        tracing::warn!(
            "{}: {whole} bar(s) repeated whole in the file, loaded once",
            file.path.display()
        );
        parsed.warned += whole;
    }
    Ok(whole)
}
