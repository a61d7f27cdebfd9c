//! A daily file's header: which column holds each field, how its dates are written, and
//! why a header cannot be used.

use crate::load::values::parse_date;
use crate::load::values::{Dates, normalize};
use csv::ByteRecord;

/// A price file's fields, in the order of the staging table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Date,
    Open,
    High,
    Low,
    Close,
    AdjClose,
    Volume,
}

impl Field {
    /// All fields, in staging-table order.
    pub const ALL: [Field; 7] = [
        Field::Date,
        Field::Open,
        Field::High,
        Field::Low,
        Field::Close,
        Field::AdjClose,
        Field::Volume,
    ];

    /// The names a header may use for this field, normalized (see `normalize`).
    pub(crate) fn aliases(self) -> &'static [&'static str] {
        match self {
            // German and French spreadsheet names too (European CSV, issue 23).
            Field::Date => &["date", "day", "timestamp", "datetime", "datum"],
            Field::Open => &["open", "eröffnung", "erster", "ouverture"],
            Field::High => &["high", "hoch", "plushaut"],
            Field::Low => &["low", "tief", "plusbas"],
            Field::Close => &["close", "closelast", "schluss", "schlusskurs", "clôture"],
            Field::AdjClose => &["adjclose", "adjustedclose"],
            Field::Volume => &["volume", "vol", "volumen"],
        }
    }

    fn display_name(self) -> &'static str {
        match self {
            Field::Date => "Date",
            Field::Open => "Open",
            Field::High => "High",
            Field::Low => "Low",
            Field::Close => "Close",
            Field::AdjClose => "Adj Close",
            Field::Volume => "Volume",
        }
    }
}

/// The sources tried, in order, for the message of a file that fits none.
pub const TRIED: &str = "formats tried: Yahoo-style header (also Kaggle, Alpha Vantage, .us.txt, a Symbol/Ticker/Name column), Nasdaq.com, Investing.com, Stooq, yfinance (three header lines), headerless symbol-first rows";

/// Where each field sits in a file's rows, and how its values are written.
#[derive(Debug, Clone)]
pub struct Header {
    pos: [Option<usize>; 7],
    pub(super) names: Vec<String>,
    /// How dates are written.
    pub dates: Dates,
    /// `-` as a volume means none was reported (Investing.com): stored as 0, with the
    /// zero-volume warning.
    pub dash_volume: bool,
    /// Numbers are written with a decimal comma and dots between thousands (`1.234,56`).
    pub decimal_comma: bool,
    /// The dividend and split columns (yfinance `Ticker.history()`), if any.
    pub actions: ActionColumns,
}

/// Why a header cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error(
        "the file is empty: expected a header line such as Date,Open,High,Low,Close,Adj Close,Volume"
    )]
    Empty,
    #[error("the header is not valid UTF-8")]
    NotUtf8,
    #[error("the file is UTF-16; save it as UTF-8 (stockdb reads UTF-8 CSV)")]
    Utf16,
    #[error(
        "the header {header:?} is one column: the file seems to be separated by {delimiter:?}; stockdb reads files separated by commas or semicolons"
    )]
    Delimiter { header: String, delimiter: char },
    #[error(
        "header has no {missing} column (found: {found}); required: Date, Open, High, Low, Close, Volume{}",
        if *looks_like_data { "; the first line looks like data: does the file lack its header line?" } else { "" }
    )]
    Missing {
        missing: String,
        found: String,
        looks_like_data: bool,
    },
    #[error("header names {name:?} twice (columns {first} and {second})")]
    Duplicate {
        name: String,
        first: usize,
        second: usize,
    },
    #[error("{0}; closest format: a Yahoo-style header; {tried}", tried = TRIED)]
    NoFormat(Box<HeaderError>),
    #[error("intraday bars: not a daily file ({0})")]
    Intraday(String),
    #[error("{0}")]
    Layout(String),
}

impl Header {
    /// Matches header names to fields; unknown columns are ignored.
    pub fn parse(record: &ByteRecord) -> Result<Header, HeaderError> {
        Header::map(Header::names(record)?)
    }

    /// A header line's names, refusing what cannot be a comma-separated UTF-8 header.
    pub fn names(record: &ByteRecord) -> Result<Vec<String>, HeaderError> {
        let first = record.get(0).unwrap_or_default();
        if first.starts_with(&[0xFF, 0xFE]) || first.starts_with(&[0xFE, 0xFF]) {
            return Err(HeaderError::Utf16);
        }
        let mut names = Vec::with_capacity(record.len());
        for field in record.iter() {
            let name = std::str::from_utf8(field).map_err(|_| HeaderError::NotUtf8)?;
            names.push(name.trim_start_matches('\u{feff}').trim().to_string());
        }
        if names.iter().all(|n| n.is_empty()) {
            return Err(HeaderError::Empty);
        }
        if let [only] = names.as_slice()
            && let Some(delimiter) = [';', '\t', '|'].into_iter().find(|d| only.contains(*d))
        {
            return Err(HeaderError::Delimiter {
                header: only.clone(),
                delimiter,
            });
        }
        Ok(names)
    }

