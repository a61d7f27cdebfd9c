//! The load summary for people: one row per file that needs a look (all of them for a few
//! files or with -v), paths relative to the folder given, the totals, and notes. It fits the
//! terminal's width; JSON (`--format json`) always has every file.

use crate::load::Summary;
use crate::load::job::{FileReport, Outcome};
use crate::output::{self, count, group};
use comfy_table::Cell;
use std::path::{Path, PathBuf};

/// Up to this many files, every file gets a row.
const EVERY_FILE_UP_TO: usize = 20;
/// With more files, at most this many rows: those that need a look, the worst first.
const MOST_ROWS: usize = 20;
/// Per-file notes after the totals, beyond which they are counted instead.
const MOST_NOTES: usize = 5;

/// How the summary is shown.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The paths given on the command line: files under a folder are shown relative to it.
    pub roots: Vec<PathBuf>,
    /// List every file (-v), not only the ones that need a look.
    pub every_file: bool,
    /// The terminal's width to fit, if any.
    pub width: Option<u16>,
}

impl View {
    /// A path as the user thinks of it: relative to the folder they named (to its parent when
    /// they named several, so that two folders' `stocks/AAPL.csv` stay apart), as given
    /// otherwise.
    fn path(&self, path: &Path) -> String {
        let folders: Vec<&PathBuf> = self.roots.iter().filter(|root| root.is_dir()).collect();
        folders
            .iter()
            .filter_map(|root| {
                let base = match folders.len() {
                    1 => root.as_path(),
                    _ => root.parent().unwrap_or(root),
                };
                path.strip_prefix(base).ok()
            })
            .find(|rel| !rel.as_os_str().is_empty())
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// Why a file needs a look, the most serious first; None for a file that loaded cleanly.
fn needs_look(f: &FileReport) -> Option<(u8, &'static str)> {
    Some(match f.outcome {
        Outcome::Refused => (0, "refused"),
        Outcome::RolledBack => (0, "rolled back"),
        Outcome::Failed => (0, "failed"),
        Outcome::Interrupted => (0, "interrupted"),
        _ if f.rejected > 0 => (1, "with rejected rows"),
        _ if f.overwritten > 0 => (2, "changing another file's days"),
        _ if f.kept > 0 => (3, "with days kept as stored"),
        _ if f.warnings > 0 => (4, "with warnings"),
        _ if f.updated > 0 => (5, "with updated days"),
        _ => return None,
    })
}

/// What a loaded file did, merged into one cell: its new, updated and unchanged days, then
/// anything else worth a look.
fn result(f: &FileReport) -> String {
    let mut parts = Vec::new();
    let mut add = |n: u64, what: &str| {
        if n > 0 {
            // `warnings` → `1 warning`
            let what = match what.strip_suffix('s') {
                Some(one) if n == 1 => one,
                _ => what,
            };
            parts.push(format!("{} {what}", group(n)));
        }
    };
    add(f.inserted, "new");
    add(f.updated, "updated");
    add(f.unchanged, "unchanged");
    add(f.rejected, "rejected");
    add(f.warnings, "warnings");
    add(f.kept, "kept");
    add(f.overwritten, "from another file");
    add(f.actions, "corporate actions");
    add(f.duplicates.unwrap_or(0), "repeated events");
    if parts.is_empty() {
        parts.push("no rows".to_string());
    }
    parts.join(", ")
}

/// A dry run's notes: rejected rows and warnings.
fn dry_run_notes(f: &FileReport) -> String {
    let mut parts = Vec::new();
    for (n, what) in [(f.rejected, "rejected"), (f.warnings, "warnings")] {
        if n > 0 {
            let what = if n == 1 {
                what.trim_end_matches('s')
            } else {
                what
            };
            parts.push(format!("{} {what}", group(n)));
        }
    }
    parts.join(", ")
}

/// A refused or failed file's error without its path (the row names the file) and without
/// the advice in parentheses (the full error is printed below the summary).
fn why(f: &FileReport) -> String {
    let Some(error) = &f.error else {
        return String::new();
    };
    let path = f.path.display().to_string();
    let short = error
        .strip_prefix(&path)
        .map(|rest| rest.trim_start_matches(':').trim_start())
        .unwrap_or(error);
    let short = short.split(" (").next().unwrap_or(short);
    match short.split_once(':') {
        // `17:2: message` → `line 17: message`
        Some((line, rest)) if line.chars().all(|c| c.is_ascii_digit()) && !line.is_empty() => {
            let rest = rest.trim_start();
            let rest = match rest.split_once(':') {
                Some((col, msg)) if col.chars().all(|c| c.is_ascii_digit()) => msg.trim_start(),
                _ => rest,
            };
            format!("line {line}: {rest}")
        }
        _ => short.to_string(),
    }
}

fn check(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Loaded => "✓",
        Outcome::Validated => "✓ dry run",
        Outcome::Refused => "✗ refused",
        Outcome::RolledBack => "✗ rolled back",
        Outcome::Failed => "✗ failed",
        Outcome::Interrupted => "✗ interrupted",
    }
}

fn days(f: &FileReport) -> String {
    match (f.first_day, f.last_day) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ => String::new(),
    }
}

