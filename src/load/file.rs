//! Loading one price file, atomically: a blocking thread parses and encodes binary COPY
//! chunks while the async side streams them into the staging table, then merges, verifies
//! and commits, all in one transaction (DESIGN.md §6).

use super::copy;
use super::discover::{Kind, PriceFile};
use super::parse::{BadRow, FileError, Item, ParseOptions, PriceReader, Row};
use super::verify::{self, FileCounts};
use crate::analytics::crosses::{self, CrossFinder};
use crate::analytics::features::{self, QualityCounter, RollingMedian};
use crate::analytics::periods::{PeriodRows, Prices};
use crate::analytics::returns::{self, ReturnCounter};
use crate::analytics::{self, Aggregates};
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, watch};

/// Bytes per COPY message; with the channel's 4 slots this bounds memory per job.
pub(super) const CHUNK: usize = 256 * 1024;

/// How files are read and judged.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub parse: ParseOptions,
    /// Bad rows skipped per file before the file is refused (`--max-bad-rows`).
    pub max_bad_rows: u64,
    /// Where rejected rows go (`--rejects`).
    pub rejects_dir: PathBuf,
}

/// How one file's load ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Committed, sanity check passed.
    Loaded,
    /// `--dry-run`: parsed and validated, nothing written.
    Validated,
    /// Bad input: nothing of the file was loaded.
    Refused,
    /// The sanity check failed: rolled back.
    RolledBack,
    /// A database or I/O error: nothing of the file was loaded.
    Failed,
    /// Ctrl-C: rolled back, or never started.
    Interrupted,
}

impl Outcome {
    /// The `market.load_runs.status` value.
    fn status(self) -> &'static str {
        match self {
            Outcome::Loaded | Outcome::Validated => "succeeded",
            Outcome::RolledBack => "rolled_back",
            Outcome::Refused | Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// One line of the load summary.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub symbol: String,
    pub outcome: Outcome,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub rows_in_file: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub warnings: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub in_table: u64,
    /// True when the sanity check ran and passed.
    pub check_passed: bool,
    pub error: Option<String>,
    pub rejects_file: Option<PathBuf>,
    pub sha256: Option<String>,
    /// Attempts made (more than 1 after a deadlock or serialization failure).
    pub attempts: u32,
    /// The format recognised (`Yahoo-style header`, `Nasdaq.com`, …).
    pub format: Option<String>,
    /// Which column holds each field (`Date=Date, Close=Close/Last, …`).
    pub columns: Option<String>,
    /// How the dates are written.
    pub dates: Option<String>,
    /// Event files: records that repeat an event of the same file (the latest arrival kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<u64>,
}

impl FileReport {
    pub(super) fn new(file: &PriceFile) -> Self {
        FileReport {
            path: file.path.clone(),
            symbol: file.symbol.clone(),
            outcome: Outcome::Failed,
            first_day: None,
            last_day: None,
            rows_in_file: 0,
            accepted: 0,
            rejected: 0,
            warnings: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            in_table: 0,
            check_passed: false,
            error: None,
            rejects_file: None,
            sha256: None,
            attempts: 1,
            format: None,
            columns: None,
            dates: None,
            duplicates: None,
        }
    }

    fn take_parsed(&mut self, parsed: &Parsed) {
        self.rows_in_file = parsed.rows;
        self.accepted = parsed.accepted;
        self.rejected = parsed.rejected.len() as u64;
        self.warnings = parsed.warned;
        self.first_day = parsed.first_day;
        self.last_day = parsed.last_day;
        self.sha256 = Some(parsed.sha256.clone());
        self.format = Some(parsed.format.clone());
        self.columns = Some(parsed.columns.clone());
        self.dates = Some(parsed.dates.clone());
    }
}

/// What the parse thread found in a file it read to the end.
#[derive(Debug, Default)]
struct Parsed {
    rows: u64,
    accepted: u64,
    warned: u64,
    first_day: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    rejected: Vec<BadRow>,
    sha256: String,
    format: String,
    columns: String,
    dates: String,
    /// The period aggregates of the accepted rows (written when the symbol is new).
    periods: PeriodRows,
    /// [`copy::digest`] of each accepted row, kept when the rows go straight into the table
    /// (the sanity check compares them with the rows read back).
    digests: Vec<u64>,
    /// Accepted rows identical to the table's (re-loads): not sent, already verified.
    identical: u64,
    /// Days of the rows sent to the server (new or changed): what the aggregates must redo.
    changed_days: Vec<NaiveDate>,
    /// The stored 30-day median of rows going straight into the table (a symbol's first load).
    medians: RollingMedian,
    /// Suspicious rows and gaps among the rows sent (all of them on a first load).
    quality: QualityCounter,
    /// The moving-average crosses of rows going straight into the table (a symbol's first load).
    crosses: CrossFinder,
    /// Their daily-return counts.
    returns: ReturnCounter,
}

/// What the parse thread sends to the server.
enum Mode {
    /// `--dry-run`: staging tuples, thrown away.
    Validate,
    /// A symbol's first load: rows of `market.daily_prices` for this symbol.
    Direct(String),
    /// A re-load: staging tuples for the rows whose day is new or whose values differ from
    /// the table's (day → digest of the values already there).
    Changes(HashMap<NaiveDate, u64>),
}

/// Why the parse thread stopped before the end.
#[derive(Debug)]
pub(super) enum Stop {
    /// One bad row more than `--max-bad-rows` allows.
    TooManyBadRows {
        row: Box<BadRow>,
        limit: u64,
    },
    File(FileError),
    /// The file's size or modification time changed while it was read (still being written?).
    Changed,
    /// The receiving side went away (a database error); not the file's fault.
    Cancelled,
}

/// Feeds every byte read to a SHA-256 shared with the caller (the reader ends up boxed
/// inside the csv and gzip readers, out of reach).
pub(super) struct HashingReader<R> {
    pub(super) inner: R,
    pub(super) hasher: Rc<RefCell<Sha256>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// Opens the file (gzip too), hashing every byte read.
pub(super) fn open_hashed(
    path: &Path,
    hasher: &Rc<RefCell<Sha256>>,
) -> std::io::Result<Box<dyn Read>> {
    let raw = HashingReader {
        inner: std::fs::File::open(path)?,
        hasher: Rc::clone(hasher),
    };
    Ok(if is_gzip(path) {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            raw,
        )))
    } else {
        Box::new(raw)
    })
}

