//! Live data (issue 45): `stockdb load --follow FILE` tails a growing file, `stockdb load -`
//! reads standard input, and `stockdb load --follow DIR` (`folder`) loads a landing folder's
//! files as they arrive. A file or stream is committed piece by piece: every commit interval
//! (or N rows) its complete lines since the last commit are spooled as a file of their own (the
//! header line, then those lines) and go through the same per-file job as a batch load, whose
//! transaction also stores the source's byte offset and line (`market.follow_offsets`). After
//! each commit the continuous aggregates over the rows it touched are refreshed (`refresh`).

mod folder;
mod lines;
mod refresh;
mod status;

pub use folder::{FolderRequest, follow_folder};

use super::files::{DayRange, Piece, PriceFile};
use super::job::{FileReport, Outcome, RunState, Settings, Target};
use crate::db::{self, Location};
use anyhow::{Context, Result, bail};
use lines::Message;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// What to follow.
#[derive(Debug, Clone)]
pub enum Source {
    /// A growing file, resumed from its stored offset.
    File(PathBuf),
    /// Standard input, read once.
    Stdin,
}

/// One `stockdb load --follow FILE` or `stockdb load -`.
#[derive(Debug, Clone)]
pub struct Request {
    pub source: Source,
    pub symbol: Option<String>,
    pub settings: Settings,
    /// Commit at least this often while lines come in (`--commit-interval`).
    pub commit_interval: Duration,
    /// Commit once this many lines are waiting (`--commit-rows`).
    pub commit_rows: u64,
    /// The header of a headerless stream (`--header`).
    pub header: Option<String>,
    /// The name that tells standard input's kind and symbol, as a file's name would (`--name`).
    pub stdin_name: Option<String>,
    /// Draw the status line on a terminal.
    pub status: bool,
}

/// What a follow did, for its closing lines or JSON.
#[derive(Debug, Default, Serialize)]
pub struct Followed {
    pub source: PathBuf,
    /// The committed pieces summed as a batch load sums its files (`files`, `loaded`: the
    /// pieces).
    pub totals: super::Totals,
    /// Times the file was found truncated or replaced and read again from its start.
    pub restarts: u64,
    /// The line the follow started after (resumed from `market.follow_offsets`), and the last
    /// line committed.
    pub resumed_after_line: Option<u64>,
    pub last_line: u64,
    pub elapsed_seconds: f64,
    /// Why the follow stopped: `signal`, `end of input`, or the error.
    pub stopped_by: String,
    /// The piece that failed, its report naming the file, line and reason.
    pub error: Option<String>,
    /// Why refreshing the continuous aggregates after a commit failed, if it did.
    pub refresh_error: Option<String>,
    /// Where the rejected lines went.
    pub rejects_file: Option<PathBuf>,
}

/// SIGINT or SIGTERM: finish the piece in progress, then stop; a second Ctrl-C quits at once.
#[derive(Clone)]
pub struct StopSignal {
    flag: Arc<AtomicBool>,
    rx: watch::Receiver<bool>,
}

