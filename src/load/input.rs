//! Reading a file and streaming it to the server, for every kind: the hashed (and gzip)
//! opening, the parse thread's bounded channel of COPY chunks, and why a parse stopped.

use super::files::PriceFile;
use super::job::{ErrorKind, Failure, FileReport, Outcome, RunState};
use super::values::BadRow;
use crate::db::copy;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;
use tokio::sync::mpsc;

/// Bytes per COPY message; with the channel's 4 slots this bounds memory per job.
pub const CHUNK: usize = 256 * 1024;

/// Why the parse thread stopped before the end.
#[derive(Debug)]
pub enum Stop {
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
    /// A kind's fast path met what it does not take (the copy path of events: a record of a
    /// day or exchange it did not lock); the kind's general path reads the file again.
    Diverted,
}

/// A problem that stops reading the file at once (not a row that can be skipped).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The header, or the layout it implies, cannot be used (the kind's message).
    #[error("{0}")]
    Header(String),
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A line that makes the whole file unusable as its kind (a daily file turning out to be
    /// intraday, an event file that changed its shape).
    #[error("line {line}: {message}")]
    AtLine { line: u64, message: String },
}

/// A file's size and modification time when reading began, to notice a file that changes while
/// it is read (still being written?).
pub struct Watch {
    file: std::fs::File,
    before: (u64, Option<std::time::SystemTime>),
}

impl Watch {
    /// Watches the open `file`: checked on the handle, a file replaced by rename meanwhile
    /// still compares with the one being read.
    pub fn new(file: std::fs::File) -> Result<Watch, Stop> {
        let before = Watch::stamp(&file)?;
        Ok(Watch { file, before })
    }

    /// The watched file, to read through.
    pub fn file(&self) -> &std::fs::File {
        &self.file
    }

    /// `Changed` when the size or the modification time moved since [`Watch::new`].
    pub fn check(&self) -> Result<(), Stop> {
        if Watch::stamp(&self.file)? != self.before {
            return Err(Stop::Changed);
        }
        Ok(())
    }

    fn stamp(f: &std::fs::File) -> Result<(u64, Option<std::time::SystemTime>), Stop> {
        let meta = f.metadata().map_err(|e| Stop::File(FileError::Io(e)))?;
        Ok((meta.len(), meta.modified().ok()))
    }
}

/// Feeds every byte read to a SHA-256 shared with the caller (the reader ends up boxed
/// inside the csv and gzip readers, out of reach).
pub struct HashingReader<R> {
    pub inner: R,
    pub hasher: Rc<RefCell<Sha256>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// Opens the file (gzip too), hashing every byte read.
pub fn open_hashed(path: &Path, hasher: &Rc<RefCell<Sha256>>) -> std::io::Result<Box<dyn Read>> {
    let raw = HashingReader {
        inner: std::fs::File::open(path)?,
        hasher: Rc::clone(hasher),
    };
    Ok(decompressed(raw, path))
}

/// Opens the file (gzip too) for a look at its first lines.
pub fn open_plain(path: &Path) -> std::io::Result<Box<dyn Read>> {
    Ok(decompressed(std::fs::File::open(path)?, path))
}

/// `reader` through a gzip decompressor when `path` names a `.gz` file.
pub fn decompressed(reader: impl Read + 'static, path: &Path) -> Box<dyn Read> {
    if is_gzip(path) {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            reader,
        )))
    } else {
        Box::new(reader)
    }
}

/// True for `.gz` files, read through a decompressor.
pub fn is_gzip(path: &Path) -> bool {
    path.to_string_lossy().to_ascii_lowercase().ends_with(".gz")
}

/// COPY chunks on their way to the async side, cut at [`CHUNK`] bytes.
pub struct Chunks {
    pub buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
}

impl Chunks {
    pub fn new(tx: mpsc::Sender<Vec<u8>>) -> Chunks {
        let mut buf = Vec::with_capacity(CHUNK + 128);
        buf.extend_from_slice(copy::HEADER);
        Chunks { buf, tx }
    }

    /// Sends the buffer once it is full.
    pub fn flush_full(&mut self) -> Result<(), Stop> {
        if self.buf.len() >= CHUNK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 128));
            self.tx.blocking_send(full).map_err(|_| Stop::Cancelled)?;
        }
        Ok(())
    }

    /// Ends the COPY stream and sends the rest.
    pub fn finish(mut self) -> Result<(), Stop> {
        self.buf.extend_from_slice(copy::TRAILER);
        self.tx.blocking_send(self.buf).map_err(|_| Stop::Cancelled)
    }
}

/// The refusal message of a file whose parse stopped: file:line, what, and that nothing loaded.
pub fn refusal_message(stop: &Stop, path: &Path) -> String {
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
        Stop::File(FileError::AtLine { line, message }) => format!(
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
        Stop::Diverted => format!("{}: left to the general path", path.display()),
    }
}

/// The failure of a file whose parse stopped: refused, nothing loaded.
pub fn refused(file: &PriceFile, stop: &Stop) -> Failure {
    Failure {
        outcome: Outcome::Refused,
        message: refusal_message(stop, &file.path),
        kind: ErrorKind::Other,
    }
}

/// The report of a dry run: the kind's parse taken in by `take` (which returns the rows to
/// reject), or the file's refusal.
pub fn dry_run_report<T>(
    mut report: FileReport,
    path: &Path,
    parsed: Result<T, Stop>,
    take: impl FnOnce(&mut FileReport, T) -> Vec<BadRow>,
) -> (FileReport, Vec<BadRow>) {
    match parsed {
        Ok(parsed) => {
            let rejected = take(&mut report, parsed);
            report.outcome = Outcome::Validated;
            report.check_passed = report.rows_in_file == report.accepted + report.rejected;
            (report, rejected)
        }
        Err(stop) => {
            report.outcome = Outcome::Refused;
            report.error = Some(refusal_message(&stop, path));
            (report, Vec::new())
        }
    }
}

/// Receives and throws away a dry run's chunks; returns their bytes.
pub async fn drain(mut rx: mpsc::Receiver<Vec<u8>>) -> u64 {
    let mut bytes = 0;
    while let Some(chunk) = rx.recv().await {
        bytes += chunk.len() as u64;
    }
    bytes
}

/// The parse thread's result; a panic there is an I/O failure of the file.
pub async fn join<T>(handle: tokio::task::JoinHandle<Result<T, Stop>>) -> Result<T, Stop> {
    match handle.await {
        Ok(result) => result,
        Err(e) => Err(Stop::File(FileError::Io(std::io::Error::other(format!(
            "parser thread failed: {e}"
        ))))),
    }
}

/// How streaming a file's COPY chunks ended.
pub enum Sent {
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
pub async fn send_chunks(
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