/// True for `.gz` files, read through a decompressor.
pub(crate) fn is_gzip(path: &Path) -> bool {
    path.to_string_lossy().to_ascii_lowercase().ends_with(".gz")
}

/// A price file opened for reading: its rows, and the SHA-256 of the bytes read so far.
struct Opened {
    rows: PriceReader<Box<dyn Read>>,
    hasher: Rc<RefCell<Sha256>>,
    watch: std::fs::File,
    before: (u64, Option<std::time::SystemTime>),
}

/// The file's size and modification time, to notice a file that changes while it is read.
fn stamp(f: &std::fs::File) -> std::io::Result<(u64, Option<std::time::SystemTime>)> {
    f.metadata().map(|m| (m.len(), m.modified().ok()))
}

impl Opened {
    fn open(path: &Path, settings: &Settings) -> Result<Opened, Stop> {
        let file = std::fs::File::open(path).map_err(|e| Stop::File(e.into()))?;
        // Checked on the open handle: a file replaced by rename meanwhile is still read whole.
        let watch = file.try_clone().map_err(|e| Stop::File(e.into()))?;
        let before = stamp(&watch).map_err(|e| Stop::File(e.into()))?;
        let hasher = Rc::new(RefCell::new(Sha256::new()));
        let raw = HashingReader {
            inner: file,
            hasher: Rc::clone(&hasher),
        };
        let reader: Box<dyn Read> = if is_gzip(path) {
            Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                raw,
            )))
        } else {
            Box::new(raw)
        };
        let rows = PriceReader::new(reader, settings.parse.clone()).map_err(Stop::File)?;
        Ok(Opened {
            rows,
            hasher,
            watch,
            before,
        })
    }

    /// A `Parsed` with the file's format, nothing counted yet.
    fn parsed(&self, settings: &Settings) -> Parsed {
        let layout = self.rows.layout();
        Parsed {
            format: layout.label().to_string(),
            columns: layout.header.mapping(),
            dates: match &settings.parse.date_format {
                Some(f) => format!("{f} (--date-format)"),
                None => layout.header.dates.label().to_string(),
            },
            ..Parsed::default()
        }
    }

    /// After the last row: the row count and digest, or `Changed` if the file moved meanwhile.
    fn close(self, parsed: &mut Parsed) -> Result<(), Stop> {
        parsed.rows = self.rows.rows;
        drop(self.rows);
        if stamp(&self.watch).map_err(|e| Stop::File(e.into()))? != self.before {
            return Err(Stop::Changed);
        }
        parsed.sha256 = format!("{:x}", self.hasher.borrow_mut().finalize_reset());
        Ok(())
    }
}

/// COPY chunks on their way to the async side, cut at [`CHUNK`] bytes.
pub(super) struct Chunks {
    pub(super) buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
}

impl Chunks {
    pub(super) fn new(tx: mpsc::Sender<Vec<u8>>) -> Chunks {
        let mut buf = Vec::with_capacity(CHUNK + 128);
        buf.extend_from_slice(copy::HEADER);
        Chunks { buf, tx }
    }

    /// Sends the buffer once it is full.
    pub(super) fn flush_full(&mut self) -> Result<(), Stop> {
        if self.buf.len() >= CHUNK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 128));
            self.tx.blocking_send(full).map_err(|_| Stop::Cancelled)?;
        }
        Ok(())
    }

    /// Ends the COPY stream and sends the rest.
    pub(super) fn finish(mut self) -> Result<(), Stop> {
        self.buf.extend_from_slice(copy::TRAILER);
        self.tx.blocking_send(self.buf).map_err(|_| Stop::Cancelled)
    }
}

impl Parsed {
    /// An accepted row: encoded as `mode` says (or left out when identical to the table's),
    /// and counted.
    fn accept(&mut self, row: &Row, warnings: u8, mode: &Mode, buf: &mut Vec<u8>) {
        match mode {
            Mode::Validate => {
                copy::encode_row(buf, row);
            }
            Mode::Direct(symbol) => {
                let median = self
                    .medians
                    .push(row.day, row.adj_close.unwrap_or(row.close));
                self.digests
                    .push(copy::encode_row_of(buf, symbol, row, median));
                self.crosses.push(row.day, row.close);
                self.returns
                    .push(row.day, row.adj_close.unwrap_or(row.close));
                self.changed_days.push(row.day);
                self.quality.add(row.day, row.warnings());
            }
            Mode::Changes(known) => {
                let start = buf.len();
                if known.get(&row.day) == Some(&copy::encode_row(buf, row)) {
                    buf.truncate(start);
                    self.identical += 1;
                } else {
                    self.changed_days.push(row.day);
                    self.quality.add(row.day, row.warnings());
                }
            }
        }
        self.count(row, warnings);
        self.periods.add(
            row.day,
            Prices {
                open: row.open,
                high: row.high,
                low: row.low,
                close: row.close,
                volume: row.volume,
            },
        );
    }

