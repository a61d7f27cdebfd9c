//! Trade and quote event files (issue 12): one file's transaction, on one of three paths.
//! A day's first large file takes the copy path (`direct`): its records COPY straight into
//! the tables under its day locks. A re-loaded file, its bytes stored before, is compared with
//! the stored events (`compare`) and writes nothing when they are as in the file. Every other
//! file, and any those two give back, takes the merge: a blocking thread reads the records
//! (`read`, `parse`) and streams them as binary COPY into a staging table; then, under a lock
//! per (trade date, exchange) of the file, its events are written keeping the latest arrival
//! of each (`merge`). On the copy path and the merge `market.event_daily` is then rewritten
//! for the groups touched under a lock per exchange (unless the file wrote no event) and the
//! sanity check runs, all inside the file's transaction of `load::job`. Files of other days
//! load at the same time.

mod compare;
mod daily;
mod digest;
mod direct;
pub mod encode;
mod merge;
pub mod parse;
mod read;

pub use direct::choose_copy_files;
pub use read::sniff_file;

use super::files::PriceFile;
use super::input::{Chunks, Sent, Stop, dry_run_report, join, refused, send_chunks};
use super::job::{
    ErrorKind, Failure, FileKind, FileReport, Outcome, Settings, WriteContext, interrupted,
    symbols_label,
};
use super::values::BadRow;
use chrono::{DateTime, NaiveDate, Utc};
use daily::{add_daily, rewrite_daily, unchanged_daily};
use futures_util::TryStreamExt;
use merge::merge;
use parse::Shape;
use sqlx::PgConnection;
use std::collections::BTreeSet;
use std::path::Path;
use tokio::sync::mpsc;

/// What the parse thread found in an event file.
#[derive(Debug, Default)]
pub struct ParsedEvents {
    pub rows: u64,
    pub accepted: u64,
    /// Records whose event time is more than a day from their trade date (the reports look
    /// a day either side of it).
    pub warned: u64,
    pub trades: u64,
    pub quotes: u64,
    /// Quotes whose ask is below their bid: real in consolidated data, loaded, and counted
    /// among the warnings.
    pub crossed: u64,
    /// Event times (UTC microseconds) of the file's first and last trade: the range of the
    /// trade bars a load of it makes stale.
    pub trade_times: Option<(i64, i64)>,
    pub rejected: Vec<BadRow>,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub symbols: BTreeSet<String>,
    /// (trade date, symbol, exchange) of every accepted event.
    pub groups: BTreeSet<(NaiveDate, String, String)>,
    pub sha256: String,
    pub shape: Option<Shape>,
}

/// The merge's sink: every accepted record as a tuple of the staging table.
struct Staging {
    chunks: Chunks,
}

impl read::Sink for Staging {
    fn event(&mut self, event: &parse::Event) -> Result<(), Stop> {
        encode::encode_event(&mut self.chunks.buf, event);
        self.chunks.flush_full()
    }
}

