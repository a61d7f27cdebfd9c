//! The one status line a follow keeps on a terminal: rows per second, the lag behind the
//! source's end, and the last commit.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// How often the line is redrawn between commits.
const EVERY: Duration = Duration::from_millis(500);

pub struct Status {
    shown: bool,
    source: String,
    started: Instant,
    committed_rows: u64,
    /// Lines read and not committed yet.
    waiting: u64,
    /// Bytes between the last line read and the file's end (None for a pipe).
    behind: Option<u64>,
    last_commit: Option<(Instant, Duration)>,
}

impl Status {
    /// A status line drawn only when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool, source: &Path) -> Status {
        Status {
            shown: enabled && std::io::stderr().is_terminal(),
            source: source.display().to_string(),
            started: Instant::now(),
            committed_rows: 0,
            waiting: 0,
            behind: None,
            last_commit: None,
        }
    }

    /// Lines read, and the bytes still behind them.
    pub fn read(&mut self, lines: u64, behind: Option<u64>) {
        self.waiting += lines;
        self.behind = behind;
    }

    /// A piece of `rows` committed, taking `took`.
    pub fn committed(&mut self, rows: u64, took: Duration) {
        self.committed_rows += rows;
        self.waiting = 0;
        self.last_commit = Some((Instant::now(), took));
        self.draw();
    }

    /// Resolves at the next redraw (never when no line is shown).
    pub async fn tick(&mut self) {
        if !self.shown {
            return std::future::pending().await;
        }
        tokio::time::sleep(EVERY).await;
        self.draw();
    }

    /// The line's text.
    pub fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.committed_rows as f64 / secs;
        let lag = match self.behind {
            Some(bytes) => format!(
                "{} lines to commit, {} unread",
                crate::output::group(self.waiting),
                bytes_text(bytes)
            ),
            None => format!("{} lines to commit", crate::output::group(self.waiting)),
        };
        let last = match self.last_commit {
            Some((at, took)) => format!(
                "last commit {:.1} s ago ({} ms)",
                at.elapsed().as_secs_f64(),
                took.as_millis()
            ),
            None => "no commit yet".into(),
        };
        format!(
            "{}: {} rows, {} rows/s, lag {lag}, {last}",
            self.source,
            crate::output::group(self.committed_rows),
            crate::output::group(rate as u64)
        )
    }

    fn draw(&self) {
        if !self.shown {
            return;
        }
        let width = crate::output::width().unwrap_or(100) as usize;
        let line: String = self.line().chars().take(width.saturating_sub(1)).collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// Leaves the terminal on a fresh line.
    pub fn finish(&self) {
        if self.shown {
            let _ = writeln!(std::io::stderr());
        }
    }
}

fn bytes_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