    /// Counts an accepted row and widens the day range (no encoding: a grouped file's rows
    /// are encoded per symbol later).
    fn count(&mut self, row: &Row, warnings: u8) {
        self.accepted += 1;
        self.warned += u64::from(warnings != 0);
        self.first_day = Some(self.first_day.map_or(row.day, |d| d.min(row.day)));
        self.last_day = Some(self.last_day.map_or(row.day, |d| d.max(row.day)));
    }

    /// A bad row: kept for the rejects file, or the end of the file past `--max-bad-rows`.
    fn reject(&mut self, row: BadRow, settings: &Settings) -> Result<(), Stop> {
        if self.rejected.len() as u64 >= settings.max_bad_rows {
            return Err(Stop::TooManyBadRows {
                row: Box::new(row),
                limit: settings.max_bad_rows,
            });
        }
        self.rejected.push(row);
        Ok(())
    }
}

/// Runs on a blocking thread: reads, validates and encodes the file, sending COPY chunks as
/// `mode` says.
fn parse_file(
    path: &Path,
    settings: &Settings,
    mode: &Mode,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<Parsed, Stop> {
    let mut file = Opened::open(path, settings)?;
    let mut parsed = file.parsed(settings);
    let mut chunks = Chunks::new(tx);
    while let Some(item) = file.rows.next_item().map_err(Stop::File)? {
        match item {
            Item::Row(row, warnings) => parsed.accept(&row, warnings, mode, &mut chunks.buf),
            Item::Bad(row) => parsed.reject(row, settings)?,
        }
        chunks.flush_full()?;
    }
    chunks.finish()?;
    file.close(&mut parsed)?;
    Ok(parsed)
}

/// A file naming a symbol on each row, read whole: each symbol's accepted rows (with their
/// warning flags), and the file's counts, bad rows and digest in `file`.
struct Grouped {
    symbols: BTreeMap<String, Vec<(Row, u8)>>,
    file: Parsed,
}

/// Runs on a blocking thread: reads a file naming a symbol on each row and groups its rows
/// by symbol (held in memory: about 70 bytes a row).
fn read_grouped(path: &Path, settings: &Settings) -> Result<Grouped, Stop> {
    let mut file = Opened::open(path, settings)?;
    let mut parsed = file.parsed(settings);
    let mut symbols: BTreeMap<String, Vec<(Row, u8)>> = BTreeMap::new();
    while let Some(item) = file.rows.next_item().map_err(Stop::File)? {
        match item {
            Item::Row(row, warnings) => {
                let symbol = file.rows.row_symbol().unwrap_or_default();
                match symbols.get_mut(symbol) {
                    Some(rows) => rows.push((row, warnings)),
                    None => {
                        symbols.insert(symbol.to_string(), vec![(row, warnings)]);
                    }
                }
                parsed.count(&row, warnings);
            }
            Item::Bad(row) => parsed.reject(row, settings)?,
        }
    }
    file.close(&mut parsed)?;
    Ok(Grouped {
        symbols,
        file: parsed,
    })
}

/// Runs on a blocking thread: encodes one symbol's rows of a grouped file as `mode` says.
fn encode_rows(rows: &[(Row, u8)], mode: &Mode, tx: mpsc::Sender<Vec<u8>>) -> Result<Parsed, Stop> {
    let mut parsed = Parsed::default();
    let mut chunks = Chunks::new(tx);
    for (row, warnings) in rows {
        parsed.accept(row, *warnings, mode, &mut chunks.buf);
        chunks.flush_full()?;
    }
    chunks.finish()?;
    parsed.rows = parsed.accepted;
    Ok(parsed)
}

pub(super) fn refusal_message(stop: &Stop, path: &Path) -> String {
    match stop {
        Stop::TooManyBadRows { row, limit } => {
            let hint = if *limit == 0 {
                "file refused, nothing loaded; --max-bad-rows 1 would skip this row".to_string()
            } else {
                format!(
                    "file refused, nothing loaded: bad row {} of this file, --max-bad-rows {limit} allows {limit}",
                    limit + 1
                )
            };
            format!("{}:{row} ({hint})", path.display())
        }
        Stop::File(FileError::Header(e)) => {
            format!("{}:1: {e} (file refused, nothing loaded)", path.display())
        }
        Stop::File(FileError::Csv { line, message }) => {
            format!(
                "{}:{line}: malformed CSV: {message} (file refused, nothing loaded)",
                path.display()
            )
        }
        Stop::File(FileError::NotDaily { line, message }) => format!(
            "{}:{line}: {message} (file refused, nothing loaded)",
            path.display()
        ),
        Stop::File(FileError::Io(e)) => format!(
            "{}: cannot read: {e} (file refused, nothing loaded)",
            path.display()
        ),
        Stop::Changed => format!(
            "{}: the file changed while it was being read (file refused, nothing loaded; load it again once it is complete)",
            path.display()
        ),
        Stop::Cancelled => format!("{}: stopped", path.display()),
    }
}

/// Where the loader writes and records.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    /// Connections for the data transactions (each has the staging table).
    pub data: &'a PgPool,
    /// Connections for `load_runs` records outside the data transactions.
    pub records: &'a PgPool,
    /// How the period aggregates are kept fresh.
    pub aggregates: Aggregates,
}

