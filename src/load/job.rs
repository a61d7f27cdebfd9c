//! One file's transaction, for any kind: the `load_runs` record, attempts and retries,
//! failure classes, rejects, commit or rollback, and the [`FileReport`]. It calls the kind
//! through [`FileKind`] and names none (ARCHITECTURE.md).

use super::files::PriceFile;
use super::values::{BadRow, ParseOptions};
use crate::analytics::Aggregates;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Connection, PgConnection, PgPool};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

/// What a kind of data (daily bars, intraday bars, events) does inside a file's job.
// The job runs every file's future in the one task of `load::run`, so the futures need no
// `Send` bound, which is what this lint is about.
#[allow(async_fn_in_trait)]
pub trait FileKind {
    /// `--dry-run`: reads and validates the file, writing nothing; the report and the rows
    /// to keep in the rejects file.
    async fn validate(&self, file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>);

    /// Inside the file's transaction: COPY, merge, verify and redo what depends on the
    /// rows; fills `report` and returns the rows to keep in the rejects file. An `Err`
    /// rolls the file back.
    async fn write(
        &self,
        tx: &mut PgConnection,
        file: &PriceFile,
        context: WriteContext<'_>,
        report: &mut FileReport,
    ) -> Result<Vec<BadRow>, Failure>;
}

/// What a kind's write gets besides the file and its transaction.
#[derive(Clone, Copy)]
pub struct WriteContext<'a> {
    pub settings: &'a Settings,
    /// How the period aggregates are kept fresh on this database.
    pub aggregates: Aggregates,
    pub run: &'a RunState,
    /// The `market.load_runs` id of this attempt: the provenance of every row it writes.
    pub run_id: i64,
    /// Connections outside the file's transaction, for what must commit on its own.
    pub records: &'a sqlx::PgPool,
    /// The tables are distributed over Citus workers (the citus tier).
    pub distributed: bool,
}

/// How files are read and judged.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub parse: ParseOptions,
    /// Bad rows skipped per file before the file is refused (`--max-bad-rows`).
    pub max_bad_rows: u64,
    /// Where rejected rows go (`--rejects`).
    pub rejects_dir: PathBuf,
    /// What to do with stored rows the file gives other values for (`--on-conflict`).
    pub on_conflict: OnConflict,
    /// Rejected rows add to the rejects file instead of replacing it (a followed file's pieces).
    pub append_rejects: bool,
}

/// What a file does to a day (or bar) already stored with other values (`--on-conflict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// The file's values replace the stored ones.
    #[default]
    Update,
    /// New days are inserted; stored ones stay as they are and are reported as kept.
    Keep,
    /// The file is refused, naming the first differing day and both values.
    Error,
}

impl OnConflict {
    /// True when the file's values may replace stored ones.
    pub fn updates(self) -> bool {
        self == OnConflict::Update
    }
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
    pub fn status(self) -> &'static str {
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
    /// Rows whose day was stored with other values and kept as stored (`--on-conflict keep`).
    pub kept: u64,
    /// Updated rows that another file (another path) had written last.
    pub overwritten: u64,
    /// Dividends and splits the file carries (`market.corporate_actions`).
    pub actions: u64,
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
    /// Event files: how the events were written, `copy` (straight into the tables), `merge`
    /// (staged, each event's latest arrival merged) or `unchanged` (a re-load found every
    /// event stored as the file has it, and wrote none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_path: Option<String>,
}

