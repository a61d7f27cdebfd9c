//! Trade and quote event files: recognising their shape and reading their records.
//!
//! Three shapes, told from the first record:
//! - Spark CSV, no header, positional by record type (the exchange files of the capstone):
//!   `trade_dt,arrival_tm,T,symbol,event_tm,event_seq_nb,exchange,trade_pr,trade_size` and
//!   `trade_dt,arrival_tm,Q,symbol,event_tm,event_seq_nb,exchange,bid_pr,bid_size,ask_pr,ask_size`;
//! - JSON lines with `event_type` T or Q (`file_tm` is the arrival time);
//! - the course's sectioned sample: `#Trade:` / `#Quote:` sections with `#` column lines and
//!   blank lines, records without an arrival time and with the record type second:
//!   `trade_dt,T,symbol,execution_id,event_tm,event_seq_nb,exchange,trade_pr,trade_size` and
//!   `trade_dt,Q,symbol,event_tm,event_seq_nb,exchange,bid_pr,bid_size,ask_pr,ask_size`.
//!
//! Lines that are blank or start with `#` are not records. Every other line is a record or a
//! bad row (file, line, column and reason).

use crate::load::files::canonical_symbol;
use crate::load::stamps::{Stamp, parse_stamp, to_utc};
use crate::load::values::{BadRow, Problem, VolumeError, parse_date, parse_price, parse_volume};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

mod json;
use json::{JsonRecord, need, scalar};

/// The shape of an event file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Positional CSV with the arrival time second and the record type third.
    SparkCsv,
    /// One JSON object per line.
    JsonLines,
    /// The record type second, no arrival time (the sectioned course sample).
    Sectioned,
}

impl Shape {
    /// How `--dry-run` and the summary name the shape.
    pub fn label(self) -> &'static str {
        match self {
            Shape::SparkCsv => "exchange events, CSV (T/Q records)",
            Shape::JsonLines => "exchange events, JSON lines",
            Shape::Sectioned => "exchange events, sectioned sample (#Trade:/#Quote:)",
        }
    }

    /// The columns of each record type, for `--dry-run`.
    pub fn columns(self) -> &'static str {
        match self {
            Shape::SparkCsv => {
                "T: trade_dt,arrival_tm,rec_type,symbol,event_tm,event_seq_nb,exchange,trade_pr,trade_size; Q: …,exchange,bid_pr,bid_size,ask_pr,ask_size"
            }
            Shape::JsonLines => {
                "trade_dt,file_tm,event_type,symbol,event_tm,event_seq_nb,exchange + T: execution_id,price,size; Q: bid_pr,bid_size,ask_pr,ask_size"
            }
            Shape::Sectioned => {
                "T: trade_dt,rec_type,symbol,execution_id,event_tm,event_seq_nb,exchange,trade_pr,trade_size; Q: trade_dt,rec_type,symbol,event_tm,event_seq_nb,exchange,bid_pr,bid_size,ask_pr,ask_size"
            }
        }
    }
}

/// The values a record type carries beyond the key.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Trade {
        execution_id: Option<String>,
        price: f64,
        size: i64,
    },
    Quote {
        bid_pr: f64,
        bid_size: i64,
        ask_pr: f64,
        ask_size: i64,
    },
}

/// One trade or quote record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// 1-based line of the record.
    pub line: u64,
    pub trade_dt: NaiveDate,
    pub symbol: String,
    pub exchange: String,
    /// UTC microseconds.
    pub event_tm: i64,
    pub event_seq_nb: i64,
    /// UTC microseconds; None when the file gives no arrival time.
    pub arrival_tm: Option<i64>,
    pub values: Values,
}

/// One item read from an event file.
#[derive(Debug)]
pub enum Item {
    Event(Box<Event>),
    Bad(BadRow),
}