/// What every file of one run shares: Ctrl-C and whether the database went away.
#[derive(Debug)]
pub struct RunState {
    cancel: watch::Receiver<bool>,
    connection_lost: AtomicBool,
}

impl RunState {
    /// A run that stops starting files once `cancel` turns true.
    pub fn new(cancel: watch::Receiver<bool>) -> Self {
        RunState {
            cancel,
            connection_lost: AtomicBool::new(false),
        }
    }

    /// True once a file failed because the server or the network went away.
    pub fn connection_lost(&self) -> bool {
        self.connection_lost.load(Ordering::SeqCst)
    }

    fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    async fn wait_cancelled(&self) {
        let mut rx = self.cancel.clone();
        // An error means the sender is gone: no interrupt can come any more.
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Attempts per file when the server reports a deadlock or serialization failure (another
/// loader wrote the same rows); each attempt re-reads the file and has its own run record.
const ATTEMPTS: u32 = 3;

/// Loads (or, without a target, only validates) one file; never returns an error: every
/// outcome, failures included, is a report.
pub async fn load(
    file: &PriceFile,
    settings: &Settings,
    target: Option<Target<'_>>,
    run: &RunState,
) -> FileReport {
    let mut report = FileReport::new(file);
    if run.cancelled() {
        report.outcome = Outcome::Interrupted;
        report.error = Some(format!(
            "{}: not started (interrupted)",
            file.path.display()
        ));
        return report;
    }
    let Some(target) = target else {
        return validate(file, settings).await;
    };
    for attempt in 1..=ATTEMPTS {
        if run.connection_lost.load(Ordering::SeqCst) {
            report.error = Some(format!(
                "{}: not started: the connection to the database was lost (see the first error)",
                file.path.display()
            ));
            return report;
        }
        let (report, retry) = attempt_load(file, settings, target, run).await;
        if retry && attempt < ATTEMPTS {
            tracing::warn!(
                "{}: {} — retrying the whole file (attempt {} of {ATTEMPTS})",
                file.path.display(),
                report.error.as_deref().unwrap_or(""),
                attempt + 1
            );
            tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
            continue;
        }
        return FileReport {
            attempts: attempt,
            ..report
        };
    }
    unreachable!("the last attempt always returns")
}

/// `--dry-run`: parse and validate only.
async fn validate(file: &PriceFile, settings: &Settings) -> FileReport {
    if file.kind != Kind::Daily {
        let (mut report, rejected) = if file.kind == Kind::Intraday {
            super::intraday::validate(file, settings).await
        } else {
            super::events::validate(file, settings).await
        };
        keep_rejects(settings, &mut report, &rejected);
        return report;
    }
    let mut report = FileReport::new(file);
    if file.symbol_per_row {
        let (path, owned) = (file.path.clone(), settings.clone());
        let read = tokio::task::spawn_blocking(move || read_grouped(&path, &owned)).await;
        match read {
            Ok(Ok(grouped)) => {
                report.take_parsed(&grouped.file);
                report.symbol = symbols_label(grouped.symbols.keys());
                report.outcome = Outcome::Validated;
                report.check_passed =
                    grouped.file.rows == grouped.file.accepted + grouped.file.rejected.len() as u64;
                keep_rejects(settings, &mut report, &grouped.file.rejected);
            }
            Ok(Err(stop)) => {
                report.outcome = Outcome::Refused;
                report.error = Some(refusal_message(&stop, &file.path));
            }
            Err(e) => {
                report.outcome = Outcome::Failed;
                report.error = Some(format!("{}: {e}", file.path.display()));
            }
        }
        return report;
    }
    let (tx, rx) = mpsc::channel::<Vec<u8>>(4);
    let parse = spawn_parser(file, settings, Mode::Validate, tx);
    drain(rx).await;
    match join(parse).await {
        Ok(parsed) => {
            report.take_parsed(&parsed);
            report.outcome = Outcome::Validated;
            report.check_passed = parsed.rows == parsed.accepted + parsed.rejected.len() as u64;
            keep_rejects(settings, &mut report, &parsed.rejected);
        }
        Err(stop) => {
            report.outcome = Outcome::Refused;
            report.error = Some(refusal_message(&stop, &file.path));
        }
    }
    report
}

fn spawn_parser(
    file: &PriceFile,
    settings: &Settings,
    mode: Mode,
    tx: mpsc::Sender<Vec<u8>>,
) -> tokio::task::JoinHandle<Result<Parsed, Stop>> {
    let path = file.path.clone();
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || parse_file(&path, &settings, &mode, tx))
}

/// One attempt: run record, transaction, outcome. The flag says whether to try again.
async fn attempt_load(
    file: &PriceFile,
    settings: &Settings,
    target: Target<'_>,
    run: &RunState,
) -> (FileReport, bool) {
    let mut report = FileReport::new(file);
    let lost = |e: &sqlx::Error| {
        if classify(e) == ErrorKind::ConnectionLost {
            run.connection_lost.store(true, Ordering::SeqCst);
        }
    };
    let run_id = match start_record(target.records, file).await {
        Ok(id) => id,
        Err(e) => {
            lost(&e);
            report.error = Some(format!(
                "{}: recording the load: {e} (nothing of this file was loaded)",
                file.path.display()
            ));
            return (report, false);
        }
    };
    let mut conn = match target.data.acquire().await {
        Ok(c) => c,
        Err(e) => {
            lost(&e);
            report.error = Some(format!(
                "{}: connecting: {e} (nothing of this file was loaded)",
                file.path.display()
            ));
            finish_record_outside(target.records, run_id, &report).await;
            return (report, false);
        }
    };
    let result = write(
        &mut conn,
        file,
        settings,
        run_id,
        target.aggregates,
        run,
        &mut report,
    )
    .await;
    let mut retry = false;
    match result {
        Ok(rejected) => {
            report.outcome = Outcome::Loaded;
            keep_rejects(settings, &mut report, &rejected);
        }
        Err(failure) => {
            if matches!(failure.outcome, Outcome::Failed | Outcome::Interrupted) {
                // The connection may be mid-COPY or broken; never hand it to another file.
                conn.close_on_drop();
            }
            if failure.kind == ErrorKind::ConnectionLost {
                run.connection_lost.store(true, Ordering::SeqCst);
            }
            retry = failure.kind == ErrorKind::Retry;
            report.outcome = failure.outcome;
            report.error = Some(failure.message);
            report.check_passed = false;
            report.inserted = 0;
            report.updated = 0;
            report.unchanged = 0;
            // With the server gone the record cannot be written; it stays `running`, which
            // never claims the data is there.
            if failure.kind != ErrorKind::ConnectionLost {
                finish_record_outside(target.records, run_id, &report).await;
            }
        }
    }
    (report, retry)
}

/// How a database error bears on what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrorKind {
    /// Deadlock or serialization failure: the whole file may be tried again.
    Retry,
    /// The server or the network went away: start no more files.
    ConnectionLost,
    Other,
}

pub(super) fn classify(e: &sqlx::Error) -> ErrorKind {
    match e {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("40001" | "40P01") => ErrorKind::Retry,
            // admin_shutdown, crash_shutdown, cannot_connect_now
            Some("57P01" | "57P02" | "57P03") => ErrorKind::ConnectionLost,
            _ => ErrorKind::Other,
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => ErrorKind::ConnectionLost,
        _ => ErrorKind::Other,
    }
}

pub(super) struct Failure {
    pub(super) outcome: Outcome,
    pub(super) message: String,
    pub(super) kind: ErrorKind,
}

impl Failure {
    pub(super) fn db(file: &PriceFile, err: sqlx::Error) -> Self {
        Failure {
            outcome: Outcome::Failed,
            message: format!(
                "{}: database error: {err} (nothing of this file was loaded)",
                file.path.display()
            ),
            kind: classify(&err),
        }
    }

