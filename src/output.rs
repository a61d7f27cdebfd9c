//! Shared terminal output: tables that fit the terminal, number formatting, and the
//! `error:` / `warning:` / `note:` lines on stderr, coloured on a terminal as cargo does.

use anstyle::{AnsiColor, Style};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::io::{IsTerminal, Write};

/// A table with our house style and the given header, fitted to the terminal ([`width`]).
pub fn table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<Cell>,
{
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    fit(&mut t, width());
    t
}

/// Makes a table wrap its cells to `width` columns; with no width (a pipe) it stays one line
/// per row, as scripts expect.
pub fn fit(t: &mut Table, width: Option<u16>) {
    if let Some(w) = width {
        t.set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(w);
    }
}

/// [`fit`], and more: every column but the `free` ones (by header) keeps its widest cell on one
/// line, so that paths, dates and numbers never break mid-word on a narrow terminal; the free
/// columns (notes, descriptions) take what is left and wrap. Where even that cannot fit, the
/// table is left to comfy-table's even split.
pub fn fit_keeping(t: &mut Table, width: Option<u16>, free: &[&str]) {
    fit(t, width);
    let Some(w) = width else { return };
    let headers: Vec<String> = t
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_default();
    let widest = t.column_max_content_widths();
    // Borders and one space of padding on each side of every cell.
    let frame = 3 * widest.len() as u16 + 1;
    let kept: Vec<(usize, u16)> = widest
        .iter()
        .enumerate()
        .filter(|(i, _)| !free.contains(&headers.get(*i).map_or("", |h| h.as_str())))
        .map(|(i, wide)| (i, (*wide).min(w / 2)))
        .collect();
    let room_for_free = 12 * (widest.len() - kept.len()) as u16;
    let needed: u16 = kept.iter().map(|(_, wide)| *wide).sum::<u16>() + frame + room_for_free;
    if needed > w {
        return;
    }
    for (i, wide) in kept {
        if let Some(column) = t.column_mut(i) {
            // The boundary counts the cell padding.
            column.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                comfy_table::Width::Fixed(wide + 2),
            ));
        }
    }
}

/// How wide the table prints with no wrapping at all.
pub fn natural_width(t: &Table) -> u16 {
    let widest = t.column_max_content_widths();
    widest.iter().sum::<u16>() + 3 * widest.len() as u16 + 1
}

/// How wide the table prints when only its header wraps, at spaces.
pub fn natural_width_wrapped(t: &Table) -> u16 {
    let header: Vec<u16> = t
        .header()
        .map(|h| {
            h.cell_iter()
                .map(|c| {
                    c.content()
                        .split_whitespace()
                        .map(|w| w.chars().count() as u16)
                        .max()
                        .unwrap_or(0)
                })
                .collect()
        })
        .unwrap_or_default();
    let body: Vec<u16> = (0..header.len())
        .map(|i| {
            t.column_cells_iter(i)
                .flatten()
                .map(|c| {
                    c.content()
                        .lines()
                        .map(|l| l.chars().count() as u16)
                        .max()
                        .unwrap_or(0)
                })
                .max()
                .unwrap_or(0)
        })
        .collect();
    let sum: u16 = header
        .iter()
        .zip(&body)
        .map(|(h, b)| (*h).max(*b).max(1))
        .sum();
    sum + 3 * header.len() as u16 + 1
}

/// The columns output must fit: `COLUMNS` when set (as `ls` and cargo honour it), else the
/// terminal's width when stdout is a terminal, else none (a pipe or a file).
pub fn width() -> Option<u16> {
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= 20)
    {
        return Some(w);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0)
}