/// The shape of a file from its first lines; None when they are not an event file's.
pub fn sniff(head: &[u8]) -> Option<Shape> {
    let text = String::from_utf8_lossy(head);
    let mut sectioned = false;
    for line in text.lines().take(64) {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let c = comment.trim().to_ascii_lowercase();
            sectioned |= c == "trade:" || c == "quote:";
            continue;
        }
        if is_column_line(line.as_bytes()) {
            continue;
        }
        if line.starts_with('{') {
            let object: Map<String, Value> = serde_json::from_str(line).ok()?;
            return object
                .contains_key("event_type")
                .then_some(Shape::JsonLines);
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let is_type = |i: usize| fields.get(i).is_some_and(|f| matches!(*f, "T" | "Q"));
        let is_date = fields
            .first()
            .is_some_and(|f| parse_date(f, None).is_some());
        if is_date && is_type(2) && fields.get(1).and_then(|f| parse_stamp(f)).is_some() {
            return Some(Shape::SparkCsv);
        }
        if is_date && is_type(1) {
            return Some(Shape::Sectioned);
        }
        return None;
    }
    // Only comments: a sectioned file whose sections are empty is still one.
    sectioned.then_some(Shape::Sectioned)
}

/// A line of column names without the `#` (`TradeDate,RecordType,...`, `trade_dt,...`):
/// not a record. Its first field names the trade date.
fn is_column_line(line: &[u8]) -> bool {
    // Compared letter by letter, without a copy: it runs on every line.
    let first = line.split(|b| *b == b',').next().unwrap_or_default();
    let name = first
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase);
    [&b"tradedate"[..], b"tradedt"]
        .iter()
        .any(|want| name.clone().eq(want.iter().copied()))
}

/// Streams the records of an event file.
pub struct EventReader<R: Read> {
    input: BufReader<R>,
    shape: Shape,
    zone: Tz,
    /// The zone's offset on the last day seen (most days have one offset).
    day_offset: Option<(NaiveDate, i32)>,
    line: u64,
    buf: Vec<u8>,
    /// Records read (every line that is not blank or a comment).
    pub rows: u64,
    /// Fields that repeat from record to record, parsed once a run.
    repeats: Repeats,
}

/// The last trade date, arrival time, symbol and exchange read, with their text: a file's
/// records share its arrival time and come in runs of one trade date, symbol and exchange,
/// so a field whose text is the last one's takes the last one's value instead of being parsed
/// again (the parse is most of an unchanged re-load's client time).
#[derive(Default)]
struct Repeats {
    trade_dt: Last<NaiveDate>,
    arrival_tm: Last<i64>,
    symbol: Last<String>,
    exchange: Last<String>,
}

/// One field's last text and the value it parsed to.
struct Last<T> {
    text: String,
    value: Option<T>,
}

impl<T> Default for Last<T> {
    fn default() -> Self {
        Last {
            text: String::new(),
            value: None,
        }
    }
}

impl Last<String> {
    /// A symbol or exchange, as [`text_value`] reads it.
    fn text(&mut self, (column, name, value): Field) -> Result<String, FieldError> {
        self.get(value, |value| text_value((column, name, value)))
    }

    /// A symbol, in the form every kind stores ([`canonical_symbol`]).
    fn symbol(&mut self, (column, name, value): Field) -> Result<String, FieldError> {
        self.get(value, |value| {
            text_value((column, name, value)).map(|s| canonical_symbol(&s))
        })
    }
}

impl<T: Clone> Last<T> {
    /// The value of `text`: the last one's when the text is the same, else `parse`'s (kept
    /// when it parsed; an error is parsed again next time, to say the same).
    fn get<E>(&mut self, text: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<T, E> {
        if let Some(value) = &self.value
            && self.text == text
        {
            return Ok(value.clone());
        }
        let value = parse(text)?;
        self.text.clear();
        self.text.push_str(text);
        self.value = Some(value.clone());
        Ok(value)
    }
}

impl<R: Read> EventReader<R> {
    pub fn new(input: R, shape: Shape, zone: Tz) -> Self {
        EventReader {
            input: BufReader::with_capacity(256 * 1024, input),
            shape,
            zone,
            day_offset: None,
            line: 0,
            buf: Vec::with_capacity(256),
            rows: 0,
            repeats: Repeats::default(),
        }
    }

