//! Trade and quote event files (issue 12): one file's transaction. A blocking thread reads
//! the records (`parse`) and streams them as binary COPY into a staging table; then the merges
//! keep the latest arrival of each event (files in parallel, row locks taken in key order),
//! `market.event_daily` is rewritten for the days touched under a lock per exchange, and the
//! sanity check runs, all inside the file's transaction of `load::job`.

pub mod encode;
pub mod parse;

use super::files::PriceFile;
use super::input::{
    Chunks, FileError, Sent, Stop, Watch, dry_run_report, join, open_hashed, open_plain, refused,
    send_chunks,
};
use super::job::{
    ErrorKind, Failure, FileKind, FileReport, Outcome, RunState, Settings, WriteContext,
    interrupted, symbols_label,
};
use super::values::BadRow;
use chrono::{DateTime, NaiveDate, Utc};
use parse::{EventReader, Item, Shape, Values};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;
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
    pub rejected: Vec<BadRow>,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub symbols: BTreeSet<String>,
    pub sha256: String,
    pub shape: Option<Shape>,
}

/// The shape of an event file from its first 64 KiB (gzip too); None when it is not one.
pub fn sniff_file(path: &Path) -> Option<Shape> {
    let reader = open_plain(path).ok()?;
    let mut head = Vec::with_capacity(64 * 1024);
    reader.take(64 * 1024).read_to_end(&mut head).ok()?;
    parse::sniff(&head)
}

fn io_stop(e: std::io::Error) -> Stop {
    Stop::File(FileError::Io(e))
}

/// The parse thread: reads the file and sends COPY chunks of staging tuples.
fn parse_events(
    path: &Path,
    settings: &Settings,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<ParsedEvents, Stop> {
    let shape = sniff_file(path).ok_or_else(|| {
        Stop::File(FileError::AtLine {
            line: 1,
            message: "not a trade/quote event file any more (it changed?)".into(),
        })
    })?;
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let watch = Watch::new(std::fs::File::open(path).map_err(io_stop)?)?;
    let input = open_hashed(path, &hasher).map_err(io_stop)?;
    let zone = settings
        .parse
        .timezone
        .unwrap_or(super::stamps::DEFAULT_ZONE);
    let mut reader = EventReader::new(input, shape, zone);
    let mut parsed = ParsedEvents {
        shape: Some(shape),
        ..ParsedEvents::default()
    };
    let mut chunks = Chunks::new(tx);
    while let Some(item) = reader.next_item().map_err(io_stop)? {
        match item {
            Item::Event(event) => {
                encode::encode_event(&mut chunks.buf, &event);
                parsed.accepted += 1;
                match event.values {
                    Values::Trade { .. } => parsed.trades += 1,
                    Values::Quote { .. } => parsed.quotes += 1,
                }
                let day = event.trade_dt;
                let local = chrono::DateTime::<Utc>::from_timestamp_micros(event.event_tm)
                    .map(|t| t.with_timezone(&zone).date_naive());
                if local.is_none_or(|d| (d - day).num_days().abs() > 1) {
                    parsed.warned += 1;
                }
                parsed.first_day = Some(parsed.first_day.map_or(day, |d| d.min(day)));
                parsed.last_day = Some(parsed.last_day.map_or(day, |d| d.max(day)));
                if !parsed.symbols.contains(&event.symbol) {
                    parsed.symbols.insert(event.symbol);
                }
            }
            Item::Bad(row) => {
                if parsed.rejected.len() as u64 >= settings.max_bad_rows {
                    return Err(Stop::TooManyBadRows {
                        row: Box::new(row),
                        limit: settings.max_bad_rows,
                    });
                }
                parsed.rejected.push(row);
            }
        }
        chunks.flush_full()?;
    }
    chunks.finish()?;
    parsed.rows = reader.rows;
    drop(reader);
    watch.check()?;
    parsed.sha256 = format!("{:x}", hasher.borrow_mut().finalize_reset());
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
        self.warnings = parsed.warned;
        self.first_day = parsed.first_day;
        self.last_day = parsed.last_day;
        self.sha256 = Some(parsed.sha256.clone());
        self.symbol = symbols_label(parsed.symbols.iter());
        if let Some(shape) = parsed.shape {
            self.format = Some(format!(
                "{} ({} trades, {} quotes)",
                shape.label(),
                parsed.trades,
                parsed.quotes
            ));
            self.columns = Some(shape.columns().into());
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
        write(tx, file, context.settings, context.run, report).await
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
/// committed, and files of other exchanges do not wait (issue 25). The merges themselves take
/// no such lock: the latest arrival wins whatever the order of the upserts.
const EXCHANGE_LOCK_CLASS: i32 = 0x5354_4556; // "STEV"

/// One event file inside its transaction (begun and committed by the caller).
async fn write(
    tx: &mut PgConnection,
    file: &PriceFile,
    settings: &Settings,
    run: &RunState,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
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
    sqlx::raw_sql("ANALYZE pg_temp.stockdb_event_staging; SET LOCAL work_mem = '64MB'")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let (staged, from, to): (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*), min(event_tm), max(event_tm) FROM pg_temp.stockdb_event_staging",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let distinct: i64 = sqlx::query_scalar(include_str!("sql/winners.sql"))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::raw_sql("ANALYZE pg_temp.stockdb_event_winners")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut inserted = 0;
    let mut updated = 0;
    for sql in [
        include_str!("sql/merge_trades.sql"),
        include_str!("sql/merge_quotes.sql"),
    ] {
        let (ins, upd): (i64, i64) = sqlx::query_as(sql).fetch_one(&mut *tx).await.map_err(db)?;
        inserted += ins;
        updated += upd;
    }
    // In key order, so that two files of several exchanges cannot wait on each other in a
    // cycle; the bounds below are read after, when the other files' events are committed.
    let exchanges: Vec<i32> = sqlx::query_scalar(
        "SELECT DISTINCT hashtext(exchange) AS k FROM pg_temp.stockdb_event_winners ORDER BY k",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    for key in exchanges {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(EXCHANGE_LOCK_CLASS)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as(include_str!("sql/daily_bounds.sql"))
            .bind(from)
            .bind(to)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    let in_table: i64 = sqlx::query_scalar(include_str!("sql/daily.sql"))
        .bind(first)
        .bind(last)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query(include_str!("sql/prior_close.sql"))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let matching: i64 = sqlx::query_scalar(include_str!("sql/verify.sql"))
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let fail = |message: String| Failure {
        outcome: Outcome::RolledBack,
        message: format!(
            "{}: {message}; the file was rolled back",
            file.path.display()
        ),
        kind: ErrorKind::Other,
    };
    if parsed.rows != parsed.accepted + parsed.rejected.len() as u64 {
        return Err(fail(format!(
            "{} records in the file but {} accepted and {} rejected",
            parsed.rows,
            parsed.accepted,
            parsed.rejected.len()
        )));
    }
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
    Ok(parsed.rejected)
}