/// True when the table lists every file (a few files, or -v).
pub fn lists_every_file(summary: &Summary, view: &View) -> bool {
    view.every_file || summary.files.len() <= EVERY_FILE_UP_TO
}

/// The files to list, in the order given, and a line about the ones left out.
fn chosen<'a>(summary: &'a Summary, view: &View) -> (Vec<&'a FileReport>, Option<String>) {
    let files = &summary.files;
    if lists_every_file(summary, view) {
        return (files.iter().collect(), None);
    }
    let mut look: Vec<(u8, usize, &FileReport)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| needs_look(f).map(|(rank, _)| (rank, i, f)))
        .collect();
    look.sort_by_key(|(rank, i, _)| (*rank, *i));
    let left_out = look.split_off(look.len().min(MOST_ROWS));
    let clean = files.len() - look.len() - left_out.len();
    let done = if summary.dry_run {
        "validated"
    } else {
        "loaded"
    };
    let mut line = format!("{} files {done} cleanly", group(clean as u64));
    if !left_out.is_empty() {
        let mut kinds: Vec<(&str, u64)> = Vec::new();
        for (_, _, f) in &left_out {
            let (_, why) = needs_look(f).expect("chosen for needing a look");
            match kinds.iter_mut().find(|(w, _)| *w == why) {
                Some((_, n)) => *n += 1,
                None => kinds.push((why, 1)),
            }
        }
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(why, n)| format!("{} {why}", group(*n)))
            .collect();
        line.push_str(&format!(
            "; {} more not listed: {}",
            group(left_out.len() as u64),
            kinds.join(", ")
        ));
    }
    line.push_str(" (-v lists every file, --format json too)");
    let mut rows: Vec<(usize, &FileReport)> = look.into_iter().map(|(_, i, f)| (i, f)).collect();
    rows.sort_by_key(|(i, _)| *i);
    (rows.into_iter().map(|(_, f)| f).collect(), Some(line))
}

/// The whole summary as text.
pub fn render(summary: &Summary, view: &View) -> String {
    let (files, left_out) = chosen(summary, view);
    let mut text = String::new();
    if !files.is_empty() {
        let (mut table, free) = if summary.dry_run {
            (dry_run_table(&files, view), ["columns", "notes"].as_slice())
        } else {
            (load_table(&files, view), ["result"].as_slice())
        };
        output::fit_keeping(&mut table, view.width, free);
        text.push_str(&table.to_string());
        text.push('\n');
    }
    if let Some(line) = left_out {
        match view.width {
            Some(w) => text.push_str(&output::wrap(&line, w as usize)),
            None => text.push_str(&line),
        }
        text.push('\n');
    }
    text.push_str(&totals(summary, view));
    text
}

fn load_table(files: &[&FileReport], view: &View) -> comfy_table::Table {
    let mut table = output::table(["file", "symbol", "days", "rows", "result", "check"]);
    for f in files {
        let loaded = f.outcome == Outcome::Loaded;
        table.add_row(vec![
            Cell::new(view.path(&f.path)),
            Cell::new(&f.symbol),
            Cell::new(days(f)),
            if loaded {
                count(f.rows_in_file)
            } else {
                Cell::new("")
            },
            Cell::new(if loaded { result(f) } else { why(f) }),
            Cell::new(check(f.outcome)),
        ]);
    }
    table
}