    pub(super) fn any(file: &PriceFile, err: anyhow::Error) -> Self {
        match err.downcast::<sqlx::Error>() {
            Ok(e) => Failure::db(file, e),
            Err(other) => Failure {
                outcome: Outcome::Failed,
                message: format!(
                    "{}: {other:#} (nothing of this file was loaded)",
                    file.path.display()
                ),
                kind: ErrorKind::Other,
            },
        }
    }
}

async fn drain(mut rx: mpsc::Receiver<Vec<u8>>) -> u64 {
    let mut bytes = 0;
    while let Some(chunk) = rx.recv().await {
        bytes += chunk.len() as u64;
    }
    bytes
}

async fn join(handle: tokio::task::JoinHandle<Result<Parsed, Stop>>) -> Result<Parsed, Stop> {
    match handle.await {
        Ok(result) => result,
        Err(e) => Err(Stop::File(FileError::Io(std::io::Error::other(format!(
            "parser thread failed: {e}"
        ))))),
    }
}

/// The transaction: symbol, COPY, merge, verify, record success, commit. A symbol's first
/// load COPYs straight into `market.daily_prices` and checks the rows read back; later loads
/// go through the staging table and an upsert. A file naming a symbol on each row is read
/// whole first and does this for each of its symbols, in one transaction.
async fn write(
    conn: &mut PgConnection,
    file: &PriceFile,
    settings: &Settings,
    run_id: i64,
    aggregates: Aggregates,
    run: &RunState,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let mut tx = conn.begin().await.map_err(|e| Failure::db(file, e))?;
    let rejected = if file.kind == Kind::Intraday {
        super::intraday::write(&mut tx, file, settings, aggregates, run, report).await?
    } else if file.kind == Kind::Events {
        super::events::write(&mut tx, file, settings, run, report).await?
    } else if file.symbol_per_row {
        write_grouped(&mut tx, file, settings, aggregates, run, report).await?
    } else {
        let (chunks, rx) = mpsc::channel::<Vec<u8>>(4);
        let source = |mode| spawn_parser(file, settings, mode, chunks);
        let done = write_symbol(&mut tx, file, &file.symbol, source, rx, aggregates, run).await?;
        report.take_parsed(&done.parsed);
        report.add_written(&done);
        done.parsed.rejected
    };
    // Success is recorded inside the data transaction: the record claims it only if the
    // data commits, and a crash before commit leaves the record `running`, never `succeeded`.
    report.outcome = Outcome::Loaded;
    finish_record(&mut tx, run_id, report)
        .await
        .map_err(|e| Failure::db(file, e))?;
    tx.commit().await.map_err(|e| Failure::db(file, e))?;
    Ok(rejected)
}

/// A grouped file: read whole, then each symbol written in turn (sorted, so that two files
/// sharing symbols lock them in the same order), each with its own sanity check.
async fn write_grouped(
    tx: &mut PgConnection,
    file: &PriceFile,
    settings: &Settings,
    aggregates: Aggregates,
    run: &RunState,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let (path, owned) = (file.path.clone(), settings.clone());
    let grouped = tokio::task::spawn_blocking(move || read_grouped(&path, &owned))
        .await
        .map_err(|e| Failure::any(file, e.into()))?
        .map_err(|stop| Failure {
            outcome: Outcome::Refused,
            message: refusal_message(&stop, &file.path),
            kind: ErrorKind::Other,
        })?;
    report.take_parsed(&grouped.file);
    report.symbol = symbols_label(grouped.symbols.keys());
    let Grouped {
        symbols,
        file: whole,
    } = grouped;
    if whole.rows != whole.accepted + whole.rejected.len() as u64 {
        return Err(Failure {
            outcome: Outcome::RolledBack,
            message: format!(
                "{}: {} rows in the file but {} accepted and {} rejected; the file was rolled back",
                file.path.display(),
                whole.rows,
                whole.accepted,
                whole.rejected.len()
            ),
            kind: ErrorKind::Other,
        });
    }
    for (symbol, rows) in symbols {
        let symbol = super::discover::check_symbol(&symbol).map_err(|e| Failure {
            outcome: Outcome::Refused,
            message: format!(
                "{}: {e:#} (file refused, nothing loaded)",
                file.path.display()
            ),
            kind: ErrorKind::Other,
        })?;
        let (chunks, rx) = mpsc::channel::<Vec<u8>>(4);
        let source = move |mode: Mode| {
            tokio::task::spawn_blocking(move || encode_rows(&rows, &mode, chunks))
        };
        let done = write_symbol(tx, file, &symbol, source, rx, aggregates, run).await?;
        report.add_written(&done);
        sqlx::query("TRUNCATE pg_temp.stockdb_staging")
            .execute(&mut *tx)
            .await
            .map_err(|e| Failure::db(file, e))?;
    }
    Ok(whole.rejected)
}

/// `AAL, AAPL` or `AAL … ZTS (505 symbols)`: the symbols of a grouped file, for the report.
pub(super) fn symbols_label<'a>(symbols: impl ExactSizeIterator<Item = &'a String>) -> String {
    let n = symbols.len();
    let all: Vec<&String> = symbols.collect();
    match all.as_slice() {
        [] => String::new(),
        few if n <= 3 => few
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        [first, .., last] => format!("{first} … {last} ({n} symbols)"),
        _ => unreachable!("more than 3 symbols have a first and a last"),
    }
}