/// The parse thread of the merge: reads the file and sends COPY chunks of staging
/// tuples.
fn parse_events(
    path: &Path,
    settings: &Settings,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<ParsedEvents, Stop> {
    let mut staging = Staging {
        chunks: Chunks::new(tx),
    };
    let parsed = read::read_events(path, settings, None, &mut staging)?;
    staging.chunks.finish()?;
    Ok(parsed)
}

fn spawn(
    file: &PriceFile,
    settings: &Settings,
    tx: mpsc::Sender<Vec<u8>>,
) -> tokio::task::JoinHandle<Result<ParsedEvents, Stop>> {
    let (path, settings) = (file.path.clone(), settings.clone());
    tokio::task::spawn_blocking(move || parse_events(&path, &settings, tx))
}

impl FileReport {
    fn take_events(&mut self, parsed: &ParsedEvents) {
        self.rows_in_file = parsed.rows;
        self.accepted = parsed.accepted;
        self.rejected = parsed.rejected.len() as u64;
        self.warnings = parsed.warned + parsed.crossed;

        self.first_day = parsed.first_day;
        self.last_day = parsed.last_day;
        self.sha256 = Some(parsed.sha256.clone());
        self.symbol = symbols_label(parsed.symbols.iter());
        if let Some(shape) = &parsed.shape {
            let crossed = match parsed.crossed {
                0 => String::new(),
                n => format!(", {n} crossed (ask below bid), loaded"),
            };
            self.format = Some(format!(
                "{} ({} trades, {} quotes{crossed})",
                shape.label(),
                parsed.trades,
                parsed.quotes
            ));
            self.columns = Some(shape.columns());
        }
        self.dates = Some("exchange time".into());
    }
}

/// Trade and quote events, for the file's job.
pub struct Events;

impl FileKind for Events {
    async fn validate(&self, file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>) {
        validate(file, settings).await
    }

    async fn write(
        &self,
        tx: &mut PgConnection,
        file: &PriceFile,
        context: WriteContext<'_>,
        report: &mut FileReport,
    ) -> Result<Vec<BadRow>, Failure> {
        write(tx, file, context, report).await
    }
}

/// `--dry-run` of an event file: parse and judge every record, write nothing.
async fn validate(file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>) {
    let report = FileReport::new(file);
    let (chunks, mut rx) = mpsc::channel::<Vec<u8>>(4);
    let parse = spawn(file, settings, chunks);
    while rx.recv().await.is_some() {}
    dry_run_report(report, &file.path, join(parse).await, |report, parsed| {
        report.take_events(&parsed);
        parsed.rejected
    })
}

/// What is derived from many files' events, `market.event_daily` and its prior closes, is
/// rewritten under one lock per exchange the file touches (this class, the exchange name's
/// hash), held to commit: a file rewriting a day after another sees that file's events
/// committed, and files of other exchanges do not wait (issue 25).
const EXCHANGE_LOCK_CLASS: i32 = 0x5354_4556; // "STEV"

/// The events themselves are written under one lock per (trade date, exchange) of the file,
/// held to commit: files of one day take turns, so a file sees which of its events are stored
/// and INSERTs the others without conflict handling (`merge`), and files of other days write
/// at the same time.
const DAY_LOCK_CLASS: i32 = 0x5354_4459; // "STDY"

/// Takes one transaction-level advisory lock of `class` for each distinct value of `key` (an
/// expression over the file's groups, `pg_temp.stockdb_event_groups`), in the order of their
/// hashes.
async fn lock_in_key_order(
    tx: &mut PgConnection,
    class: i32,
    key: &str,
) -> Result<(), sqlx::Error> {
    let keys: Vec<i32> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT hashtext({key}) AS k FROM pg_temp.stockdb_event_groups ORDER BY k"
    )))
    .fetch_all(&mut *tx)
    .await?;
    lock_hashes(tx, class, keys).await
}