/// `--dry-run`: what each file was read as, and what it holds.
fn dry_run_table(files: &[&FileReport], view: &View) -> comfy_table::Table {
    let mut table = output::table([
        "file", "format", "symbol", "columns", "dates", "days", "rows", "notes", "check",
    ]);
    for f in files {
        let ok = f.outcome == Outcome::Validated;
        let text = |v: &Option<String>| Cell::new(v.as_deref().unwrap_or(""));
        table.add_row(vec![
            Cell::new(view.path(&f.path)),
            text(&f.format),
            Cell::new(&f.symbol),
            text(&f.columns),
            text(&f.dates),
            Cell::new(days(f)),
            if ok {
                count(f.rows_in_file)
            } else {
                Cell::new("")
            },
            Cell::new(if ok { dry_run_notes(f) } else { why(f) }),
            Cell::new(check(f.outcome)),
        ]);
    }
    table
}

/// The totals and the notes below the table.
fn totals(summary: &Summary, view: &View) -> String {
    let t = &summary.totals;
    let what = if summary.dry_run {
        "validated"
    } else {
        "loaded"
    };
    let mut lines = Vec::new();
    let interrupted = if t.interrupted > 0 {
        format!(", {} interrupted", t.interrupted)
    } else {
        String::new()
    };
    lines.push(format!(
        "{} {}: {} {what}, {} refused, {} rolled back, {} failed{interrupted}.",
        group(t.files as u64),
        if t.files == 1 { "file" } else { "files" },
        group(t.loaded as u64),
        t.refused,
        t.rolled_back,
        t.failed,
    ));
    let mut rows = format!(
        "rows: {} in files, {} accepted, {} rejected, {} with warnings",
        group(t.rows_in_file),
        group(t.accepted),
        group(t.rejected),
        group(t.warnings),
    );
    if !summary.dry_run {
        rows.push_str(&format!(
            "; {} inserted, {} updated, {} unchanged",
            group(t.inserted),
            group(t.updated),
            group(t.unchanged)
        ));
        if t.kept > 0 {
            rows.push_str(&format!(
                ", {} kept as stored (--on-conflict keep)",
                group(t.kept)
            ));
        }
        if t.actions > 0 {
            rows.push_str(&format!("; {} dividends and splits", group(t.actions)));
        }
    }
    lines.push(rows + ".");
    let mut speed = format!(
        "{:.2} s, {} rows/s",
        summary.elapsed_seconds,
        group(t.rows_per_second as u64)
    );
    if summary.symbols_listed > 0 {
        speed.push_str(&format!(
            "; {} symbols from the listing",
            group(summary.symbols_listed)
        ));
    }
    if let Some(server) = &summary.server {
        speed.push_str(&format!("; server tier {}", server.tier));
    }
    if summary.columnstore.chunks > 0 {
        speed.push_str(&format!("; {}", summary.columnstore));
    }
    lines.push(speed);
    // A second source replacing a first one's values is worth a line of its own (issue 23).
    let overwriting: Vec<&FileReport> =
        summary.files.iter().filter(|f| f.overwritten > 0).collect();
    if overwriting.len() <= MOST_NOTES {
        for f in &overwriting {
            lines.push(format!(
                "note: {} changed {} day(s) that another file had written (see market.daily_prices.load_run_id; --on-conflict keep leaves them)",
                f.path.display(),
                group(f.overwritten)
            ));
        }
    } else {
        lines.push(format!(
            "note: {} files changed {} day(s) that another file had written (see market.daily_prices.load_run_id; --on-conflict keep leaves them)",
            group(overwriting.len() as u64),
            group(t.overwritten)
        ));
    }
    let rejects: Vec<_> = summary
        .files
        .iter()
        .filter_map(|f| f.rejects_file.as_ref())
        .collect();
    if let Some(first) = rejects.first() {
        lines.push(format!(
            "skipped rows are in {} rejects file(s), e.g. {}",
            rejects.len(),
            first.display()
        ));
    }
    let mut text = lines.join("\n");
    if let Some(w) = view.width {
        text = output::wrap(&text, w as usize);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_a_folder_given_are_shown_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let view = View {
            roots: vec![dir.path().to_path_buf(), PathBuf::from("MSFT.csv")],
            ..View::default()
        };
        assert_eq!(
            view.path(&dir.path().join("stocks").join("AAPL.csv")),
            Path::new("stocks").join("AAPL.csv").display().to_string()
        );
        assert_eq!(view.path(Path::new("MSFT.csv")), "MSFT.csv");
    }
}