/// What one symbol's part of a transaction wrote.
struct Written {
    parsed: Parsed,
    inserted: u64,
    updated: u64,
    in_table: u64,
}

impl FileReport {
    /// Adds one symbol's writes (a grouped file has several).
    fn add_written(&mut self, done: &Written) {
        self.inserted += done.inserted;
        self.updated += done.updated;
        self.unchanged += done
            .parsed
            .accepted
            .saturating_sub(done.inserted + done.updated);
        self.in_table += done.in_table;
        self.check_passed = true;
    }
}

/// One symbol inside the file's transaction: lock it, choose how to send its rows, COPY
/// them (`source` starts the thread that encodes them into `rx`), merge, verify, and redo
/// its aggregates.
async fn write_symbol<F>(
    tx: &mut PgConnection,
    file: &PriceFile,
    symbol: &str,
    source: F,
    mut rx: mpsc::Receiver<Vec<u8>>,
    aggregates: Aggregates,
    run: &RunState,
) -> Result<Written, Failure>
where
    F: FnOnce(Mode) -> tokio::task::JoinHandle<Result<Parsed, Stop>>,
{
    sqlx::query(include_str!("sql/symbol_upsert.sql"))
        .bind(symbol)
        .bind(file.asset_class.map(|c| c.as_str()))
        .execute(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    // Asked after the symbol's row lock is held: no other load of the symbol runs until commit.
    // `counted`: the rows stockdb counted at its last write of the symbol; another tool wrote
    // rows since when it differs from `rows_before`.
    let (rows_before, last_before, counted): (i64, Option<NaiveDate>, Option<i64>) =
        sqlx::query_as(
            "SELECT count(*), max(day), \
                    (SELECT rows FROM market.symbol_stats WHERE symbol = $1) \
             FROM market.daily_prices WHERE symbol = $1",
        )
        .bind(symbol)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let is_new = rows_before == 0;

    let mode = if is_new {
        Mode::Direct(symbol.to_string())
    } else if appends(file, rows_before) {
        // Every row goes to staging and the upsert sorts new from unchanged.
        Mode::Changes(HashMap::new())
    } else {
        Mode::Changes(
            verify::known_rows(&mut *tx, symbol)
                .await
                .map_err(|e| Failure::any(file, e))?,
        )
    };
    let parse = source(mode);
    let copy_sql = if is_new {
        include_str!("sql/copy_direct.sql")
    } else {
        include_str!("sql/copy_staging.sql")
    };
    let mut copy_in = tx
        .copy_in_raw(copy_sql)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let send_error = match send_chunks(&mut copy_in, &mut rx, run).await {
        Sent::All => None,
        Sent::Failed(e) => Some(e),
        Sent::Cancelled => {
            copy_in.abort("stockdb: interrupted").await.ok();
            return Err(interrupted(file));
        }
    };
    // Closing our end stops the parse thread if it is still sending.
    drop(rx);
    let parsed = join(parse).await;
    let mut parsed = match (parsed, send_error) {
        (_, Some(e)) => {
            copy_in.abort("stockdb: send failed").await.ok();
            return Err(Failure::db(file, e));
        }
        (Err(stop), None) => {
            copy_in.abort("stockdb: file refused").await.ok();
            return Err(Failure {
                outcome: Outcome::Refused,
                message: refusal_message(&stop, &file.path),
                kind: ErrorKind::Other,
            });
        }
        (Ok(parsed), None) => parsed,
    };
    let copied = copy_in.finish().await.map_err(|e| Failure::db(file, e))?;

    let (inserted, updated): (i64, i64) = if is_new {
        (copied as i64, 0)
    } else if copied == 0 {
        // Every row was identical to the table's: nothing to merge.
        (0, 0)
    } else {
        sqlx::query_as(include_str!("sql/merge.sql"))
            .bind(symbol)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| Failure::db(file, e))?
    };

    let table = if is_new {
        let digests = std::mem::take(&mut parsed.digests);
        verify::read_back(&mut *tx, symbol, copied, digests).await
    } else {
        verify::table_counts(&mut *tx, symbol).await
    };
    let mut table = table.map_err(|e| Failure::any(file, e))?;
    let in_table = table.in_table;
    // Rows found identical in the read-back were not sent, and are verified already.
    table.staged += parsed.identical;
    table.matching += parsed.identical;
    let counts = FileCounts {
        rows_in_file: parsed.rows,
        accepted: parsed.accepted,
        rejected: parsed.rejected.len() as u64,
        copied: copied + parsed.identical,
    };
    if let Err(msg) = verify::check(counts, table) {
        let whose = if file.symbol_per_row {
            format!(" (symbol {symbol})")
        } else {
            String::new()
        };
        return Err(Failure {
            outcome: Outcome::RolledBack,
            message: format!(
                "{}{whose}: {msg}; the file was rolled back",
                file.path.display()
            ),
            kind: ErrorKind::Other,
        });
    }
    if let (Some(first), Some(last)) = (parsed.first_day, parsed.last_day) {
        sqlx::query(include_str!("sql/symbol_stats.sql"))
            .bind(symbol)
            .bind(in_table as i64)
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(|e| Failure::db(file, e))?;
    }
    // The quality counts: as counted in the rows sent, where those were all of the symbol's
    // rows (a first load) or days appended after its last; otherwise recounted in SQL.
    let first_changed = parsed.changed_days.iter().min().copied();
    let appended = updated == 0
        && inserted as usize == parsed.changed_days.len()
        && first_changed.is_none_or(|f| last_before.is_some_and(|l| f > l));
    let write = parsed
        .quality
        .write(is_new, appended, inserted + updated > 0, last_before);
    features::store_quality(&mut *tx, symbol, write)
        .await
        .map_err(|e| Failure::any(file, e))?;
    // The stored medians: streamed in with a new symbol's rows when its days came in order;
    // otherwise recomputed here from the first changed day (its window reaches back 29 days).
    let medians_from = if is_new {
        parsed.medians.out_of_order.then_some(None)
    } else {
        (inserted + updated > 0).then(|| parsed.changed_days.iter().min().copied())
    };
    if let Some(from) = medians_from {
        features::refresh_medians(&mut *tx, symbol, from)
            .await
            .map_err(|e| Failure::any(file, e))?;
    }
    // The moving-average crosses and daily-return counts: found as a new symbol's rows streamed
    // in when its days came in order; continued from the symbol's last row when days were
    // appended after rows only stockdb wrote; otherwise recomputed in SQL from the first
    // changed day.
    let kept = match last_before {
        _ if is_new && !parsed.crosses.out_of_order => {
            store_streamed(&mut *tx, symbol, &parsed).await
        }
        Some(last) if appended && inserted > 0 && counted == Some(rows_before) => {
            continue_appended(&mut *tx, symbol, last, rows_before).await
        }
        _ if inserted + updated > 0 => {
            let from = if is_new { None } else { first_changed };
            recompute_kept(&mut *tx, symbol, from).await
        }
        _ => Ok(()),
    };
    kept.map_err(|e| Failure::any(file, e))?;
    if inserted + updated > 0 {
        let done = match (aggregates, is_new, parsed.periods.finished()) {
            (Aggregates::Tables, true, Some(rows)) => {
                analytics::write_periods(&mut *tx, symbol, rows).await
            }
            _ => {
                let days = &parsed.changed_days;
                analytics::changed(&mut *tx, aggregates, symbol, days, last_before).await
            }
        };
        done.map_err(|e| Failure::any(file, e))?;
    }
    Ok(Written {
        parsed,
        inserted: inserted as u64,
        updated: updated as u64,
        in_table,
    })
}