    /// The next record or bad row; None at the end of the file.
    pub fn next_item(&mut self) -> std::io::Result<Option<Item>> {
        loop {
            self.buf.clear();
            if self.input.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            let line = self.line;
            // Taken out while the record is parsed (parsing needs `self`), put back after.
            let owned = std::mem::take(&mut self.buf);
            let item = self.record(line, &owned);
            self.buf = owned;
            if let Some(item) = item {
                return Ok(Some(item));
            }
        }
    }

    /// The record on one line, None for a blank or comment line.
    fn record(&mut self, line: u64, raw: &[u8]) -> Option<Item> {
        {
            let mut bytes: &[u8] = raw;
            if line == 1 {
                bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            }
            let bytes = bytes.trim_ascii();
            if bytes.is_empty() || bytes[0] == b'#' || is_column_line(bytes) {
                return None;
            }
            self.rows += 1;
            let Ok(text) = std::str::from_utf8(bytes) else {
                return Some(Item::Bad(BadRow {
                    line,
                    column: None,
                    problem: Problem::NotUtf8 {
                        column: "record".into(),
                    },
                    text: String::from_utf8_lossy(bytes).into_owned(),
                }));
            };
            let parsed = match self.shape {
                Shape::JsonLines => self.json(text),
                Shape::SparkCsv | Shape::Sectioned => self.csv(text),
            };
            Some(match parsed {
                Ok(mut event) => {
                    event.line = line;
                    Item::Event(Box::new(event))
                }
                Err((column, problem)) => Item::Bad(BadRow {
                    line,
                    column,
                    problem,
                    text: text.to_string(),
                }),
            })
        }
    }

    fn csv(&mut self, text: &str) -> Result<Event, (Option<usize>, Problem)> {
        // Into an array, not a Vec: this runs for every record. No record type has more than
        // 11 fields; `n` counts them all.
        let mut fields = [""; 11];
        let mut n = 0;
        let mut start = 0;
        // Split at the commas by hand: `str::split` and `trim` cost a tenth of the parse.
        for (at, byte) in text.bytes().enumerate().chain([(text.len(), b',')]) {
            if byte == b',' {
                if let Some(slot) = fields.get_mut(n) {
                    *slot = trim_field(&text[start..at]);
                }
                n += 1;
                start = at + 1;
            }
        }
        let f = &fields[..n.min(fields.len())];
        let spark = self.shape == Shape::SparkCsv;
        let type_at = if spark { 2 } else { 1 };
        let rec_type = f.get(type_at).copied().unwrap_or("");
        // Where each field is, by shape and record type (None: the shape has no such field).
        let (width, arrival, symbol, execution, event, values_at) = match (spark, rec_type) {
            (true, "T") => (9, Some(1), 3, None, 4, 7),
            (true, "Q") => (11, Some(1), 3, None, 4, 7),
            (false, "T") => (9, None, 2, Some(3), 4, 7),
            (false, "Q") => (10, None, 2, None, 3, 6),
            _ => {
                return Err((
                    Some(type_at + 1),
                    Problem::RecordType {
                        value: rec_type.to_string(),
                    },
                ));
            }
        };
        if n != width {
            return Err((
                None,
                Problem::RecordFields {
                    rec_type: rec_type.to_string(),
                    expected: width,
                    found: n,
                },
            ));
        }
        let field = |i: usize| (Some(i + 1), names(spark, rec_type)[i], f[i]);
        let trade_dt = self.trade_dt(field(0))?;
        let arrival_tm = match arrival {
            Some(i) => Some(self.arrival_tm(field(i))?),
            None => None,
        };
        let symbol = self.repeats.symbol.symbol(field(symbol))?;
        let event_tm = self.time(field(event))?;
        let event_seq_nb = whole(field(event + 1))?;
        let exchange = self.repeats.exchange.text(field(event + 2))?;
        let values = if rec_type == "T" {
            Values::Trade {
                execution_id: execution
                    .map(|i| f[i].to_string())
                    .filter(|s| !s.is_empty()),
                price: price(field(values_at))?,
                size: shares(field(values_at + 1))?,
            }
        } else {
            Values::Quote {
                bid_pr: price(field(values_at))?,
                bid_size: shares(field(values_at + 1))?,
                ask_pr: price(field(values_at + 2))?,
                ask_size: shares(field(values_at + 3))?,
            }
        };
        Ok(Event {
            line: 0,
            trade_dt,
            symbol,
            exchange,
            event_tm,
            event_seq_nb,
            arrival_tm,
            values,
        })
    }