impl FileReport {
    pub fn new(file: &PriceFile) -> Self {
        FileReport {
            path: file.shown_path().to_path_buf(),
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
            kept: 0,
            overwritten: 0,
            actions: 0,
            in_table: 0,
            check_passed: false,
            error: None,
            rejects_file: None,
            sha256: None,
            attempts: 1,
            format: None,
            columns: None,
            dates: None,
            write_path: None,
            duplicates: None,
        }
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
    /// The tables are distributed over Citus workers (the citus tier).
    pub distributed: bool,
}

/// What every file of one run shares: Ctrl-C, whether the database went away, and the slots
/// for a first load's large COPY.
#[derive(Debug)]
pub struct RunState {
    cancel: watch::Receiver<bool>,
    connection_lost: AtomicBool,
    bulk_copies: tokio::sync::Semaphore,
}

impl RunState {
    /// A run that stops starting files once `cancel` turns true, with `bulk_copies` files
    /// streaming a first load's large COPY at once (at least 1).
    pub fn new(cancel: watch::Receiver<bool>, bulk_copies: usize) -> Self {
        RunState {
            cancel,
            connection_lost: AtomicBool::new(false),
            bulk_copies: tokio::sync::Semaphore::new(bulk_copies.max(1)),
        }
    }

    /// Waits for a slot for a large COPY, held until the permit is dropped. Taken after the
    /// locks that order files against each other (the symbol's row, the trade date's), so a
    /// holder never waits for a file that waits for a slot. Large
    /// COPYs into the same chunks contend on the server: on 2 cores a 500-file intraday tree
    /// loaded in 29-30 s with 2 at once, 33-38 s with 8, 42 s with 1; the bench's event tree
    /// in 6.8-7.3 s with 2 of its copy-path files at once, 7.3-7.6 s with all 4.
    pub async fn bulk_copy_slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquiring cannot fail.
        self.bulk_copies.acquire().await.ok()
    }

    /// True once a file failed because the server or the network went away.
    pub fn connection_lost(&self) -> bool {
        self.connection_lost.load(Ordering::SeqCst)
    }