impl StopSignal {
    /// Listens for SIGINT and SIGTERM.
    pub fn listen() -> StopSignal {
        let (tx, rx) = watch::channel(false);
        let flag = Arc::new(AtomicBool::new(false));
        let set = Arc::clone(&flag);
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminated = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = terminated => {}
            }
            crate::output::note(
                "stopping: committing the lines read, then exiting (Ctrl-C again to quit at once)",
            );
            set.store(true, Ordering::SeqCst);
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
        StopSignal { flag, rx }
    }

    pub fn stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    async fn wait(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A run state whose cancel never fires: a follow finishes the piece or file in progress on a
/// signal instead of rolling it back. The sender is kept alive with it.
fn uncancelled_run() -> (RunState, watch::Sender<bool>) {
    let (tx, rx) = watch::channel(false);
    (RunState::new(rx, 1), tx)
}

/// A private folder for the spooled pieces, removed when dropped.
struct Spool {
    dir: PathBuf,
}

impl Spool {
    fn new() -> Result<Spool> {
        let dir = std::env::temp_dir().join(format!(
            "stockdb-follow-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create the spool folder", dir.display()))?;
        Ok(Spool { dir })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Lines read and not committed yet.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    lines: u64,
    /// The source's line of the first of them.
    first_line: u64,
    end_offset: u64,
    /// When the first of them came (the commit is due one interval later).
    since: Option<Instant>,
}

/// Follows a file or standard input until a signal, the end of the input, or a piece that
/// cannot be loaded.
pub async fn follow(location: &Location, req: Request) -> Result<Followed> {
    let stop = StopSignal::listen();
    let (key, source, spool_name) = match &req.source {
        Source::File(path) => {
            if super::input::is_gzip(path) {
                bail!(
                    "{}: a gzip file cannot be followed (its end is not a line's end); load it once it is complete",
                    path.display()
                );
            }
            let abs = std::fs::canonicalize(path)
                .with_context(|| format!("{}: cannot follow", path.display()))?;
            if abs.is_dir() {
                bail!(
                    "{}: a folder; `--follow DIR` is another mode",
                    path.display()
                );
            }
            let name = abs
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "followed.csv".into());
            (Some(abs.display().to_string()), path.clone(), name)
        }
        Source::Stdin => (
            None,
            PathBuf::from("-"),
            req.stdin_name.clone().unwrap_or_else(|| "stdin.csv".into()),
        ),
    };
    let database = db::open(location).await?;
    let records = db::pool(&database.url, 2, None).await?;
    let data = db::pool(&database.url, 1, Some(include_str!("../sql/staging.sql"))).await?;
    let (run, _keep) = uncancelled_run();
    let target = Target {
        data: &data,
        records: &records,
        aggregates: database.aggregates,
        distributed: database.server.tier == crate::db::Tier::Citus,
    };
    let resume = match &key {
        Some(key) => stored_mark(&records, key).await?,
        None => None,
    };
    let spool = Spool::new()?;
    let (refresher, refreshing) = refresh::pair(records.clone(), database.aggregates);
    let (tx, mut rx) = mpsc::channel::<Message>(64);
    let thread_stop = Arc::clone(&stop.flag);
    match &req.source {
        Source::File(_) => {
            let path = PathBuf::from(key.clone().unwrap_or_default());
            lines::tail_file(path, resume, tx, thread_stop);
        }
        Source::Stdin => {
            let header = req.header.as_ref().map(|h| format!("{h}\n").into_bytes());
            lines::read_stdin(header, tx, thread_stop);
        }
    }
    let mut follower = Follower {
        req: &req,
        target,
        run: &run,
        key,
        spool_path: spool.dir.join(&spool_name),
        template: None,
        header: Vec::new(),
        inode: 0,
        next_line: match (&req.source, resume, &req.header) {
            (Source::File(_), Some(r), _) => r.line + 1,
            (Source::Stdin, _, Some(_)) => 1,
            _ => 2,
        },
        batch: Batch::default(),
        done: Followed {
            source: source.clone(),
            resumed_after_line: resume.map(|r| r.line),
            ..Followed::default()
        },
        status: status::Status::new(req.status, &source),
        refresher,
    };
    let started = Instant::now();
    let following = async {
        let stopped_by = follower.run(&mut rx, &stop).await;
        follower.status.finish();
        // Dropping the follower ends the refreshing loop after its last refresh.
        let mut done = follower.done;
        done.stopped_by = stopped_by;
        done
    };
    let (mut done, refresh_error) = tokio::join!(following, refreshing);
    done.refresh_error = refresh_error;
    done.elapsed_seconds = started.elapsed().as_secs_f64();
    done.totals.rows_per_second = done.totals.accepted as f64 / done.elapsed_seconds.max(1e-3);
    drop(rx);
    data.close().await;
    records.close().await;
    Ok(done)
}

/// The state of one follow between commits.
struct Follower<'a> {
    req: &'a Request,
    target: Target<'a>,
    run: &'a RunState,
    key: Option<String>,
    spool_path: PathBuf,
    /// The followed source as discovery saw its first piece: kind, symbol, layout.
    template: Option<PriceFile>,
    header: Vec<u8>,
    inode: u64,
    /// The source's line of the next line to come.
    next_line: u64,
    batch: Batch,
    done: Followed,
    status: status::Status,
    refresher: refresh::Refresher,
}