    fn json(&mut self, text: &str) -> Result<Event, (Option<usize>, Problem)> {
        let record: JsonRecord = serde_json::from_str(text).map_err(|e| {
            (
                None,
                Problem::Json {
                    message: e.to_string(),
                },
            )
        })?;
        let rec_type = need("event_type", record.event_type)?;
        if rec_type != "T" && rec_type != "Q" {
            return Err((
                None,
                Problem::RecordType {
                    value: rec_type.into_owned(),
                },
            ));
        }
        let trade_dt = self.trade_dt((None, "trade_dt", &need("trade_dt", record.trade_dt)?))?;
        let (key, raw) = match record.file_tm {
            Some(raw) => ("file_tm", Some(raw)),
            None => ("arrival_tm", record.arrival_tm),
        };
        let arrival = match scalar(key, raw)? {
            Some(value) => Some(self.arrival_tm((None, key, &value))?),
            None => None,
        };
        let symbol =
            self.repeats
                .symbol
                .symbol((None, "symbol", &need("symbol", record.symbol)?))?;
        let event_tm = self.time((None, "event_tm", &need("event_tm", record.event_tm)?))?;
        let event_seq_nb = whole((
            None,
            "event_seq_nb",
            &need("event_seq_nb", record.event_seq_nb)?,
        ))?;
        let exchange =
            self.repeats
                .exchange
                .text((None, "exchange", &need("exchange", record.exchange)?))?;
        let values = if rec_type == "T" {
            Values::Trade {
                execution_id: scalar("execution_id", record.execution_id)
                    .ok()
                    .flatten()
                    .filter(|s| !s.is_empty())
                    .map(Cow::into_owned),
                price: price((None, "price", &need("price", record.price)?))?,
                size: shares((None, "size", &need("size", record.size)?))?,
            }
        } else {
            Values::Quote {
                bid_pr: price((None, "bid_pr", &need("bid_pr", record.bid_pr)?))?,
                bid_size: shares((None, "bid_size", &need("bid_size", record.bid_size)?))?,
                ask_pr: price((None, "ask_pr", &need("ask_pr", record.ask_pr)?))?,
                ask_size: shares((None, "ask_size", &need("ask_size", record.ask_size)?))?,
            }
        };
        Ok(Event {
            line: 0,
            trade_dt,
            symbol,
            exchange,
            event_tm,
            event_seq_nb,
            arrival_tm: arrival,
            values,
        })
    }

    /// The trade date, as [`date`] reads it ([`Repeats`]).
    fn trade_dt(&mut self, (column, name, value): Field) -> Result<NaiveDate, FieldError> {
        self.repeats
            .trade_dt
            .get(value, |value| date((column, name, value)))
    }

    /// The arrival time, as [`Self::time`] reads it ([`Repeats`]).
    fn arrival_tm(&mut self, (column, name, value): Field) -> Result<i64, FieldError> {
        let mut last = std::mem::take(&mut self.repeats.arrival_tm);
        let utc = last.get(value, |value| self.time((column, name, value)));
        self.repeats.arrival_tm = last;
        utc
    }

