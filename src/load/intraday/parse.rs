//! Reading one intraday bar file of a recognised shape (`sniff`): timestamps to UTC in the
//! exchange's time zone (`load::stamps`), the resolution detected from the timestamps, and
//! each row judged as daily rows are (DESIGN.md §6). Database-free and synchronous.

pub use super::sniff::{Layout, Source, sniff};
use crate::load::stamps::{DEFAULT_ZONE, parse_date_time, parse_stamp, to_utc};
use crate::load::values::{BadRow, Problem, parse_price, parse_volume};
use chrono::{NaiveDate, Timelike};
use chrono_tz::Tz;
use csv::ByteRecord;
use std::collections::{HashMap, VecDeque};
use std::io::Read;

/// Rows read before the resolution and the grid are decided (then every row is checked).
const SAMPLE: usize = 1000;

const MICROS: i64 = 1_000_000;

/// The bar record is the roll-ups' input, defined beside them (analytics sits below load/).
pub use crate::analytics::intraday::Bar;

/// The resolution of a file's bars and where its grid starts within the day (microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub resolution: i64,
    pub phase: i64,
}

impl Grid {
    /// `1 minute`, `15 minutes`, `30 seconds`: the resolution as PostgreSQL and people read it.
    pub fn label(&self) -> String {
        label_of(self.resolution)
    }
}

