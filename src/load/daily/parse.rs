//! Reading one daily price CSV: row parsing and validation against the file's header and
//! format (DESIGN.md §6).
//!
//! Everything here is synchronous and database-free, so it runs on a blocking thread beside
//! the COPY stream and is unit-tested without a server.

use super::actions::{self, Action};
use super::format::{self, Layout};
use super::header::{Field, Header, HeaderError};
use crate::load::input::FileError;
use crate::load::values::{
    BadRow, ParseOptions, Problem, decimal_comma, parse_day, parse_price, parse_volume,
};
use chrono::{Datelike, NaiveDate, Weekday};
use csv::ByteRecord;
use std::collections::{HashMap, VecDeque};
use std::io::{Chain, Cursor, Read};

/// One validated daily bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub day: NaiveDate,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub adj_close: Option<f64>,
    pub volume: i64,
}

/// The suspicious-row flags live with the counts of them (analytics), which load/ feeds.
pub use crate::analytics::features::warn;

impl Row {
    /// The suspicious kinds this row shows, as `warn` flags.
    pub fn warnings(&self) -> u8 {
        let mut w = 0;
        if self.volume == 0 {
            w |= warn::ZERO_VOLUME;
        }
        if [self.open, self.high, self.low, self.close]
            .iter()
            .any(|p| *p <= 0.0)
        {
            w |= warn::NON_POSITIVE_PRICE;
        }
        if self.high < self.low {
            w |= warn::HIGH_BELOW_LOW;
        } else if [self.open, self.close]
            .iter()
            .any(|p| *p < self.low || *p > self.high)
        {
            w |= warn::OPEN_CLOSE_OUTSIDE_RANGE;
        }
        if matches!(self.day.weekday(), Weekday::Sat | Weekday::Sun) {
            w |= warn::WEEKEND;
        }
        w
    }
}

/// Parses one row against a header; `Err` carries the 0-based field index at fault.
pub fn parse_row(
    header: &Header,
    record: &ByteRecord,
    opts: &ParseOptions,
) -> Result<Row, (Option<usize>, Problem)> {
    let width = header.names.len();
    if record.len() != width {
        let all_empty = record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace));
        if all_empty {
            return Err((None, Problem::Blank));
        }
        return Err((
            None,
            Problem::FieldCount {
                expected: width,
                found: record.len(),
                multiline: record.iter().any(|f| f.contains(&b'\n')),
            },
        ));
    }
    let text = |field: Field| -> Result<Option<&str>, (Option<usize>, Problem)> {
        let Some(i) = header.column(field) else {
            return Ok(None);
        };
        let raw = std::str::from_utf8(&record[i]).map_err(|_| {
            (
                Some(i),
                Problem::NotUtf8 {
                    column: header.name(field).to_string(),
                },
            )
        })?;
        let t = raw.trim();
        Ok((!t.is_empty()).then_some(t))
    };
    // Each field is decoded once; the value fields first, so a bad byte in one of them is
    // reported before the date, as before.
    let mut texts: [Option<&str>; 7] = [None; 7];
    for field in &Field::ALL[1..] {
        texts[*field as usize] = text(*field)?;
    }
    let date_text = text(Field::Date)?;
    if texts[1..].iter().all(Option::is_none) {
        return Err(match date_text {
            Some(_) => (header.column(Field::Open), Problem::NoValues),
            None => (None, Problem::Blank),
        });
    }
    texts[Field::Date as usize] = date_text;
    let required = |field: Field| -> Result<&str, (Option<usize>, Problem)> {
        texts[field as usize].ok_or_else(|| {
            (
                header.column(field),
                Problem::Missing {
                    column: header.name(field).to_string(),
                },
            )
        })
    };
    let date_value = required(Field::Date)?;
    let day =
        parse_day(date_value, opts.date_format.as_deref(), header.dates).ok_or_else(|| {
            (
                header.column(Field::Date),
                Problem::NotADate {
                    column: header.name(Field::Date).to_string(),
                    value: date_value.to_string(),
                    expected: opts
                        .date_format
                        .clone()
                        .unwrap_or_else(|| format!("{}; see --date-format", header.dates.label())),
                },
            )
        })?;
    // A decimal comma (European spreadsheets): `1.234,56` reads as `1234.56`.
    let european = |value: &str| header.decimal_comma.then(|| decimal_comma(value)).flatten();
    let price = |field: Field, value: &str| -> Result<f64, (Option<usize>, Problem)> {
        let parsed = if header.decimal_comma {
            european(value).and_then(|v| parse_price(&v))
        } else {
            parse_price(value)
        };
        parsed.ok_or_else(|| {
            (
                header.column(field),
                Problem::NotANumber {
                    column: header.name(field).to_string(),
                    value: value.to_string(),
                },
            )
        })
    };
    let open = price(Field::Open, required(Field::Open)?)?;
    let high = price(Field::High, required(Field::High)?)?;
    let low = price(Field::Low, required(Field::Low)?)?;
    let close = price(Field::Close, required(Field::Close)?)?;
    // Adj Close is optional: an empty value is stored as NULL, like a missing column.
    let adj_close = match texts[Field::AdjClose as usize] {
        Some(v) => Some(price(Field::AdjClose, v)?),
        None => None,
    };
    let volume_text = required(Field::Volume)?;
    let volume = match european(volume_text) {
        Some(plain) => parse_volume(&plain, header.dash_volume),
        None => parse_volume(volume_text, header.dash_volume),
    };
    let volume = volume.map_err(|kind| {
        let column = header.name(Field::Volume).to_string();
        let value = volume_text.to_string();
        (header.column(Field::Volume), kind.problem(column, value))
    })?;
    let row = Row {
        day,
        open,
        high,
        low,
        close,
        adj_close,
        volume,
    };
    if opts.strict {
        let w = row.warnings();
        if let Some((flag, what)) = warn::ALL.iter().find(|(flag, _)| w & flag != 0) {
            let column = match *flag {
                warn::ZERO_VOLUME => header.column(Field::Volume),
                warn::WEEKEND => header.column(Field::Date),
                _ => None,
            };
            return Err((
                column,
                Problem::Suspicious {
                    what: what.to_string(),
                },
            ));
        }
    }
    Ok(row)
}

