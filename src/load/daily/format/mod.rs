//! Recognising a daily price file from its first lines (issue 10): which site wrote it, where
//! each field sits, how dates and numbers are written and where the symbol comes from. One
//! small module per source; each maps its layout onto the same daily record, so the
//! transaction, sanity check and rejects stay shared (DESIGN.md §6).

mod european;
mod headerless;
mod investing;
mod named;
mod nasdaq;
mod stooq;
mod yfinance;

use super::header::{Field, Header, HeaderError};
use crate::load::values::{Dates, is_midnight, normalize, parse_day};
use csv::ByteRecord;

/// Which site's export a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A header naming the columns: Yahoo, Kaggle, Alpha Vantage, `.us.txt`, long files.
    Named,
    Nasdaq,
    Investing,
    Stooq,
    YFinance,
    Headerless,
    /// `;`-separated, decimal commas, day-first dates: a spreadsheet in a European locale.
    European,
}

/// A recognised file: its source, field positions and the columns checked on every row.
#[derive(Debug, Clone)]
pub struct Layout {
    pub source: Source,
    pub header: Header,
    /// Lines before the first row of data (0 to 3).
    pub header_rows: usize,
    /// Tickers named in a header line (yfinance), each with where its fields sit; with
    /// several, each line holds a row per ticker.
    pub groups: Vec<(String, Header)>,
    /// A column naming each row's symbol (Symbol, Ticker, Name, `<TICKER>`).
    pub symbol_column: Option<usize>,
    /// Stooq's `<PER>`: `D` on every row of a daily file.
    pub period_column: Option<usize>,
    /// Stooq's `<TIME>`: `000000` on every row of a daily file.
    pub time_column: Option<usize>,
    /// A date of the first rows that reads day-first and month-first alike, when no date
    /// there tells the order (`01/02/2023`): the file needs `--date-format`.
    pub ambiguous_dates: Option<String>,
}

impl Layout {
    /// A layout whose rows carry no symbol, period or time column.
    fn new(source: Source, header: Header, header_rows: usize) -> Layout {
        Layout {
            source,
            header,
            header_rows,
            groups: Vec::new(),
            symbol_column: None,
            period_column: None,
            time_column: None,
            ambiguous_dates: None,
        }
    }

    /// The one ticker a header line names for the whole file (yfinance).
    pub fn ticker(&self) -> Option<&str> {
        match self.groups.as_slice() {
            [(ticker, _)] => Some(ticker),
            _ => None,
        }
    }

    /// True when the file names a symbol on each row (a symbol column, or several tickers
    /// side by side): it may hold several symbols.
    pub fn symbol_per_row(&self) -> bool {
        self.symbol_column.is_some() || self.groups.len() > 1
    }

    /// The symbol column's name, for messages.
    pub fn symbol_name(&self) -> &str {
        self.symbol_column
            .and_then(|i| self.header.column_names().get(i))
            .map_or("Symbol", String::as_str)
    }

    /// True when some column must be checked on every row.
    pub fn checks_rows(&self) -> bool {
        self.period_column.is_some() || self.time_column.is_some()
    }

    /// The source as users know it, for `--dry-run`.
    pub fn label(&self) -> &'static str {
        match self.source {
            Source::Named if normalize(self.header.name(Field::Date)) == "timestamp" => {
                "Alpha Vantage"
            }
            Source::Named if self.symbol_column.is_some() => "header with a symbol column",
            Source::Named if self.header.actions.any() => {
                "yfinance Ticker.history() (dividends and splits)"
            }
            Source::Named => "Yahoo-style header",
            Source::Nasdaq => "Nasdaq.com",
            Source::Investing => "Investing.com",
            Source::Stooq => "Stooq",
            Source::YFinance => "yfinance",
            Source::Headerless => "headerless symbol-first rows",
            Source::European if self.header.decimal_comma => {
                "European spreadsheet (; separated, decimal comma)"
            }
            Source::European => "European spreadsheet (; separated)",
        }
    }
}