/// Microseconds as `1 minute` / `15 minutes` / `1 hour` / `30 seconds`.
pub fn label_of(micros: i64) -> String {
    let secs = micros / MICROS;
    let (n, unit) = if secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if micros % MICROS != 0 {
        return format!("{micros} microseconds");
    }
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// One item read from an intraday file.
#[derive(Debug)]
pub enum Item {
    /// An accepted bar; true when it is suspicious (counted as a warning).
    Bar(Bar, bool),
    Bad(BadRow),
}

/// A row read but not yet judged against the grid (the sample, or the current row).
#[derive(Debug)]
enum Pending {
    Bar {
        line: u64,
        bar: Bar,
        /// Microseconds since local midnight, exchange time.
        of_day: i64,
        day: NaiveDate,
        warned: bool,
        /// The row's text and timestamp as written, kept for the sample's rows only (a later
        /// row is judged while its record is still at hand).
        texts: Option<Box<(String, String)>>,
    },
    Bad(Box<BadRow>),
}

/// Why an intraday file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Layout(String),
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Streams the bars of one intraday file, after a sample that decides the grid.
pub struct BarReader<R: Read> {
    csv: csv::Reader<R>,
    layout: Layout,
    zone: Tz,
    strict: bool,
    record: ByteRecord,
    /// Data rows read so far.
    pub rows: u64,
    grid: Option<Grid>,
    /// The resolution a file name gives (`MSFT_15min.csv`), for files of one bar a day.
    named: Option<i64>,
    pending: VecDeque<Pending>,
    seen: HashMap<i64, u64>,
    /// Offset (seconds) of the last local day with no clock change.
    day_offset: Option<(NaiveDate, i32)>,
    /// The symbol a symbol column gives on the first bar.
    pub row_symbol: Option<String>,
    done: bool,
}

impl BarReader<Box<dyn Read>> {
    /// Opens `make()` twice: once to recognise the layout from the first lines, once to read.
    pub fn open(
        mut make: impl FnMut() -> std::io::Result<Box<dyn Read>>,
        zone: Option<Tz>,
        strict: bool,
        named: Option<i64>,
    ) -> Result<Self, FileError> {
        let head = read_head(make()?)?;
        let layout = match sniff(&head) {
            Some(Ok(layout)) => layout,
            Some(Err(e)) => return Err(FileError::Layout(e)),
            None => {
                return Err(FileError::Layout(
                    "not an intraday file: no date-and-time column with a time of day".into(),
                ));
            }
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(make()?);
        let mut record = ByteRecord::new();
        for _ in 0..layout.header_rows {
            csv.read_byte_record(&mut record).map_err(csv_error)?;
        }
        Ok(BarReader {
            csv,
            layout,
            zone: zone.unwrap_or(DEFAULT_ZONE),
            strict,
            record,
            rows: 0,
            grid: None,
            named,
            pending: VecDeque::new(),
            seen: HashMap::new(),
            day_offset: None,
            row_symbol: None,
            done: false,
        })
    }
}

/// The first lines of a file as trimmed text, for recognising its shape.
pub fn read_head(reader: impl Read) -> Result<Vec<Vec<String>>, FileError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut head = Vec::new();
    let mut record = ByteRecord::new();
    while head.len() < 24 && csv.read_byte_record(&mut record).map_err(csv_error)? {
        head.push(
            record
                .iter()
                .map(|f| {
                    String::from_utf8_lossy(f)
                        .trim_start_matches('\u{feff}')
                        .trim()
                        .to_string()
                })
                .collect::<Vec<_>>(),
        );
    }
    Ok(head)
}

pub(super) fn csv_error(err: csv::Error) -> FileError {
    let line = err.position().map_or(0, |p| p.line());
    match err.into_kind() {
        csv::ErrorKind::Io(e) => FileError::Io(e),
        other => FileError::Csv {
            line,
            message: format!("{other:?}"),
        },
    }
}

pub(super) fn record_text(record: &ByteRecord) -> String {
    record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect::<Vec<_>>()
        .join(",")
}

impl<R: Read> BarReader<R> {
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The grid, once decided (after the sample).
    pub fn grid(&self) -> Option<Grid> {
        self.grid
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Reads up to the sample and decides the grid; `Err` when no resolution can be told.
    pub fn decide_grid(&mut self) -> Result<Grid, FileError> {
        if let Some(grid) = self.grid {
            return Ok(grid);
        }
        let mut bars = 0;
        while bars < SAMPLE {
            match self.read_row()? {
                Some(mut p) => {
                    if let Pending::Bar { texts, .. } = &mut p {
                        bars += 1;
                        *texts = Some(Box::new(self.texts()));
                    }
                    self.pending.push_back(p);
                }
                None => break,
            }
        }
        let grid = self.grid_of_sample()?;
        self.grid = Some(grid);
        Ok(grid)
    }

    fn grid_of_sample(&self) -> Result<Grid, FileError> {
        let mut gaps: HashMap<i64, usize> = HashMap::new();
        let mut last: Option<(NaiveDate, i64)> = None;
        for p in &self.pending {
            if let Pending::Bar { bar, day, .. } = p {
                if let Some((d, ts)) = last
                    && d == *day
                    && bar.ts != ts
                {
                    *gaps.entry((bar.ts - ts).abs()).or_default() += 1;
                }
                last = Some((*day, bar.ts));
            }
        }
        let resolution = regular_resolution(&gaps).or(self.named.map(|s| s * MICROS));
        let Some(resolution) = resolution else {
            return Err(FileError::Layout(
                "cannot tell the bars' resolution: no day has two bars; name it in the file name (e.g. MSFT_15min.csv)".into(),
            ));
        };
        if resolution >= 86_400 * MICROS {
            return Err(FileError::Layout(
                "bars a day or more apart: a daily file, not an intraday one".into(),
            ));
        }
        let mut phases: HashMap<i64, usize> = HashMap::new();
        for p in &self.pending {
            if let Pending::Bar { of_day, .. } = p {
                *phases.entry(of_day % resolution).or_default() += 1;
            }
        }
        let phase = phases
            .iter()
            .max_by_key(|(phase, n)| (**n, std::cmp::Reverse(**phase)))
            .map_or(0, |(phase, _)| *phase);
        Ok(Grid { resolution, phase })
    }

    /// The next bar or bad row, judged against the grid; None at the end.
    pub fn next_item(&mut self) -> Result<Option<Item>, FileError> {
        let grid = self.decide_grid()?;
        let pending = match self.pending.pop_front() {
            Some(p) => p,
            None => match self.read_row()? {
                Some(p) => p,
                None => return Ok(None),
            },
        };
        Ok(Some(self.judge(pending, grid)))
    }

    /// The current record's text and its timestamp as written (date and time joined).
    fn texts(&self) -> (String, String) {
        let field = |i: usize| {
            self.record
                .get(i)
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .unwrap_or_default()
        };
        let value = match self.layout.clock {
            Some(c) => format!("{} {}", field(self.layout.time), field(c)),
            None => field(self.layout.time),
        };
        (record_text(&self.record), value)
    }

    fn judge(&mut self, pending: Pending, grid: Grid) -> Item {
        match pending {
            Pending::Bad(bad) => Item::Bad(*bad),
            Pending::Bar {
                line,
                bar,
                of_day,
                warned,
                texts,
                ..
            } => {
                let column = Some(self.layout.time + 1);
                let off_grid = of_day % grid.resolution != grid.phase;
                let first = if off_grid {
                    None
                } else {
                    self.seen.insert(bar.ts, line)
                };
                if !off_grid && first.is_none() {
                    return Item::Bar(bar, warned);
                }
                let (text, value) = match texts {
                    Some(t) => *t,
                    None => self.texts(),
                };
                let column_name = self.layout.names[self.layout.time].clone();
                if off_grid {
                    return Item::Bad(BadRow::new(
                        line,
                        column,
                        Problem::OffGrid {
                            column: column_name,
                            value,
                            grid: grid.label(),
                        },
                        text,
                    ));
                }
                let first_line = first.unwrap_or(line);
                self.seen.insert(bar.ts, first_line);
                Item::Bad(BadRow::new(
                    line,
                    column,
                    Problem::DuplicateTime {
                        time: value,
                        first_line,
                    },
                    text,
                ))
            }
        }
    }

    /// Reads and parses one row (not yet judged against the grid).
    fn read_row(&mut self) -> Result<Option<Pending>, FileError> {
        if self.done {
            return Ok(None);
        }
        loop {
            if !self
                .csv
                .read_byte_record(&mut self.record)
                .map_err(csv_error)?
            {
                self.done = true;
                return Ok(None);
            }
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
                && self.record.len() <= 1
            {
                continue;
            }
            self.rows += 1;
            return Ok(Some(self.parse_record()));
        }
    }

    fn parse_record(&mut self) -> Pending {
        let record = &self.record;
        let layout = &self.layout;
        let (zone, strict) = (self.zone, self.strict);
        let day_offset = &mut self.day_offset;
        let row_symbol = &mut self.row_symbol;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |column: Option<usize>, problem: Problem| {
            Box::new(BadRow::new(
                line,
                column.map(|c| c + 1),
                problem,
                record_text(record),
            ))
        };
        let width = layout.names.len();
        if record.len() != width {
            return Pending::Bad(bad(
                None,
                Problem::FieldCount {
                    expected: width,
                    found: record.len(),
                    multiline: false,
                },
            ));
        }
        let field = |i: usize| -> Result<&str, Box<BadRow>> {
            std::str::from_utf8(&record[i]).map(str::trim).map_err(|_| {
                bad(
                    Some(i),
                    Problem::NotUtf8 {
                        column: layout.names[i].clone(),
                    },
                )
            })
        };
        let parsed = (|| -> Result<Pending, Box<BadRow>> {
            if (0..width).all(|i| record[i].iter().all(u8::is_ascii_whitespace)) {
                return Err(bad(None, Problem::Blank));
            }
            let t = layout.time;
            let value = field(t)?;
            let stamp = match layout.clock {
                Some(c) => {
                    let clock = field(c)?;
                    parse_date_time(value, clock).ok_or_else(|| {
                        bad(
                            Some(c),
                            Problem::NotADate {
                                column: format!("{}+{}", layout.names[t], layout.names[c]),
                                value: format!("{value} {clock}"),
                                expected: "a date and a time such as 2020-01-02 and 09:30".into(),
                            },
                        )
                    })?
                }
                None => parse_stamp(value).ok_or_else(|| {
                    bad(
                        Some(t),
                        Problem::NotADate {
                            column: layout.names[t].clone(),
                            value: value.to_string(),
                            expected: "a date and time such as 2018-06-05 16:00:00 or 2025-07-23 13:30:00+00:00".into(),
                        },
                    )
                })?,
            };
            let shown = || match layout.clock {
                Some(c) => format!("{value} {}", field(c).unwrap_or_default()),
                None => value.to_string(),
            };
            let mut values = [""; 5];
            for (slot, &i) in values.iter_mut().zip(&layout.values) {
                *slot = field(i)?;
            }
            if values.iter().all(|v| v.is_empty()) {
                return Err(bad(None, Problem::NoValues));
            }
            let mut prices = [0.0; 4];
            for k in 0..4 {
                let i = layout.values[k];
                let column = layout.names[i].clone();
                if values[k].is_empty() {
                    return Err(bad(Some(i), Problem::Missing { column }));
                }
                prices[k] = parse_price(values[k]).ok_or_else(|| {
                    bad(
                        Some(i),
                        Problem::NotANumber {
                            column: column.clone(),
                            value: values[k].to_string(),
                        },
                    )
                })?;
            }
            let vi = layout.values[4];
            let vcol = layout.names[vi].clone();
            if values[4].is_empty() {
                return Err(bad(Some(vi), Problem::Missing { column: vcol }));
            }
            let volume = parse_volume(values[4], false).map_err(|e| {
                let (column, value) = (vcol.clone(), values[4].to_string());
                bad(Some(vi), e.problem(column, value))
            })?;
            if let Some(sc) = layout.symbol_column {
                let s = crate::load::files::canonical_symbol(field(sc)?);
                match &*row_symbol {
                    Some(first) if *first != s => {
                        return Err(bad(
                            Some(sc),
                            Problem::OtherSymbol {
                                column: layout.names[sc].clone(),
                                value: s,
                                symbol: first.clone(),
                            },
                        ));
                    }
                    Some(_) => {}
                    None => *row_symbol = Some(s),
                }
            }
            let (ts, local) = to_utc(zone, day_offset, stamp).map_err(|reason| {
                bad(
                    Some(t),
                    Problem::LocalTime {
                        column: layout.names[t].clone(),
                        value: shown(),
                        reason,
                    },
                )
            })?;
            let [open, high, low, close] = prices;
            let suspicious = suspicion(open, high, low, close);
            if let (Some(what), true) = (&suspicious, strict) {
                return Err(bad(None, Problem::Suspicious { what: what.clone() }));
            }
            let of_day = i64::from(local.num_seconds_from_midnight()) * MICROS
                + i64::from(local.nanosecond() / 1000);
            Ok(Pending::Bar {
                line,
                bar: Bar {
                    ts,
                    open,
                    high,
                    low,
                    close,
                    volume,
                },
                of_day,
                day: local.date(),
                warned: suspicious.is_some(),
                texts: None,
            })
        })();
        parsed.unwrap_or_else(Pending::Bad)
    }
}

/// The resolution of same-day gaps (microseconds → how often): the greatest common divisor of
/// the regular gaps, those that make up at least 5% of all (and twice at least), else of
/// every gap. Not the most common gap: an illiquid one-minute file trades every 2 to 7
/// minutes, and a 15-minute file with missing bars has gaps of 30 and 45 minutes too. A
/// stray bar off the grid makes gaps of its own too rare to count; the grid then refuses it.
pub(super) fn regular_resolution(gaps: &HashMap<i64, usize>) -> Option<i64> {
    let total: usize = gaps.values().sum();
    let floor = (total / 20).max(2);
    let regular = gaps.iter().filter(|(_, n)| **n >= floor).map(|(g, _)| *g);
    let all = gaps.keys().copied();
    regular.reduce(gcd).or_else(|| all.reduce(gcd))
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

/// What is suspicious about a bar (as for daily rows), None when nothing is.
pub(super) fn suspicion(open: f64, high: f64, low: f64, close: f64) -> Option<String> {
    if open <= 0.0 || high <= 0.0 || low <= 0.0 || close <= 0.0 {
        Some("a price is 0 or below".into())
    } else if high < low {
        Some("high is below low".into())
    } else if open < low || open > high || close < low || close > high {
        Some("open or close outside [low, high]".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