/// Wraps each line at spaces to `width` columns, for a terminal. Continuation lines are
/// indented two spaces past the line's own indent; a word longer than a line (a URL) is cut.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let more = " ".repeat((indent + 2).min(width / 2));
        let mut current = " ".repeat(indent);
        let mut fresh = true;
        for word in line[indent..].split(' ') {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let len = current.chars().count();
                let room = width.saturating_sub(len + usize::from(!fresh));
                if word.len() <= room {
                    if !fresh {
                        current.push(' ');
                    }
                    current.extend(word.iter());
                    fresh = false;
                    break;
                }
                if fresh && room > 0 {
                    // Alone on its line and still too long: cut it.
                    current.extend(word.drain(..room));
                }
                out.push(std::mem::replace(&mut current, more.clone()));
                fresh = true;
            }
        }
        out.push(current);
    }
    out.join("\n")
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();

/// Prints `error: …` to stderr (red and bold on a terminal, plain in pipes and under NO_COLOR).
pub fn error(message: impl std::fmt::Display) {
    labelled(ERROR, "error", message)
}

/// Prints `warning: …` to stderr, yellow on a terminal.
pub fn warning(message: impl std::fmt::Display) {
    labelled(WARNING, "warning", message)
}

/// Prints `note: …` to stderr, cyan on a terminal.
pub fn note(message: impl std::fmt::Display) {
    labelled(NOTE, "note", message)
}

/// True when stderr takes colours: a terminal, no NO_COLOR (anstream's rules, as cargo's).
pub fn stderr_colours() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// Formats tracing events as `warning: …` lines, like the ones this module prints, so a
/// message reads the same whichever path printed it.
pub struct Labelled;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Labelled
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let (style, label) = match *event.metadata().level() {
            tracing::Level::ERROR => (ERROR, "error"),
            tracing::Level::WARN => (WARNING, "warning"),
            tracing::Level::INFO => (Style::new(), "info"),
            tracing::Level::DEBUG => (Style::new(), "debug"),
            tracing::Level::TRACE => (Style::new(), "trace"),
        };
        if writer.has_ansi_escapes() {
            write!(writer, "{style}{label}:{style:#} ")?;
        } else {
            write!(writer, "{label}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// A plain line on stderr (timings that scripts read), never panicking on a closed pipe.
pub fn plain(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// The label styled, then the message. A closed stderr is ignored: the message had nowhere to
/// go, and the exit code still tells. anstream drops the colour where it does not belong.
/// On a terminal the message is wrapped to its width at spaces, like the summaries.
fn labelled(style: Style, label: &str, message: impl std::fmt::Display) {
    let mut text = format!("{label}: {message}");
    if std::io::stderr().is_terminal()
        && let Some((w, _)) = terminal_size::terminal_size_of(std::io::stderr())
    {
        text = wrap(&text, usize::from(w.0).max(20));
    }
    let rest = &text[label.len() + 1..];
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{style}{label}:{style:#}{rest}");
}

/// A right-aligned cell with thousands separators.
pub fn count(n: u64) -> Cell {
    Cell::new(group(n)).set_alignment(CellAlignment::Right)
}

/// A right-aligned cell for any text (e.g. an already formatted number).
pub fn right(text: impl ToString) -> Cell {
    Cell::new(text.to_string()).set_alignment(CellAlignment::Right)
}

/// `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `println!` that returns the error instead of panicking on a closed pipe (`stockdb … | head`);
/// main treats that error as success.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::print(format_args!($($arg)*))?
    };
}

/// Prints to stdout; a closed pipe surfaces as an io error the caller treats as success.
pub fn print(text: impl std::fmt::Display) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_lines_wrap_at_spaces() {
        let text = super::wrap("aaa bbb ccc ddd\nshort\n  ab cd ef", 8);
        assert_eq!(text, "aaa bbb\n  ccc\n  ddd\nshort\n  ab cd\n    ef");
        assert!(text.lines().all(|l| l.chars().count() <= 8));
        let url = super::wrap("database: postgres://host:5432/name", 12);
        assert_eq!(url, "database:\n  postgres:/\n  /host:5432\n  /name");
        assert_eq!(super::wrap("fits as is", 80), "fits as is");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(super::group(0), "0");
        assert_eq!(super::group(999), "999");
        assert_eq!(super::group(1000), "1,000");
        assert_eq!(super::group(760373), "760,373");
        assert_eq!(super::group(1234567890), "1,234,567,890");
    }
}