    pub fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    pub async fn wait_cancelled(&self) {
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
pub async fn load<K: FileKind>(
    kind: &K,
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
        return validate(kind, file, settings).await;
    };
    for attempt in 1..=ATTEMPTS {
        if run.connection_lost.load(Ordering::SeqCst) {
            report.error = Some(format!(
                "{}: not started: the connection to the database was lost (see the first error)",
                file.path.display()
            ));
            return report;
        }
        let (report, retry) = attempt_load(kind, file, settings, target, run).await;
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

/// `--dry-run`: the kind parses and validates; the rejected rows go to the rejects file.
async fn validate<K: FileKind>(kind: &K, file: &PriceFile, settings: &Settings) -> FileReport {
    let (mut report, rejected) = kind.validate(file, settings).await;
    keep_rejects(settings, &mut report, &rejected);
    report
}

/// One attempt: run record, transaction, outcome. The flag says whether to try again.
async fn attempt_load<K: FileKind>(
    kind: &K,
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
    let context = WriteContext {
        settings,
        aggregates: target.aggregates,
        run,
        run_id,
        records: target.records,
        distributed: target.distributed,
    };
    let result = write(kind, &mut conn, file, context, &mut report).await;
    let mut retry = false;
    match result.map(|rows| file.source_lines(rows)) {
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
            report.error = Some(file.about_source(failure.message));
            report.check_passed = false;
            report.inserted = 0;
            report.updated = 0;
            report.unchanged = 0;
            report.kept = 0;
            report.overwritten = 0;
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
pub enum ErrorKind {
    /// Deadlock or serialization failure: the whole file may be tried again.
    Retry,
    /// The server or the network went away: start no more files.
    ConnectionLost,
    Other,
}

pub fn classify(e: &sqlx::Error) -> ErrorKind {
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

pub struct Failure {
    pub outcome: Outcome,
    pub message: String,
    pub kind: ErrorKind,
}

impl Failure {
    pub fn db(file: &PriceFile, err: sqlx::Error) -> Self {
        Failure {
            outcome: Outcome::Failed,
            message: format!(
                "{}: database error: {err} (nothing of this file was loaded)",
                file.path.display()
            ),
            kind: classify(&err),
        }
    }

    pub fn any(file: &PriceFile, err: anyhow::Error) -> Self {
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

/// The first staged row stored with other values (`2023-10-31`, `the bar at …`), its differing
/// values (`Close stored 1.5, file 1.6`) and how many staged rows differ, as a kind's
/// `conflicts.sql` reports them before its merge.
pub type Conflicts = (String, Vec<String>, i64);

/// What `--on-conflict` makes of the stored rows a file differs from: under `keep` how many
/// stay as stored; under `error` the refusal naming the first one (`rows`: `day(s)`, `bar(s)`).
pub fn on_conflict(
    file: &PriceFile,
    conflicts: Option<Conflicts>,
    on_conflict: OnConflict,
    rows: &str,
) -> Result<u64, Failure> {
    let Some((first, differences, count)) = conflicts else {
        return Ok(0);
    };
    if on_conflict != OnConflict::Error {
        return Ok(count as u64);
    }
    Err(Failure {
        outcome: Outcome::Refused,
        message: format!(
            "{}: {first} is already stored with other values ({}); {count} stored {rows} \
             differ from the file and --on-conflict error refuses it (file refused, nothing loaded)",
            file.path.display(),
            differences.join(", ")
        ),
        kind: ErrorKind::Other,
    })
}

/// The transaction: the kind writes, success is recorded, commit.
async fn write<K: FileKind>(
    kind: &K,
    conn: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let run_id = context.run_id;
    let mut tx = conn
        .begin_with(crate::db::columnstore::BEGIN_WRITING)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let rejected = kind.write(&mut tx, file, context, report).await?;
    // data commits, and a crash before commit leaves the record `running`, never `succeeded`.
    report.outcome = Outcome::Loaded;
    finish_record(&mut tx, run_id, report)
        .await
        .map_err(|e| Failure::db(file, e))?;
    if let Some(piece) = file.piece.as_ref().filter(|p| p.key.is_some()) {
        // With the rows, in their transaction: a kill at any moment leaves the mark and the
        // rows agreeing, so a restart reads on from exactly the first line not stored.
        store_mark(&mut tx, piece)
            .await
            .map_err(|e| Failure::db(file, e))?;
    }
    tx.commit().await.map_err(|e| Failure::db(file, e))?;
    Ok(rejected)
}

/// `AAL, AAPL` or `AAL … ZTS (505 symbols)`: the symbols of a grouped file, for the report.
pub fn symbols_label<'a>(symbols: impl ExactSizeIterator<Item = &'a String>) -> String {
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

/// The failure of a load stopped by Ctrl-C.
pub fn interrupted(file: &PriceFile) -> Failure {
    Failure {
        outcome: Outcome::Interrupted,
        message: format!(
            "{}: interrupted; rolled back, nothing of this file was loaded",
            file.path.display()
        ),
        kind: ErrorKind::Other,
    }
}

async fn start_record(records: &PgPool, file: &PriceFile) -> sqlx::Result<i64> {
    sqlx::query_scalar(include_str!("sql/run_start.sql"))
        .bind(file.shown_path().display().to_string())
        .bind(&file.symbol)
        .fetch_one(records)
        .await
}

/// Stores how far a followed source's rows are committed (`market.follow_offsets`).
async fn store_mark(conn: &mut PgConnection, piece: &super::files::Piece) -> sqlx::Result<()> {
    sqlx::query(include_str!("sql/follow_mark.sql"))
        .bind(&piece.key)
        .bind(piece.inode as i64)
        .bind(piece.end_offset as i64)
        .bind(piece.end_line as i64)
        .execute(conn)
        .await?;
    Ok(())
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
        .bind(loaded.then(|| n(r.kept)))
        .bind(loaded.then(|| n(r.overwritten)))
        .bind(loaded.then(|| n(r.actions)))
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
pub fn keep_rejects(settings: &Settings, report: &mut FileReport, rejected: &[BadRow]) {
    if rejected.is_empty() {
        return;
    }
    // A followed file's pieces add to one rejects file, whose header the first one wrote.
    let append = settings.append_rejects;
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
        let fresh = !append || !out.exists();
        let sink = std::fs::OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(&out)?;
        let mut w = csv::Writer::from_writer(sink);
        if fresh {
            w.write_record(["line", "column", "reason", "original"])?;
        }
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