/// One item read from a price file.
#[derive(Debug)]
pub enum Item {
    /// An accepted row and its `warn` flags (0 when clean).
    Row(Row, u8),
    Bad(BadRow),
}

/// Reads a price file row by row, keeping only what duplicate detection needs.
pub struct PriceReader<R: Read> {
    csv: csv::Reader<Replayed<R>>,
    layout: Layout,
    opts: ParseOptions,
    record: ByteRecord,
    /// Records read ahead to recognise the format and not yet handed out.
    pending: VecDeque<ByteRecord>,
    /// The file's symbol, from its content (ticker row or column), if it names one.
    symbol: Option<String>,
    /// Line of each accepted (symbol, day); a one-symbol daily file holds at most a few tens
    /// of thousands. The symbol is a number from `symbols` (always 0 in one-symbol files).
    seen: HashMap<u64, u64>,
    /// Symbols met in a file naming a symbol on each row, numbered for `seen`.
    symbols: HashMap<String, u32>,
    /// Rows of one line of a file with several tickers side by side, not yet handed out.
    ready: VecDeque<(Item, String)>,
    /// The symbol of the last row handed out, in a file naming a symbol on each row.
    row_symbol: Option<String>,
    /// The dividend or split of the row just handed out, if it records one.
    action: Option<Action>,
    /// Line of the last record read (the header's at first).
    last_line: u64,
    /// Data rows read so far (the header excluded).
    pub rows: u64,
}

/// Records read ahead to recognise a format: yfinance has three header lines.
const HEAD_RECORDS: usize = 4;

/// Records read ahead in a `;`-separated file: a month of trading days has a day over 12,
/// which tells `31/01/2023` (day first) from `01/31/2023`.
const EUROPEAN_HEAD_RECORDS: usize = 400;

/// A reader whose first bytes, read ahead, are given again before the rest.
type Replayed<R> = Chain<Cursor<Vec<u8>>, R>;

/// The file's first line (and whatever else the reads brought), and a reader that gives the
/// whole file again: the delimiter is chosen before the CSV reader starts.
fn first_line<R: Read>(mut reader: R) -> std::io::Result<(Vec<u8>, Replayed<R>)> {
    let mut start = Vec::new();
    let mut buf = [0u8; 4096];
    while !start.contains(&b'\n') && start.len() < 1 << 16 {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        start.extend_from_slice(&buf[..n]);
    }
    let line_end = start
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(start.len());
    let line = start[..line_end].to_vec();
    Ok((line, Cursor::new(start).chain(reader)))
}