    /// A timestamp in UTC microseconds; naive times are in the exchange's zone.
    fn time(&mut self, (column, name, value): Field) -> Result<i64, (Option<usize>, Problem)> {
        let stamp: Stamp = parse_stamp(value).ok_or_else(|| {
            (
                column,
                Problem::LocalTime {
                    column: name.into(),
                    value: value.into(),
                    reason: "is not a valid time (expected e.g. 2020-08-05 09:34:51.505)".into(),
                },
            )
        })?;
        let (utc, _): (i64, NaiveDateTime) = to_utc(self.zone, &mut self.day_offset, stamp)
            .map_err(|reason| {
                (
                    column,
                    Problem::LocalTime {
                        column: name.into(),
                        value: value.into(),
                        reason,
                    },
                )
            })?;
        Ok(utc)
    }
}

/// A field: its 1-based column (None in JSON), its name and its text.
type Field<'a> = (Option<usize>, &'a str, &'a str);

/// Why a field is not a value: its 1-based column (None in JSON) and the problem.
type FieldError = (Option<usize>, Problem);

/// A CSV field without the whitespace around it (`str::trim`, with ASCII's checked first).
fn trim_field(field: &str) -> &str {
    let trimmed = field.trim_ascii();
    let ascii_ends = trimmed.as_bytes().first().is_none_or(u8::is_ascii)
        && trimmed.as_bytes().last().is_none_or(u8::is_ascii);
    if ascii_ends { trimmed } else { trimmed.trim() }
}

/// The field names of a CSV record, by shape and record type.
fn names(spark: bool, rec_type: &str) -> &'static [&'static str] {
    match (spark, rec_type) {
        (true, "T") => &[
            "trade_dt",
            "arrival_tm",
            "rec_type",
            "symbol",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "trade_pr",
            "trade_size",
        ],
        (true, _) => &[
            "trade_dt",
            "arrival_tm",
            "rec_type",
            "symbol",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "bid_pr",
            "bid_size",
            "ask_pr",
            "ask_size",
        ],
        (false, "T") => &[
            "trade_dt",
            "rec_type",
            "symbol",
            "execution_id",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "trade_pr",
            "trade_size",
        ],
        (false, _) => &[
            "trade_dt",
            "rec_type",
            "symbol",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "bid_pr",
            "bid_size",
            "ask_pr",
            "ask_size",
        ],
    }
}

fn missing(column: Option<usize>, name: &str) -> (Option<usize>, Problem) {
    (
        column,
        Problem::Missing {
            column: name.into(),
        },
    )
}

fn date((column, name, value): Field) -> Result<NaiveDate, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    parse_date(value, None).ok_or_else(|| {
        (
            column,
            Problem::NotADate {
                column: name.into(),
                value: value.into(),
                expected: "YYYY-MM-DD".into(),
            },
        )
    })
}

/// A symbol or exchange: not empty, stored as written (upper case).
fn text_value((column, name, value): Field) -> Result<String, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    // `to_uppercase` maps each char through Unicode's tables; symbols are mostly ASCII.
    Ok(match value.is_ascii() {
        true => value.to_ascii_uppercase(),
        false => value.to_uppercase(),
    })
}

fn price((column, name, value): Field) -> Result<f64, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    parse_price(value).ok_or_else(|| {
        (
            column,
            Problem::NotANumber {
                column: name.into(),
                value: value.into(),
            },
        )
    })
}

/// A sequence number: a whole number of 0 or more.
fn whole((column, name, value): Field) -> Result<i64, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            (
                column,
                Problem::NotShares {
                    column: name.into(),
                    value: value.into(),
                },
            )
        })
}