/// How streaming a file's COPY chunks ended.
pub(super) enum Sent {
    /// Every chunk went out.
    All,
    /// A send failed (the server said why).
    Failed(sqlx::Error),
    /// Ctrl-C: the caller aborts the COPY.
    Cancelled,
}

/// Streams the parse thread's COPY chunks to the server. Ctrl-C is heeded only here, between
/// chunks: once the rows are in, the rest of the file takes milliseconds, and cancelling
/// during COMMIT could not stop the server committing.
pub(super) async fn send_chunks(
    copy_in: &mut sqlx::postgres::PgCopyIn<&mut PgConnection>,
    rx: &mut mpsc::Receiver<Vec<u8>>,
    run: &RunState,
) -> Sent {
    loop {
        let chunk = tokio::select! {
            chunk = rx.recv() => chunk,
            () = run.wait_cancelled() => return Sent::Cancelled,
        };
        let Some(chunk) = chunk else { return Sent::All };
        if let Err(e) = copy_in.send(chunk).await {
            return Sent::Failed(e);
        }
    }
}

/// The failure of a load stopped by Ctrl-C.
pub(super) fn interrupted(file: &PriceFile) -> Failure {
    Failure {
        outcome: Outcome::Interrupted,
        message: format!(
            "{}: interrupted; rolled back, nothing of this file was loaded",
            file.path.display()
        ),
        kind: ErrorKind::Other,
    }
}