/// Takes one transaction-level advisory lock of `class` for each key, in the order given
/// (ascending, so that no two files wait on each other in a cycle).
async fn lock_hashes(tx: &mut PgConnection, class: i32, keys: Vec<i32>) -> Result<(), sqlx::Error> {
    for k in keys {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(class)
            .bind(k)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Puts the file's (trade date, symbol, exchange) groups, as the parse found them, into
/// `pg_temp.stockdb_event_groups`, which the locks, `event_daily` and the checks read.
async fn store_groups(
    tx: &mut PgConnection,
    groups: &BTreeSet<(NaiveDate, String, String)>,
) -> Result<(), sqlx::Error> {
    let (mut days, mut symbols, mut exchanges) = (Vec::new(), Vec::new(), Vec::new());
    for (day, symbol, exchange) in groups {
        days.push(*day);
        symbols.push(symbol.as_str());
        exchanges.push(exchange.as_str());
    }
    sqlx::query(include_str!("sql/groups_insert.sql"))
        .bind(&days)
        .bind(&symbols)
        .bind(&exchanges)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql("ANALYZE pg_temp.stockdb_event_groups")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The event times the read-backs (`read_back_*.sql`) read within: None reads nothing.
#[derive(Clone, Copy)]
struct EventTimes {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl EventTimes {
    /// A read-back's SQL with the times as literals (COPY takes no parameters).
    fn bind(self, sql: &str) -> String {
        let stamp = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string())
                .unwrap_or_else(|| "-infinity".into())
        };
        crate::db::copy::with_literals(
            sql,
            &[
                ("event_from", &stamp(self.from)),
                ("event_to", &stamp(self.to)),
            ],
        )
    }
}

/// The first half of the sanity check: records in the file = accepted + rejected.
fn records_add_up(file: &PriceFile, parsed: &ParsedEvents) -> Result<(), Failure> {
    if parsed.rows == parsed.accepted + parsed.rejected.len() as u64 {
        return Ok(());
    }
    Err(check_failed(
        file,
        format!(
            "{} records in the file but {} accepted and {} rejected",
            parsed.rows,
            parsed.accepted,
            parsed.rejected.len()
        ),
    ))
}

/// Fields of a row of `market.trades` and of `market.quotes` as `encode::encode_row` writes
/// them and the read-backs read them (before the read-back's `dropped_arrivals`).
const TRADE_FIELDS: usize = 17;
const QUOTE_FIELDS: usize = 17;

/// Streams the tuples of a read-back (`read_back_trades.sql`, `read_back_quotes.sql`: the
/// file's groups within `times`), each tuple's values to `each`.
async fn each_stored(
    tx: &mut PgConnection,
    sql: &str,
    times: EventTimes,
    mut each: impl FnMut(&[u8]),
) -> anyhow::Result<()> {
    let mut tuples = crate::db::copy::TupleReader::default();
    let mut stream = tx.copy_out_raw(&times.bind(sql)).await?;
    while let Some(chunk) = stream.try_next().await? {
        tuples.feed(&chunk, &mut each).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// The failure of a file whose sanity check found its events otherwise than written.
fn check_failed(file: &PriceFile, message: String) -> Failure {
    Failure {
        outcome: Outcome::RolledBack,
        message: format!(
            "{}: {message}; the file was rolled back",
            file.path.display()
        ),
        kind: ErrorKind::Other,
    }
}

/// Records the file's trade times for the refresh of the trade bars after the load.
async fn mark_trades_stale(
    tx: &mut PgConnection,
    aggregates: crate::analytics::Aggregates,
    parsed: &ParsedEvents,
) -> Result<(), sqlx::Error> {
    let Some((first, last)) = parsed.trade_times else {
        return Ok(());
    };
    let at = DateTime::<Utc>::from_timestamp_micros;
    crate::analytics::trade_bars::mark_stale(tx, aggregates, at(first), at(last)).await
}

/// The ANALYZE of a staged temp table. A followed file's piece, committed every second, has
/// only the columns its joins and filters read analyzed: every column took 200 ms of a
/// 50,000-trade piece's 1.2 s, twice (BENCHMARKS.md).
fn analyze(file: &PriceFile, table: &str) -> sqlx::AssertSqlSafe<String> {
    let columns = match file.piece {
        Some(_) => " (rec_type, trade_dt, symbol, exchange, event_tm, event_seq_nb)",
        None => "",
    };
    sqlx::AssertSqlSafe(format!("ANALYZE pg_temp.{table}{columns}"))
}

/// One event file inside its transaction (begun and committed by the caller).
async fn write(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let (settings, run) = (context.settings, context.run);
    if file.copy_first
        && let Some(heads) = direct::head_groups(&file.path, settings)
        && let Some(done) = direct::write(tx, file, context, heads).await?
    {
        return finish_direct(tx, file, context.aggregates, done, report).await;
    }
    if let Some(same) = compare::unchanged(tx, file, settings).await? {
        return finish_unchanged(tx, file, same, report).await;
    }
    let db = |e| Failure::db(file, e);
    let (chunks, mut rx) = mpsc::channel::<Vec<u8>>(4);
    let parse = spawn(file, settings, chunks);
    let mut copy_in = tx
        .copy_in_raw(include_str!("sql/copy_staging.sql"))
        .await
        .map_err(db)?;
    let sent = send_chunks(&mut copy_in, &mut rx, run).await;
    drop(rx);
    let parsed = match (join(parse).await, sent) {
        (_, Sent::Cancelled) => {
            copy_in.abort("stockdb: interrupted").await.ok();
            return Err(interrupted(file));
        }
        (_, Sent::Failed(e)) => {
            copy_in.abort("stockdb: send failed").await.ok();
            return Err(db(e));
        }
        (Err(stop), Sent::All) => {
            copy_in.abort("stockdb: file refused").await.ok();
            return Err(refused(file, &stop));
        }
        (Ok(parsed), Sent::All) => parsed,
    };
    let copied = copy_in.finish().await.map_err(db)?;
    report.take_events(&parsed);

    // Statistics for the temp tables (autovacuum never analyzes one), so that a large file
    // is hash-joined rather than looked up event by event; and room to sort a day of events
    // in memory.
    sqlx::raw_sql(analyze(file, "stockdb_event_staging"))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::raw_sql("SET LOCAL work_mem = '64MB'")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let (staged, from, to): (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*), min(event_tm), max(event_tm) FROM pg_temp.stockdb_event_staging",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let repeated: i64 = sqlx::query_scalar(include_str!("sql/repeated.sql"))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let distinct: i64 = if repeated == 0 {
        sqlx::query(include_str!("sql/winners_unique.sql"))
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected() as i64
    } else {
        sqlx::query_scalar(include_str!("sql/winners.sql"))
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
    };
    sqlx::raw_sql(analyze(file, "stockdb_event_winners"))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    store_groups(&mut *tx, &parsed.groups).await.map_err(db)?;
    // Every file takes its days' locks, then its exchanges' locks, each set in key order and
    // never one of the first kind after one of the second: no two files wait on each other in
    // a cycle. The bounds below are read after, when the other files' events are committed.
    lock_in_key_order(
        &mut *tx,
        DAY_LOCK_CLASS,
        "trade_dt::text || ' ' || exchange",
    )
    .await
    .map_err(db)?;
    let merged = merge(&mut *tx, from, to, &parsed.groups, file.piece.is_some())
        .await
        .map_err(db)?;
    let (inserted, updated) = (merged.inserted, merged.updated);
    if inserted + updated > 0 {
        mark_trades_stale(&mut *tx, context.aggregates, &parsed)
            .await
            .map_err(db)?;
    }
    let counted = match inserted + updated {
        0 => unchanged_daily(&mut *tx).await.map_err(db)?,
        _ => None,
    };
    let added = match file.piece.is_some() && updated == 0 && inserted > 0 {
        true => add_daily(&mut *tx, merged.stored, inserted)
            .await
            .map_err(db)?,
        false => None,
    };
    let in_table = match counted.or(added) {
        Some(in_table) => in_table,
        None => rewrite_daily(&mut *tx, from, to).await.map_err(db)?,
    };
    let matching: i64 =
        if merged.found_as_in_file || (merged.inserted_plainly && inserted == distinct) {
            distinct
        } else {
            if file.piece.is_some() {
                // A piece's events are a second of a day whose chunk is large, and the tables have
                // no index on the time alone: each event is looked up by its key instead (a hash
                // join read the whole day, 1.5 minutes at 6M trades).
                sqlx::raw_sql("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            sqlx::query_scalar(include_str!("sql/verify.sql"))
                .bind(from)
                .bind(to)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?
        };
    let fail = |message: String| check_failed(file, message);
    records_add_up(file, &parsed)?;
    if copied != parsed.accepted || staged as u64 != parsed.accepted {
        return Err(fail(format!(
            "{} records accepted but {copied} sent and {staged} staged",
            parsed.accepted
        )));
    }
    if matching != distinct {
        return Err(fail(format!(
            "{distinct} events in the file, but only {matching} are in market.trades / market.quotes with their latest arrival"
        )));
    }
    report.duplicates = Some(parsed.accepted - distinct as u64);
    report.inserted = inserted as u64;
    report.updated = updated as u64;
    report.unchanged = (distinct - inserted - updated).max(0) as u64;
    report.in_table = in_table.max(0) as u64;
    report.check_passed = true;
    report.write_path = Some("merge".into());
    Ok(parsed.rejected)
}

/// The rest of a file the copy path wrote: `market.event_daily` (from the file's own counts,
/// under the exchanges' locks, with the prior closes after it) and the report.
async fn finish_direct(
    tx: &mut PgConnection,
    file: &PriceFile,
    aggregates: crate::analytics::Aggregates,
    done: direct::DirectDone,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let in_table = async {
        mark_trades_stale(&mut *tx, aggregates, &done.parsed).await?;
        lock_in_key_order(&mut *tx, EXCHANGE_LOCK_CLASS, "exchange").await?;
        let in_table = done.daily.write(&mut *tx).await?;
        sqlx::query(include_str!("sql/prior_close.sql"))
            .execute(&mut *tx)
            .await?;
        Ok(in_table)
    }
    .await
    .map_err(|e| Failure::db(file, e))?;
    let parsed = done.parsed;
    report.take_events(&parsed);
    if parsed.rows != parsed.accepted + parsed.rejected.len() as u64
        || done.inserted != parsed.accepted
    {
        return Err(check_failed(
            file,
            format!(
                "{} records in the file, {} accepted, {} rejected, {} written",
                parsed.rows,
                parsed.accepted,
                parsed.rejected.len(),
                done.inserted
            ),
        ));
    }
    report.duplicates = Some(0);
    report.inserted = done.inserted;
    report.in_table = in_table.max(0) as u64;
    report.check_passed = true;
    report.write_path = Some("copy".into());
    Ok(parsed.rejected)
}

/// The rest of a file the comparison found stored as it is: `market.event_daily` stands when
/// every group has its row (else it is rewritten) and the report.
async fn finish_unchanged(
    tx: &mut PgConnection,
    file: &PriceFile,
    same: compare::Unchanged,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let db = |e| Failure::db(file, e);
    let in_table = match unchanged_daily(&mut *tx).await.map_err(db)? {
        Some(in_table) => in_table,
        None => rewrite_daily(&mut *tx, same.from, same.to)
            .await
            .map_err(db)?,
    };
    let parsed = same.parsed;
    report.take_events(&parsed);
    records_add_up(file, &parsed)?;
    report.duplicates = Some(0);
    report.unchanged = parsed.accepted;
    report.in_table = in_table.max(0) as u64;
    report.check_passed = true;
    report.write_path = Some("unchanged".into());
    Ok(parsed.rejected)
}