/// The fields of the first lines, as trimmed text, for recognising the format.
type Head = [Vec<String>];

/// A source's recogniser: `Ok(None)` when the file is not of that source.
type Detect = fn(&Head) -> Result<Option<Layout>, HeaderError>;

/// Recognises the format from the first lines (the header lines and the first rows), read
/// with `delimiter` (`;`: a European spreadsheet's file).
pub fn detect(records: &[ByteRecord], delimiter: u8) -> Result<Layout, HeaderError> {
    let head: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            r.iter()
                .map(|f| {
                    String::from_utf8_lossy(f)
                        .trim_start_matches('\u{feff}')
                        .trim()
                        .to_string()
                })
                .collect()
        })
        .collect();
    // What no format can read: UTF-16, bytes that are not UTF-8, another delimiter.
    let names = Header::names(&records[0])?;
    if delimiter == b';' {
        let layout = european::detect(&head)?;
        refuse_intraday(&layout, &head)?;
        return Ok(layout);
    }
    let detectors: [Detect; 5] = [
        yfinance::detect,
        stooq::detect,
        investing::detect,
        nasdaq::detect,
        headerless::detect,
    ];
    let found = detectors
        .iter()
        .find_map(|detect| detect(&head).transpose())
        .transpose()?;
    let layout = match found {
        Some(layout) => layout,
        None => named::detect(names).map_err(|e| match e {
            HeaderError::Missing { .. } => HeaderError::NoFormat(Box::new(e)),
            other => other,
        })?,
    };
    refuse_intraday(&layout, &head)?;
    Ok(layout)
}

/// A first row whose date has a time of day other than midnight is an intraday file.
fn refuse_intraday(layout: &Layout, head: &Head) -> Result<(), HeaderError> {
    let Some(column) = layout.header.column(Field::Date) else {
        return Ok(());
    };
    let Some(value) = head.get(layout.header_rows).and_then(|row| row.get(column)) else {
        return Ok(());
    };
    let has_time = value.len() > 10
        && value.contains(':')
        && parse_day(value, None, layout.header.dates).is_none();
    if has_time {
        return Err(HeaderError::Intraday(format!(
            "line {}: {value:?} has a time of day",
            layout.header_rows + 1
        )));
    }
    Ok(())
}

/// A symbol as a file writes it: trimmed, upper case, Stooq's `.US` market suffix dropped.
pub fn symbol_value(raw: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(raw).trim().to_uppercase();
    let s = s.strip_suffix(".US").map(str::to_string).unwrap_or(s);
    (!s.is_empty()).then(|| crate::load::files::canonical_symbol(&s))
}

/// What a Stooq `<PER>` other than `D` is, for the refusal.
pub fn period_name(per: &str) -> &'static str {
    match per {
        "W" => "weekly bars, not a daily file",
        "M" => "monthly bars, not a daily file",
        "Q" | "Y" => "quarterly or yearly bars, not a daily file",
        _ => "intraday bars: not a daily file",
    }
}

/// The 0-based position of the first name (normalized) among `aliases`.
fn position(names: &[String], aliases: &[&str]) -> Option<usize> {
    names
        .iter()
        .position(|n| aliases.contains(&normalize(n).as_str()))
}

/// How the dates of the first data row are written: ISO/US, else `Dec 31, 2018`.
fn dates_of(value: Option<&String>) -> Dates {
    match value {
        Some(v) if parse_day(v, None, Dates::IsoOrUs).is_none() => {
            if parse_day(v, None, Dates::MonthName).is_some() {
                Dates::MonthName
            } else {
                Dates::IsoOrUs
            }
        }
        _ => Dates::IsoOrUs,
    }
}

/// True for `2023-03-01`-like text (ISO or US; a midnight time allowed) — a row of data.
fn is_day(value: &str) -> bool {
    parse_day(value, None, Dates::IsoOrUs).is_some()
        || value
            .split_at_checked(10)
            .is_some_and(|(d, t)| is_midnight(t) && parse_day(d, None, Dates::IsoOrUs).is_some())
}

#[cfg(test)]
mod tests;