/// A size in shares: a whole number of 0 or more (`100.0` is accepted).
fn shares((column, name, value): Field) -> Result<i64, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    match parse_volume(value, false) {
        Ok(v) => Ok(v),
        Err(VolumeError::NotANumber) => Err((
            column,
            Problem::NotANumber {
                column: name.into(),
                value: value.into(),
            },
        )),
        Err(_) => Err((
            column,
            Problem::NotShares {
                column: name.into(),
                value: value.into(),
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::stamps::DEFAULT_ZONE;

    fn read(text: &str) -> (Shape, Vec<Item>, u64) {
        let shape = sniff(text.as_bytes()).expect("an event file");
        let mut r = EventReader::new(text.as_bytes(), shape, DEFAULT_ZONE);
        let mut items = Vec::new();
        while let Some(item) = r.next_item().unwrap() {
            items.push(item);
        }
        (shape, items, r.rows)
    }

    fn event(item: &Item) -> &Event {
        match item {
            Item::Event(e) => e,
            Item::Bad(b) => panic!("bad row: {b}"),
        }
    }

    fn bad(item: &Item) -> String {
        match item {
            Item::Bad(b) => b.to_string(),
            Item::Event(e) => panic!("accepted: {e:?}"),
        }
    }

    #[test]
    fn spark_csv_records() {
        let (shape, items, rows) = read(
            "2020-08-05,2020-08-05 09:30:00.0,Q,SYMA,2020-08-05 09:34:51.505,1,NYSE,75.30254839137037,100,75.35916738004924,100\n\
             2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19488165597565,912\n",
        );
        assert_eq!(shape, Shape::SparkCsv);
        assert_eq!(rows, 2);
        let q = event(&items[0]);
        assert_eq!(q.symbol, "SYMA");
        assert_eq!(q.exchange, "NYSE");
        assert_eq!(q.event_seq_nb, 1);
        // 09:34:51.505 EDT is 13:34:51.505 UTC.
        let expected = chrono::NaiveDate::from_ymd_opt(2020, 8, 5)
            .unwrap()
            .and_hms_milli_opt(13, 34, 51, 505)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        assert_eq!(q.event_tm, expected);
        assert_eq!(
            q.values,
            Values::Quote {
                bid_pr: 75.30254839137037,
                bid_size: 100,
                ask_pr: 75.35916738004924,
                ask_size: 100
            }
        );
        let t = event(&items[1]);
        assert_eq!(t.line, 2);
        assert!(matches!(t.values, Values::Trade { size: 912, .. }));
        assert!(t.arrival_tm.is_some());
    }

    #[test]
    fn a_repeated_field_reads_as_the_last_one_and_a_changed_one_again() {
        let (_, items, _) = read(
            "2020-08-05,2020-08-05 09:30:00.0,Q,syma,2020-08-05 09:34:51.505,1,NYSE,75.3,100,75.4,100\n\
             2020-08-05,2020-08-05 09:30:00.0,Q,syma,2020-08-05 09:34:52.000,2,NYSE,75.3,100,75.4,100\n\
             2020-08-06,2020-08-06 09:30:00.0,Q,SYMB,2020-08-06 09:34:51.505,1,ARCA,75.3,100,75.4,100\n\
             2020-08-06,2020-08-06 25:30:00.0,Q,SYMB,2020-08-06 09:34:52.505,2,ARCA,75.3,100,75.4,100\n\
             2020-08-06,2020-08-06 25:30:00.0,Q,SYMB,2020-08-06 09:34:53.505,3,ARCA,75.3,100,75.4,100\n\
             2020-08-32,2020-08-06 09:30:00.0,Q,SYMB,2020-08-06 09:34:54.505,4,ARCA,75.3,100,75.4,100\n\
             2020-08-06, 2020-08-06 09:30:00.0 ,Q,\u{a0}SYMB ,2020-08-06 09:34:55.505,5,ARCA,75.3,100,75.4,100\n",
        );
        let micros = |d: u32, h: u32| {
            chrono::NaiveDate::from_ymd_opt(2020, 8, d)
                .unwrap()
                .and_hms_opt(h, 30, 0)
                .unwrap()
                .and_utc()
                .timestamp_micros()
        };
        let (first, second, other) = (event(&items[0]), event(&items[1]), event(&items[2]));
        assert_eq!(second.symbol, "SYMA");
        assert_eq!(second.trade_dt, first.trade_dt);
        assert_eq!(second.arrival_tm, Some(micros(5, 13)));
        assert_eq!(other.symbol, "SYMB");
        assert_eq!(other.exchange, "ARCA");
        assert_eq!(other.trade_dt.to_string(), "2020-08-06");
        assert_eq!(other.arrival_tm, Some(micros(6, 13)));
        // A bad value is refused every time it comes, not only the first.
        assert!(
            bad(&items[3]).starts_with("4:2: arrival_tm"),
            "{}",
            bad(&items[3])
        );
        assert!(
            bad(&items[4]).starts_with("5:2: arrival_tm"),
            "{}",
            bad(&items[4])
        );
        assert!(
            bad(&items[5]).starts_with("6:1: trade_dt"),
            "{}",
            bad(&items[5])
        );
        // Whitespace around a field is not part of it, Unicode's too.
        let spaced = event(&items[6]);
        assert_eq!(spaced.symbol, "SYMB");
        assert_eq!(spaced.arrival_tm, Some(micros(6, 13)));
    }

    #[test]
    fn json_records() {
        let (shape, items, _) = read(
            r#"{"trade_dt":"2020-08-05","file_tm":"2020-08-05 09:30:00.000","event_type":"T","symbol":"SYMA","execution_id":"EX-10","event_tm":"2020-08-05 10:38:50.046","event_seq_nb":10,"exchange":"NASDAQ","price":77.77570455205036,"size":509}"#,
        );
        assert_eq!(shape, Shape::JsonLines);
        let t = event(&items[0]);
        assert_eq!(
            t.values,
            Values::Trade {
                execution_id: Some("EX-10".into()),
                price: 77.77570455205036,
                size: 509
            }
        );
    }

    #[test]
    fn sectioned_sample() {
        let (shape, items, rows) = read(
            "#Trade:\n#TradeDate,RecordType,Symbol,ExecutionID,EventTime,EventSeqNum,Exchange,TradePrice,TradeSize\n\
             2020-01-01,T,Symbol1,1,2020-01-01 10:15,1,Exchange1, 59.970001,12\n\n\n\
             #Quote:\n#TradeDate,RecordType,Symbol,EventTime,EventSeqNum,Exchange,BidPrice,BidSize,AskPrice,AskSize\n\
             2020-01-01,Q,Symbol1,2020-01-01 10:16,4,Exchange1, 61,1301, 62, 17\n",
        );
        assert_eq!(shape, Shape::Sectioned);
        assert_eq!(rows, 2);
        let t = event(&items[0]);
        assert_eq!(t.line, 3);
        assert_eq!(t.symbol, "SYMBOL1");
        assert_eq!(t.arrival_tm, None);
        assert!(matches!(&t.values, Values::Trade { execution_id: Some(id), .. } if id == "1"));
        assert_eq!(event(&items[1]).line, 8);
        // Column lines without the `#` are not records either.
        let (_, items, rows) = read(
            "TradeDate,RecordType,Symbol,ExecutionID,EventTime,EventSeqNum,Exchange,TradePrice,TradeSize\n\
             2020-01-01,T,Symbol1,1,2020-01-01 10:15,1,Exchange1,59.97,12\n",
        );
        assert_eq!((rows, items.len()), (1, 1));
        assert_eq!(event(&items[0]).line, 2);
    }

    #[test]
    fn bad_records_say_where_and_why() {
        let (_, items, rows) = read(
            "2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19,912\n\
             2020-08-05,2020-08-05 09:30:00.0,X,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19,912\n\
             2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19\n\
             2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,abc,912\n\
             2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 25:37,10,NYSE,79.19,912\n\
             2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19,9.5\n\
             2020-08-05,2020-08-05 09:30:00.0,T,,2020-08-05 10:37:21.581,10,NYSE,79.19,9\n",
        );
        assert_eq!(rows, 7);
        assert_eq!(
            bad(&items[1]),
            "2:3: unknown record type \"X\" (expected T or Q)"
        );
        assert_eq!(
            bad(&items[2]),
            "3: a T record has 9 fields in this file's layout, found 8"
        );
        assert_eq!(
            bad(&items[3]),
            "4:8: trade_pr: \"abc\" is not a finite number"
        );
        assert!(bad(&items[4]).starts_with("5:5: event_tm: \"2020-08-05 25:37\""));
        assert_eq!(
            bad(&items[5]),
            "6:9: trade_size: \"9.5\" is not a whole number of 0 or more"
        );
        assert_eq!(bad(&items[6]), "7:4: symbol: missing value");
    }

    /// The JSON reader takes each field's raw text: strings with escapes, numbers written as
    /// strings, null, other keys and nested values read as the map-based reader read them.
    #[test]
    fn json_values_in_every_spelling() {
        let (_, items, _) = read(
            "{\"trade_dt\":\"2020-08-05\",\"arrival_tm\":null,\"event_type\":\"Q\",\"symbol\":\" S\\u0059MA \",\"event_tm\":\"2020-08-05 09:36:55.5\",\"event_seq_nb\":\"7\",\"exchange\":\"NASDAQ\",\"venue\":{\"id\":[1,2]},\"bid_pr\":\"76.1\",\"bid_size\":100,\"ask_pr\":77.9,\"ask_size\":1e2}\n\
             {\"trade_dt\":\"2020-08-05\",\"event_type\":\"T\",\"symbol\":\"SYMA\",\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"price\":true,\"size\":100}\n\
             {\"trade_dt\":\"2020-08-05\",\"event_type\":\"T\",\"symbol\":\"SYMA\",\"execution_id\":null,\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"price\":null,\"size\":100}\n",
        );
        let q = event(&items[0]);
        assert_eq!(q.symbol, "SYMA");
        assert_eq!(q.event_seq_nb, 7);
        assert_eq!(q.arrival_tm, None);
        assert_eq!(q.event_tm % 1_000_000, 500_000);
        assert_eq!(
            q.values,
            Values::Quote {
                bid_pr: 76.1,
                bid_size: 100,
                ask_pr: 77.9,
                ask_size: 100
            }
        );
        assert_eq!(bad(&items[1]), "2: price: \"true\" is not a finite number");
        assert_eq!(bad(&items[2]), "3: price: missing value");
    }

    #[test]
    fn bad_json_lines() {
        let (_, items, _) = read(
            "{\"trade_dt\":\"2020-08-05\",\"file_tm\":\"2020-08-05 09:30:00.000\",\"event_type\":\"Q\",\"symbol\":\"SYMA\",\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"bid_pr\":76.1,\"bid_size\":100,\"ask_pr\":77.9,\"ask_size\":100}\n\
             {\"trade_dt\":\"2020-08-05\",\"event_type\":\"Q\"\n\
             {\"trade_dt\":\"2020-08-05\",\"file_tm\":\"2020-08-05 09:30:00.000\",\"event_type\":\"Q\",\"symbol\":\"SYMA\",\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"bid_pr\":76.1,\"bid_size\":100,\"ask_pr\":77.9}\n\
             {\"event_type\":\"B\"}\n",
        );
        assert!(bad(&items[1]).starts_with("2: not a JSON object:"));
        assert_eq!(bad(&items[2]), "3: ask_size: missing value");
        assert_eq!(
            bad(&items[3]),
            "4: unknown record type \"B\" (expected T or Q)"
        );
    }

    #[test]
    fn other_files_are_not_events() {
        assert_eq!(sniff(b"Date,Open,High,Low,Close,Volume\n"), None);
        assert_eq!(sniff(b"2020-01-02,1,2,0.5,1.5,100\n"), None);
        assert_eq!(sniff(b"{\"a\":1}\n"), None);
    }
}