/// A new symbol's crosses and return counts, as its rows streamed in.
async fn store_streamed(
    conn: &mut PgConnection,
    symbol: &str,
    parsed: &Parsed,
) -> anyhow::Result<()> {
    crosses::store(&mut *conn, symbol, &parsed.crosses).await?;
    returns::store(conn, symbol, &parsed.returns, false).await
}

/// Days appended after `last_before`: the crosses and return counts continue from the
/// symbol's last rows (the new rows and the one before them, read back).
async fn continue_appended(
    conn: &mut PgConnection,
    symbol: &str,
    last_before: NaiveDate,
    rows_before: i64,
) -> anyhow::Result<()> {
    let rows: Vec<(NaiveDate, f64, f64)> = sqlx::query_as(
        "SELECT day, close, coalesce(adj_close, close) FROM market.daily_prices \
         WHERE symbol = $1 AND day >= $2 ORDER BY day",
    )
    .bind(symbol)
    .bind(last_before)
    .fetch_all(&mut *conn)
    .await?;
    let Some(((_, _, last_price), new)) = rows.split_first() else {
        return recompute_kept(conn, symbol, None).await;
    };
    let closes: Vec<(NaiveDate, f64)> = new.iter().map(|&(d, c, _)| (d, c)).collect();
    crosses::append(&mut *conn, symbol, last_before, rows_before, &closes).await?;
    let mut counter = ReturnCounter::resume(last_before, *last_price);
    for &(day, _, price) in new {
        counter.push(day, price);
    }
    returns::store(conn, symbol, &counter, true).await
}

/// The crosses and return counts recomputed in SQL from `from` on (None: every day).
async fn recompute_kept(
    conn: &mut PgConnection,
    symbol: &str,
    from: Option<NaiveDate>,
) -> anyhow::Result<()> {
    crosses::refresh(&mut *conn, symbol, from).await?;
    returns::refresh(conn, symbol, from).await
}

/// True when the file is small beside the symbol's rows in the table (about a third or
/// less, at ~60 bytes a row): likely new days appended. Reading back the whole history to
/// compare a few rows costs more than staging them all (one new day for 2,642 symbols on
/// plain PostgreSQL: 18.7 s against 13.1 s). Either way every row is verified; this only
/// chooses the cheaper way.
fn appends(file: &PriceFile, in_table: i64) -> bool {
    let bytes = std::fs::metadata(&file.path).map_or(0, |m| m.len());
    bytes < (in_table.max(0) as u64) * 20
}

async fn start_record(records: &PgPool, file: &PriceFile) -> sqlx::Result<i64> {
    sqlx::query_scalar(include_str!("sql/run_start.sql"))
        .bind(file.path.display().to_string())
        .bind(&file.symbol)
        .fetch_one(records)
        .await
}

async fn finish_record(conn: &mut PgConnection, run_id: i64, r: &FileReport) -> sqlx::Result<()> {
    let n = |v: u64| v as i64;
    let loaded = r.outcome == Outcome::Loaded;
    sqlx::query(include_str!("sql/run_finish.sql"))
        .bind(run_id)
        .bind(r.outcome.status())
        .bind(&r.sha256)
        .bind(n(r.rows_in_file))
        .bind(n(r.accepted))
        .bind(n(r.rejected))
        .bind(n(r.warnings))
        .bind(loaded.then(|| n(r.inserted)))
        .bind(loaded.then(|| n(r.updated)))
        .bind(loaded.then(|| n(r.unchanged)))
        .bind(loaded.then(|| n(r.in_table)))
        .bind(r.first_day)
        .bind(r.last_day)
        .bind(&r.error)
        .bind(&r.symbol)
        .execute(conn)
        .await?;
    Ok(())
}

async fn finish_record_outside(records: &PgPool, run_id: i64, report: &FileReport) {
    let result = async {
        let mut conn = records.acquire().await?;
        finish_record(&mut conn, run_id, report).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(
            "{}: could not record the failed load: {e}",
            report.path.display()
        );
    }
}

/// Writes the skipped rows to `<rejects>/<folder>_<file>.rejects.csv` (line, column, reason,
/// original text), and names that file in the report.
fn keep_rejects(settings: &Settings, report: &mut FileReport, rejected: &[BadRow]) {
    if rejected.is_empty() {
        return;
    }
    let folder = report
        .path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| format!("{}_", n.to_string_lossy()))
        .unwrap_or_default();
    let name = report
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = settings
        .rejects_dir
        .join(format!("{folder}{name}.rejects.csv"));
    let written = (|| -> anyhow::Result<()> {
        std::fs::create_dir_all(&settings.rejects_dir)?;
        let mut w = csv::Writer::from_path(&out)?;
        w.write_record(["line", "column", "reason", "original"])?;
        for row in rejected {
            let column = row.column.map(|c| c.to_string()).unwrap_or_default();
            w.write_record([
                row.line.to_string(),
                column,
                row.problem.to_string(),
                row.text.clone(),
            ])?;
        }
        w.flush()?;
        Ok(())
    })();
    match written {
        Ok(()) => report.rejects_file = Some(out),
        Err(e) => tracing::warn!(
            "{}: could not write {}: {e:#}",
            report.path.display(),
            out.display()
        ),
    }
}