    /// Matches names to fields; unknown columns are ignored.
    pub fn map(names: Vec<String>) -> Result<Header, HeaderError> {
        let mut header = Header::at(names, [None; 7]);
        for i in 0..header.names.len() {
            let key = normalize(&header.names[i]);
            if let Some(field) = Field::ALL
                .iter()
                .find(|f| f.aliases().contains(&key.as_str()))
            {
                header.place(*field, i)?;
            }
        }
        // A column named `time` holds the dates only when no other column does: beside a
        // Date column it is the time of day of an intraday file (issue 23).
        if header.pos[Field::Date as usize].is_none()
            && let Some(i) = header.names.iter().position(|n| normalize(n) == "time")
        {
            header.place(Field::Date, i)?;
        }
        header.actions = ActionColumns::find(&header.names);
        if let Some(missing) = header.missing() {
            return Err(HeaderError::Missing {
                missing,
                found: header.names.join(","),
                looks_like_data: parse_date(&header.names[0], None).is_some(),
            });
        }
        Ok(header)
    }

    /// Puts a field at a column (0-based); a field found twice is an error.
    pub(crate) fn place(&mut self, field: Field, column: usize) -> Result<(), HeaderError> {
        if let Some(first) = self.pos[field as usize] {
            return Err(HeaderError::Duplicate {
                name: self.names[column].clone(),
                first: first + 1,
                second: column + 1,
            });
        }
        self.pos[field as usize] = Some(column);
        Ok(())
    }

    /// The required fields without a column, comma-separated; None when all are there.
    pub(crate) fn missing(&self) -> Option<String> {
        let missing: Vec<&str> = Field::ALL
            .iter()
            .zip(self.pos)
            .filter(|(f, p)| **f != Field::AdjClose && p.is_none())
            .map(|(f, _)| f.display_name())
            .collect();
        (!missing.is_empty()).then(|| missing.join(", "))
    }

    /// A header with the fields at the given columns (0-based), ISO or US dates.
    pub(crate) fn at(names: Vec<String>, pos: [Option<usize>; 7]) -> Header {
        Header {
            pos,
            names,
            dates: Dates::IsoOrUs,
            dash_volume: false,
            decimal_comma: false,
            actions: ActionColumns::default(),
        }
    }

    /// The column names as the file writes them.
    pub fn column_names(&self) -> &[String] {
        &self.names
    }

    /// The same positions shown under other column names (a format that renames columns).
    pub fn with_names(self, names: Vec<String>) -> Header {
        Header { names, ..self }
    }

    /// Whether the file has a column for `field`.
    pub fn has(&self, field: Field) -> bool {
        self.pos[field as usize].is_some()
    }

    /// `Field=column name` for each field found, for `--dry-run`.
    pub fn mapping(&self) -> String {
        let actions = [
            ("Dividend", self.actions.dividend),
            ("Split", self.actions.split),
        ];
        Field::ALL
            .iter()
            .filter_map(|f| Some((f.display_name(), self.column(*f)?)))
            .chain(actions.into_iter().filter_map(|(name, i)| Some((name, i?))))
            .map(|(name, i)| format!("{name}={}", self.names[i]))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Number of columns in the header.
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// True when the file has an adjusted close column.
    pub fn has_adj_close(&self) -> bool {
        self.pos[Field::AdjClose as usize].is_some()
    }

    /// The 0-based column of a field, if the file has it.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.pos[field as usize]
    }

    /// The file's name for a field's column (the field's own name when absent).
    pub fn name(&self, field: Field) -> &str {
        self.column(field)
            .map(|i| self.names[i].as_str())
            .unwrap_or(field.display_name())
    }
}

/// Header names of the dividend column, normalized.
const DIVIDEND_NAMES: [&str; 2] = ["dividends", "dividend"];
/// Header names of the split column, normalized.
const SPLIT_NAMES: [&str; 4] = ["stocksplits", "stocksplit", "splits", "splitratio"];

/// Where a file keeps its dividends and splits, if it has either column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionColumns {
    pub dividend: Option<usize>,
    pub split: Option<usize>,
}

impl ActionColumns {
    /// Finds the columns by name among a header's names.
    pub fn find(names: &[String]) -> ActionColumns {
        let at = |aliases: &[&str]| {
            names
                .iter()
                .position(|n| aliases.contains(&normalize(n).as_str()))
        };
        ActionColumns {
            dividend: at(&DIVIDEND_NAMES),
            split: at(&SPLIT_NAMES),
        }
    }

    /// True when the file has a dividend or a split column.
    pub fn any(self) -> bool {
        self.dividend.is_some() || self.split.is_some()
    }
}

impl From<HeaderError> for crate::load::input::FileError {
    fn from(e: HeaderError) -> Self {
        crate::load::input::FileError::Header(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(header: &str) -> Vec<String> {
        header.split(',').map(str::to_string).collect()
    }

    #[test]
    fn datetime_and_time_columns_hold_the_date() {
        for (header, column) in [
            ("datetime,open,high,low,close,volume", "datetime"),
            ("time,open,high,low,close,volume", "time"),
            ("Timestamp,open,high,low,close,volume", "Timestamp"),
        ] {
            let h = Header::map(names(header)).unwrap();
            assert!(
                h.mapping().starts_with(&format!("Date={column},")),
                "{header}"
            );
        }
        // Beside a Date column, Time is the time of day (an intraday file's), not a second date.
        let h = Header::map(names("Date,Time,Open,High,Low,Close,Volume")).unwrap();
        assert!(h.mapping().starts_with("Date=Date,"), "{}", h.mapping());
    }

    #[test]
    fn columns_are_found_by_name() {
        let names: Vec<String> =
            "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits,Capital Gains"
                .split(',')
                .map(String::from)
                .collect();
        assert_eq!(
            ActionColumns::find(&names),
            ActionColumns {
                dividend: Some(6),
                split: Some(7)
            }
        );
        assert!(!ActionColumns::find(&names[..6]).any());
    }
}