impl Follower<'_> {
    /// Takes the reader's messages and commits until the follow ends; says why it ended.
    async fn run(&mut self, rx: &mut mpsc::Receiver<Message>, stop: &StopSignal) -> String {
        let interval = self.req.commit_interval;
        loop {
            let due = self.batch.since.map(|t| t + interval);
            let message = tokio::select! {
                m = rx.recv() => m,
                () = sleep_until(due) => {
                    if let Err(e) = self.commit().await {
                        return self.failed(e);
                    }
                    continue;
                }
                () = stop.wait() => {
                    // The reader stops at once; what it sent is committed, whole lines only.
                    while let Ok(m) = rx.try_recv() {
                        if let Message::Lines { bytes, lines, end_offset, size } = m {
                            self.take(bytes, lines, end_offset, size);
                        } else {
                            break;
                        }
                    }
                    return match self.commit().await {
                        Ok(()) => "signal".into(),
                        Err(e) => self.failed(e),
                    };
                }
                () = self.status.tick() => continue,
            };
            let Some(message) = message else {
                return match self.commit().await {
                    Ok(()) => "end of input".into(),
                    Err(e) => self.failed(e),
                };
            };
            let result = match message {
                Message::Header { line, inode } => {
                    self.header = line;
                    self.inode = inode;
                    Ok(())
                }
                Message::Lines {
                    bytes,
                    lines,
                    end_offset,
                    size,
                } => {
                    self.take(bytes, lines, end_offset, size);
                    if self.batch.lines >= self.req.commit_rows {
                        self.commit().await
                    } else {
                        Ok(())
                    }
                }
                Message::Restarted { reason, inode } => self.restart(reason, inode).await,
                Message::End => {
                    return match self.commit().await {
                        Ok(()) => "end of input".into(),
                        Err(e) => self.failed(e),
                    };
                }
                Message::Failed(e) => Err(e),
            };
            if let Err(e) = result {
                return self.failed(e);
            }
        }
    }

    fn failed(&mut self, error: String) -> String {
        self.done.error = Some(error);
        "error".into()
    }

    fn take(&mut self, bytes: Vec<u8>, lines: u64, end_offset: u64, size: Option<u64>) {
        if self.batch.lines == 0 {
            self.batch.first_line = self.next_line;
            self.batch.since = Some(Instant::now());
        }
        self.batch.bytes.extend_from_slice(&bytes);
        self.batch.lines += lines;
        self.batch.end_offset = end_offset;
        self.next_line += lines;
        self.status
            .read(lines, size.map(|s| s.saturating_sub(end_offset)));
    }

    /// The file was truncated or replaced: what was read of the old one is committed, the
    /// restart recorded, and the new one read from its first line after the header.
    async fn restart(&mut self, reason: String, inode: u64) -> Result<(), String> {
        self.commit().await?;
        crate::output::warning(format_args!(
            "{}: {reason}; reading it again from its start",
            self.done.source.display()
        ));
        if let Some(key) = &self.key {
            sqlx::query(include_str!("sql/restart.sql"))
                .bind(key)
                .bind(&reason)
                .bind(inode as i64)
                .execute(self.target.records)
                .await
                .map_err(|e| format!("recording the restart: {e}"))?;
        }
        self.done.restarts += 1;
        self.next_line = 2;
        Ok(())
    }

    /// Loads the waiting lines as one piece in one transaction with the source's mark.
    async fn commit(&mut self) -> Result<(), String> {
        if self.batch.lines == 0 {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let started = Instant::now();
        let mut spooled = Vec::with_capacity(self.header.len() + batch.bytes.len());
        spooled.extend_from_slice(&self.header);
        spooled.extend_from_slice(&batch.bytes);
        std::fs::write(&self.spool_path, &spooled)
            .map_err(|e| format!("{}: {e}", self.spool_path.display()))?;
        drop(spooled);
        let template = match &self.template {
            Some(t) => t.clone(),
            None => {
                let t = self.discover().map_err(|e| format!("{e:#}"))?;
                self.template = Some(t.clone());
                t
            }
        };
        let last_line = batch.first_line + batch.lines - 1;
        let file = PriceFile {
            path: self.spool_path.clone(),
            piece: Some(Piece {
                source: self.done.source.clone(),
                first_line: batch.first_line,
                key: self.key.clone(),
                end_offset: batch.end_offset,
                end_line: last_line,
                inode: self.inode,
            }),
            ..template
        };
        let mut settings = self.req.settings.clone();
        settings.max_bad_rows = settings
            .max_bad_rows
            .saturating_sub(self.done.totals.rejected);
        settings.append_rejects = true;
        let report = super::kinds::load(&file, &settings, Some(self.target), self.run).await;
        if report.outcome != Outcome::Loaded {
            return Err(report.error.unwrap_or_else(|| {
                format!(
                    "{}: lines {}-{last_line} were not loaded",
                    self.done.source.display(),
                    batch.first_line
                )
            }));
        }
        self.add(&report, last_line);
        let took = started.elapsed();
        tracing::info!(
            "{}: lines {}-{last_line} committed in {} ms: {} accepted, {} rejected, {} inserted, {} updated, {} unchanged; offset {}",
            self.done.source.display(),
            batch.first_line,
            took.as_millis(),
            report.accepted,
            report.rejected,
            report.inserted,
            report.updated,
            report.unchanged,
            batch.end_offset
        );
        self.status.committed(report.accepted, took);
        self.refresher.poke();
        Ok(())
    }

    fn add(&mut self, r: &FileReport, last_line: u64) {
        let d = &mut self.done;
        d.totals.add(r);
        d.last_line = last_line;
        if r.rejects_file.is_some() {
            d.rejects_file = r.rejects_file.clone();
        }
    }

    /// What the first piece is (kind, symbol, layout), as a batch load would see the file.
    fn discover(&self) -> Result<PriceFile> {
        let plan = super::discover::discover(
            std::slice::from_ref(&self.spool_path),
            self.req.symbol.as_deref(),
            DayRange::default(),
        )
        .map_err(|e| anyhow::anyhow!(relabel(&self.spool_path, &self.done.source, e)))?;
        match plan.files.into_iter().next() {
            // A pipe's stand-in name is no symbol: `stdin.csv` would load as STDIN.
            Some(file)
                if matches!(self.req.source, Source::Stdin)
                    && self.req.stdin_name.is_none()
                    && self.req.symbol.is_none()
                    && !file.symbol_in_file =>
            {
                bail!(
                    "standard input: its rows name no symbol; give --symbol MSFT, or --name MSFT.csv as a file's name would"
                )
            }
            Some(file) => Ok(file),
            None => bail!(
                "{}: not a price, bar or event file stockdb loads",
                self.done.source.display()
            ),
        }
    }
}

/// A discovery error about the spooled piece, naming the followed source.
fn relabel(spool: &Path, source: &Path, e: anyhow::Error) -> String {
    format!("{e:#}").replace(&spool.display().to_string(), &source.display().to_string())
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending::<()>().await,
    }
}

/// Where an earlier follow of `key` stopped.
async fn stored_mark(records: &sqlx::PgPool, key: &str) -> Result<Option<lines::Resume>> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT inode, byte_offset, line FROM market.follow_offsets WHERE source = $1",
    )
    .bind(key)
    .fetch_optional(records)
    .await?;
    Ok(row.map(|(inode, offset, line)| lines::Resume {
        inode: inode as u64,
        offset: offset as u64,
        line: line as u64,
    }))
}