/// `;` when the header line has more semicolons than commas outside quotes (a spreadsheet in
/// a European locale), else `,`.
fn delimiter_of(line: &[u8]) -> u8 {
    let (mut quoted, mut commas, mut semicolons) = (false, 0, 0);
    for b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

impl<R: Read> PriceReader<R> {
    /// Reads the first lines and recognises the format; fails when the file is empty or fits
    /// no format.
    pub fn new(reader: R, opts: ParseOptions) -> Result<Self, FileError> {
        let (first_line, reader) = first_line(reader).map_err(FileError::Io)?;
        let delimiter = delimiter_of(&first_line);
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(reader);
        // A European file's dates may need many rows to tell day-first from month-first.
        let head_records = if delimiter == b';' {
            EUROPEAN_HEAD_RECORDS
        } else {
            HEAD_RECORDS
        };
        let mut head = Vec::new();
        for _ in 0..head_records {
            let mut record = ByteRecord::new();
            if !csv.read_byte_record(&mut record).map_err(csv_error)? {
                break;
            }
            head.push(record);
        }
        if head.is_empty() {
            return Err(HeaderError::Empty.into());
        }
        let layout = format::detect(&head, delimiter)?;
        if let Some(example) = &layout.ambiguous_dates
            && opts.date_format.is_none()
        {
            return Err(HeaderError::Layout(format!(
                "dates such as {example:?} read day-first and month-first alike, and none of the first {} rows tells which: pass --date-format '%d/%m/%Y' or '%m/%d/%Y'",
                head.len() - 1
            ))
            .into());
        }
        let last_line = match layout.header_rows {
            0 => 0,
            n => head[n - 1].position().map_or(n as u64, |p| p.line()),
        };
        let mut pending: VecDeque<ByteRecord> = head.into_iter().collect();
        pending.drain(..layout.header_rows);
        let symbol = layout.ticker().map(str::to_string).or_else(|| {
            let column = layout.symbol_column?;
            let first = pending.front()?;
            format::symbol_value(first.get(column)?)
        });
        Ok(PriceReader {
            csv,
            layout,
            opts,
            record: ByteRecord::new(),
            pending,
            symbol,
            seen: HashMap::new(),
            symbols: HashMap::new(),
            ready: VecDeque::new(),
            row_symbol: None,
            action: None,
            last_line,
            rows: 0,
        })
    }

    /// The matched header.
    pub fn header(&self) -> &Header {
        &self.layout.header
    }

    /// The recognised format.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The symbol the file names in its content (ticker row or column), if any: for a file
    /// naming a symbol on each row, the first row's.
    pub fn symbol(&self) -> Option<&str> {
        self.symbol.as_deref()
    }

    /// The symbol of the row just handed out, in a file naming a symbol on each row
    /// ([`Layout::symbol_per_row`]).
    pub fn row_symbol(&self) -> Option<&str> {
        self.row_symbol.as_deref()
    }

    /// The dividend or split recorded on the row just handed out (yfinance `Ticker.history()`
    /// columns), if any.
    pub fn action(&self) -> Option<Action> {
        self.action
    }

    /// The next record, read ahead or from the file; false at the end.
    fn read_record(&mut self) -> Result<bool, FileError> {
        if let Some(record) = self.pending.pop_front() {
            self.record = record;
            return Ok(true);
        }
        self.csv
            .read_byte_record(&mut self.record)
            .map_err(csv_error)
    }

    /// Checks the columns that are the same on every row of a daily single-symbol file.
    fn check_row_columns(&self, line: u64) -> Result<(), FileError> {
        let field = |i: usize| String::from_utf8_lossy(self.record.get(i).unwrap_or_default());
        if let Some(column) = self.layout.period_column {
            let per = field(column);
            if per.trim() != "D" && !per.trim().is_empty() {
                return Err(FileError::AtLine {
                    line,
                    message: format!(
                        "<PER> is {:?}: {}",
                        per.trim(),
                        format::period_name(per.trim())
                    ),
                });
            }
        }
        if let Some(column) = self.layout.time_column {
            let time = field(column);
            if !time.trim().bytes().all(|b| b == b'0') {
                return Err(FileError::AtLine {
                    line,
                    message: format!(
                        "intraday bars: not a daily file (<TIME> is {:?})",
                        time.trim()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The next row, accepted or bad; `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<Item>, FileError> {
        loop {
            if let Some((item, symbol)) = self.ready.pop_front() {
                self.row_symbol = Some(symbol);
                self.action = None;
                return Ok(Some(item));
            }
            if !self.read_record()? {
                return Ok(None);
            }
            // The csv crate counts only `\n`, so in a file whose lines end in a bare `\r`
            // every record would claim line 1; each record starts on a line of its own.
            let line = self
                .record
                .position()
                .map_or(0, |p| p.line())
                .max(self.last_line + 1);
            self.last_line = line;
            if self.layout.groups.len() > 1 {
                self.split_tickers(line);
                continue;
            }
            self.rows += 1;
            if self.layout.checks_rows() {
                self.check_row_columns(line)?;
            }
            let mut symbol = 0;
            if let Some(column) = self.layout.symbol_column {
                let Some(name) = format::symbol_value(&self.record[column]) else {
                    self.row_symbol = None;
                    let problem = Problem::Missing {
                        column: self.layout.symbol_name().to_string(),
                    };
                    return Ok(Some(Item::Bad(bad_row(
                        line,
                        Some(column),
                        problem,
                        &self.record,
                    ))));
                };
                symbol = number(&mut self.symbols, &name);
                self.row_symbol = Some(name);
            }
            let header = &self.layout.header;
            let item = judge(
                header,
                &self.record,
                &self.opts,
                &mut self.seen,
                line,
                symbol,
            );
            self.action = None;
            if let Item::Row(row, _) = &item
                && header.actions.any()
            {
                match actions::read(header, &self.record, row.day) {
                    Ok(action) => self.action = action,
                    Err((column, problem)) => {
                        return Ok(Some(Item::Bad(bad_row(
                            line,
                            column,
                            problem,
                            &self.record,
                        ))));
                    }
                }
            }
            return Ok(Some(item));
        }
    }

    /// One line of several tickers side by side: a row per ticker that has values on it.
    fn split_tickers(&mut self, line: u64) {
        for (ticker, header) in &self.layout.groups {
            let empty = Field::ALL[1..]
                .iter()
                .filter_map(|f| header.column(*f))
                .all(|i| self.record.get(i).is_none_or(|v| v.trim_ascii().is_empty()));
            if empty {
                continue;
            }
            self.rows += 1;
            let number = number(&mut self.symbols, ticker);
            let item = judge(
                header,
                &self.record,
                &self.opts,
                &mut self.seen,
                line,
                number,
            );
            self.ready.push_back((item, ticker.clone()));
        }
    }
}

/// The number of a symbol met on a row, for duplicate detection.
fn number(symbols: &mut HashMap<String, u32>, symbol: &str) -> u32 {
    if let Some(n) = symbols.get(symbol) {
        return *n;
    }
    let n = symbols.len() as u32;
    symbols.insert(symbol.to_string(), n);
    n
}

/// A bad row at `line`, `column` 0-based.
fn bad_row(line: u64, column: Option<usize>, problem: Problem, record: &ByteRecord) -> BadRow {
    BadRow::new(line, column.map(|c| c + 1), problem, record_text(record))
}

/// Parses a record against a header and refuses a second row for the same symbol and day.
fn judge(
    header: &Header,
    record: &ByteRecord,
    opts: &ParseOptions,
    seen: &mut HashMap<u64, u64>,
    line: u64,
    symbol: u32,
) -> Item {
    match parse_row(header, record, opts) {
        Ok(row) => {
            // One key, hashed once: the symbol's number and the day.
            let key = (u64::from(symbol) << 32) | u64::from(row.day.num_days_from_ce() as u32);
            match seen.entry(key) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    let problem = Problem::DuplicateDate {
                        day: row.day,
                        first_line: *first.get(),
                    };
                    Item::Bad(bad_row(line, header.column(Field::Date), problem, record))
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(line);
                    Item::Row(row, row.warnings())
                }
            }
        }
        Err((column, problem)) => Item::Bad(bad_row(line, column, problem, record)),
    }
}

fn csv_error(err: csv::Error) -> FileError {
    let line = err.position().map_or(0, |p| p.line());
    match err.into_kind() {
        csv::ErrorKind::Io(io) => FileError::Io(io),
        other => FileError::Csv {
            line,
            message: format!("{other:?}"),
        },
    }
}

/// The record's fields joined again as one CSV line (quoted where needed).
fn record_text(record: &ByteRecord) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_byte_record(record);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::values::*;

    fn read_all(text: &str, opts: ParseOptions) -> Result<Vec<Item>, FileError> {
        let mut reader = PriceReader::new(text.as_bytes(), opts)?;
        let mut items = Vec::new();
        while let Some(item) = reader.next_item()? {
            items.push(item);
        }
        Ok(items)
    }

    fn bad_rows(text: &str) -> Vec<BadRow> {
        read_all(text, ParseOptions::default())
            .unwrap()
            .into_iter()
            .filter_map(|i| match i {
                Item::Bad(b) => Some(b),
                Item::Row(..) => None,
            })
            .collect()
    }

    const HEAD: &str = "Date,Open,High,Low,Close,Adj Close,Volume\n";

    #[test]
    fn header_matching_ignores_case_spaces_and_underscores() {
        let rec = ByteRecord::from(vec![
            "\u{feff}date",
            " OPEN",
            "High",
            "low",
            "Close",
            "adj_close",
            "VOLUME",
            "Extra",
        ]);
        let h = Header::parse(&rec).unwrap();
        assert!(h.has_adj_close());
        assert_eq!(h.column(Field::AdjClose), Some(5));
        assert_eq!(h.column(Field::Date), Some(0));
    }

    #[test]
    fn header_errors_name_the_problem() {
        let rec = ByteRecord::from(vec!["Date", "Open", "High", "Close", "Volume"]);
        let err = Header::parse(&rec).unwrap_err();
        assert_eq!(
            err.to_string(),
            "header has no Low column (found: Date,Open,High,Close,Volume); required: Date, Open, High, Low, Close, Volume"
        );
        let rec = ByteRecord::from(vec![
            "Date", "Open", "open", "High", "Low", "Close", "Volume",
        ]);
        assert_eq!(
            Header::parse(&rec).unwrap_err(),
            HeaderError::Duplicate {
                name: "open".into(),
                first: 2,
                second: 3
            }
        );
    }

    #[test]
    fn dates_iso_us_and_custom() {
        let d = NaiveDate::from_ymd_opt(2020, 3, 7).unwrap();
        assert_eq!(parse_date("2020-03-07", None), Some(d));
        assert_eq!(parse_date("3/7/2020", None), Some(d));
        assert_eq!(parse_date("03/07/2020", None), Some(d));
        assert_eq!(parse_date("07.03.2020", Some("%d.%m.%Y")), Some(d));
        for bad in [
            "2020-02-30",
            "20200101",
            "0000-01-01",
            "10000-01-01",
            "2020-1-1",
            "7/3/20",
            "",
        ] {
            assert_eq!(parse_date(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn volumes_integral_floats_accepted_fractions_refused() {
        assert_eq!(parse_volume("1225700.0", false), Ok(1_225_700));
        assert_eq!(parse_volume("3000000000", false), Ok(3_000_000_000));
        assert_eq!(parse_volume("1.5", false), Err(VolumeError::Fractional));
        assert_eq!(parse_volume("-5", false), Err(VolumeError::Negative));
        assert_eq!(parse_volume("1e30", false), Err(VolumeError::OutOfRange));
        assert_eq!(
            parse_volume("99999999999999999999", false),
            Err(VolumeError::OutOfRange)
        );
        assert_eq!(parse_volume("abc", false), Err(VolumeError::NotANumber));
        assert_eq!(parse_volume("1,234,567", false), Ok(1_234_567));
        assert_eq!(parse_volume("20.58M", false), Ok(20_580_000));
        assert_eq!(parse_volume("870.5K", false), Ok(870_500));
        assert_eq!(parse_volume("1.2B", false), Ok(1_200_000_000));
        assert_eq!(parse_volume("3K", false), Ok(3_000));
        assert_eq!(parse_volume("1.2345K", false), Err(VolumeError::Fractional));
        assert_eq!(parse_volume("1.50000K", false), Ok(1_500));
        assert_eq!(
            parse_volume("9999999999B", false),
            Err(VolumeError::OutOfRange)
        );
        for bad in ["M", ".5M", "5.M", "1,5M", "-2K", "2X"] {
            assert_eq!(
                parse_volume(bad, false),
                Err(VolumeError::NotANumber),
                "{bad}"
            );
        }
        assert_eq!(parse_volume("-", true), Ok(0));
        assert_eq!(parse_volume("-", false), Err(VolumeError::NotANumber));
    }

    #[test]
    fn prices_must_be_finite_numbers() {
        for bad in [
            "NaN",
            "inf",
            "-infinity",
            "1e400",
            "N/A",
            "$",
            "$$5",
            "1,00",
            ",100",
            "1,000.",
            "",
        ] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
        assert_eq!(parse_price("$5"), Some(5.0));
        assert_eq!(parse_price("$1,075.25"), Some(1075.25));
        assert_eq!(parse_price("-$3.5"), Some(-3.5));
        assert_eq!(parse_price("12,345,678.9"), Some(12_345_678.9));
        assert_eq!(parse_price("100.010002"), Some(100.010002));
    }

    #[test]
    fn good_rows_crlf_and_no_final_newline() {
        let text = format!("{HEAD}2020-01-02,1,2,0.5,1.5,1.4,100\r\n2020-01-03,1,2,0.5,1.5,,200.0");
        let items = read_all(&text, ParseOptions::default()).unwrap();
        assert_eq!(items.len(), 2);
        let Item::Row(row, w) = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(row.adj_close, None);
        assert_eq!(row.volume, 200);
        assert_eq!(*w, 0);
    }

    #[test]
    fn lines_ending_in_a_bare_cr_are_numbered() {
        let text = "Date,Open,High,Low,Close,Adj Close,Volume\r2020-01-02,1,2,0.5,1.5,1.4,100\r\
                    2020-01-03,x,2,0.5,1.5,1.4,100\r";
        let bad = bad_rows(text);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 3, "{}", bad[0]);
    }

    #[test]
    fn empty_value_row_is_bad_with_line_and_column() {
        let bad = bad_rows(&format!(
            "{HEAD}2020-01-02,1,2,0.5,1.5,1.4,100\n2021-01-27,,,,,,\n"
        ));
        assert_eq!(bad.len(), 1);
        assert_eq!(
            bad[0].to_string(),
            "3:2: row has a date but every value is empty"
        );
        assert_eq!(bad[0].text, "2021-01-27,,,,,,");
    }

    #[test]
    fn duplicate_date_after_an_empty_row_is_accepted_once() {
        // ACC.csv in the Kaggle data: an empty row, then a real row for the same date.
        let text = format!(
            "{HEAD}2021-01-27,,,,,,\n2021-01-27,1,2,0.5,1.5,1.4,100\n2021-01-27,1,2,0.5,1.5,1.4,100\n"
        );
        let bad = bad_rows(&text);
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].problem, Problem::NoValues);
        assert_eq!(
            bad[1].to_string(),
            "4:1: second row for 2021-01-27 (the first is on line 3)"
        );
    }

    #[test]
    fn each_bad_value_kind_is_located() {
        let cases = [
            (
                "2020-01-02,x,2,0.5,1.5,1.4,100",
                "2:2: Open: \"x\" is not a finite number",
            ),
            ("2020-01-02,1,2,,1.5,1.4,100", "2:4: Low: missing value"),
            (
                "2020-01-02,1,2,0.5,1.5,1.4,100.5",
                "2:7: Volume: \"100.5\" is a fractional volume",
            ),
            (
                "2020-02-30,1,2,0.5,1.5,1.4,100",
                "2:1: Date: \"2020-02-30\" is not a valid date (expected YYYY-MM-DD or M/D/YYYY; see --date-format)",
            ),
            (
                "2020-01-02,1,2,0.5,1.5",
                "2: expected 7 fields as in the header, found 5",
            ),
            (
                "2020-01-02,1,2,0.5,NaN,1.4,100",
                "2:5: Close: \"NaN\" is not a finite number",
            ),
        ];
        for (row, expected) in cases {
            let bad = bad_rows(&format!("{HEAD}{row}\n"));
            assert_eq!(bad.len(), 1, "{row}");
            assert_eq!(bad[0].to_string(), expected);
        }
    }

    #[test]
    fn suspicious_rows_warn_and_strict_refuses_them() {
        let text = format!("{HEAD}2020-01-04,1,2,0.5,1.5,1.4,0\n");
        let items = read_all(&text, ParseOptions::default()).unwrap();
        let Item::Row(_, w) = items[0] else { panic!() };
        assert_eq!(w, warn::ZERO_VOLUME | warn::WEEKEND);
        let strict = ParseOptions {
            strict: true,
            ..Default::default()
        };
        let items = read_all(&text, strict).unwrap();
        let Item::Bad(b) = &items[0] else { panic!() };
        assert_eq!(
            b.to_string(),
            "2:7: zero volume (suspicious; refused because of --strict)"
        );
    }

    #[test]
    fn empty_file_and_header_only() {
        assert!(matches!(
            read_all("", ParseOptions::default()),
            Err(FileError::Header(m)) if m == HeaderError::Empty.to_string()
        ));
        assert_eq!(read_all(HEAD, ParseOptions::default()).unwrap().len(), 0);
    }
}
