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
use crate::load::values::{BadRow, Problem, parse_date};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

mod fields;
mod json;
pub mod vendor;
use fields::{
    Field, FieldError, date, missing, names, price, shares, text_value, trim_field, whole,
};
use json::{JsonRecord, need, scalar};
use std::path::Path;
use std::sync::Arc;

/// The shape of an event file.
#[derive(Debug, Clone)]
pub enum Shape {
    /// Positional CSV with the arrival time second and the record type third.
    SparkCsv,
    /// One JSON object per line.
    JsonLines,
    /// The record type second, no arrival time (the sectioned course sample).
    Sectioned,
    /// A vendor's full-market day file (Polygon, Databento, TAQ), with a header line.
    Vendor(Arc<vendor::Layout>),
}

impl PartialEq for Shape {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Shape::Vendor(a), Shape::Vendor(b)) => a.feed == b.feed,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Shape {
    /// How `--dry-run` and the summary name the shape.
    pub fn label(&self) -> &'static str {
        match self {
            Shape::Vendor(layout) => layout.label(),
            Shape::SparkCsv => "exchange events, CSV (T/Q records)",
            Shape::JsonLines => "exchange events, JSON lines",
            Shape::Sectioned => "exchange events, sectioned sample (#Trade:/#Quote:)",
        }
    }

    /// The columns of each record type, for `--dry-run`.
    pub fn columns(&self) -> String {
        match self {
            Shape::Vendor(layout) => return layout.columns(),
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
        .into()
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
        /// None: a quote without a bid (Databento's null price).
        bid_pr: Option<f64>,
        bid_size: i64,
        ask_pr: Option<f64>,
        ask_size: i64,
    },
}

/// The fields of a vendor's file beyond the course's columns (migration V29); None where the
/// layout has no such field (unknown).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VendorFields {
    /// `polygon`, `databento` or `taq`.
    pub source: &'static str,
    /// The vendor's condition codes, comma-separated; empty for none.
    pub conditions: Option<String>,
    pub correction: Option<i16>,
    pub tape: Option<String>,
    /// Empty: not reported through a TRF.
    pub trf_id: Option<String>,
    pub trf_ns: Option<i64>,
    pub participant_ns: Option<i64>,
    pub bid_exchange: Option<String>,
    pub ask_exchange: Option<String>,
}

/// One trade or quote record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// 1-based line of the record.
    pub line: u64,
    pub trade_dt: NaiveDate,
    pub symbol: String,
    pub exchange: String,
    /// UTC microseconds: `event_ns` cut to the microsecond.
    pub event_tm: i64,
    /// Nanoseconds since the epoch, as the file gives the time.
    pub event_ns: i64,
    pub event_seq_nb: i64,
    /// UTC microseconds; None when the file gives no arrival time.
    pub arrival_tm: Option<i64>,
    pub values: Values,
    /// A vendor file's own fields; None for the course's layouts.
    pub vendor: Option<VendorFields>,
}

/// One item read from an event file.
#[derive(Debug)]
pub enum Item {
    Event(Box<Event>),
    Bad(BadRow),
}

/// The shape of a file from its first lines (and its name, for TAQ's date); None when they
/// are not an event file's.
pub fn sniff(head: &[u8], path: Option<&Path>) -> Option<Shape> {
    if let Some(layout) = vendor::sniff(head, path) {
        return Some(Shape::Vendor(Arc::new(layout)));
    }
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
    /// A vendor record's fields (byte ranges), reused from record to record.
    fields: Vec<(usize, usize)>,
    new_york: vendor::NewYork,
    /// A TAQ file's trailer: its line and the record count it gives.
    trailer: Option<(u64, u64)>,
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
            fields: Vec::with_capacity(32),
            new_york: vendor::NewYork::new(zone),
            trailer: None,
        }
    }

    /// The next record or bad row; None at the end of the file.
    pub fn next_item(&mut self) -> std::io::Result<Option<Item>> {
        loop {
            self.buf.clear();
            if self.input.read_until(b'\n', &mut self.buf)? == 0 {
                self.check_trailer()?;
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

    /// At the end of a TAQ file: its `END` trailer must be there and count its records (a cut
    /// download has none; a file cut and re-joined counts otherwise).
    fn check_trailer(&self) -> std::io::Result<()> {
        let Shape::Vendor(layout) = &self.shape else {
            return Ok(());
        };
        if !layout.has_trailer() {
            return Ok(());
        }
        match self.trailer {
            None => Err(std::io::Error::other(format!(
                "line {}: the file ends without TAQ's END trailer: a cut download?",
                self.line
            ))),
            Some((line, count)) if count != self.rows => Err(std::io::Error::other(format!(
                "line {line}: the END trailer counts {count} records but the file has {}",
                self.rows
            ))),
            Some(_) => Ok(()),
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
            if let Shape::Vendor(layout) = &self.shape {
                // The header line, and TAQ's trailer: not records.
                if line == 1 || bytes.is_empty() {
                    return None;
                }
                if layout.has_trailer()
                    && let Some(count) = std::str::from_utf8(bytes)
                        .ok()
                        .and_then(|t| layout.trailer(t))
                {
                    return match count {
                        Ok(count) => {
                            self.trailer = Some((line, count));
                            None
                        }
                        Err(message) => Some(Item::Bad(BadRow {
                            line,
                            column: None,
                            problem: Problem::Invalid {
                                column: "END".into(),
                                value: String::from_utf8_lossy(bytes).into_owned(),
                                reason: message,
                            },
                            text: String::from_utf8_lossy(bytes).into_owned(),
                        })),
                    };
                }
            } else if bytes.is_empty() || bytes[0] == b'#' || is_column_line(bytes) {
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
            let parsed = match &self.shape {
                Shape::JsonLines => self.json(text),
                Shape::SparkCsv | Shape::Sectioned => self.csv(text),
                Shape::Vendor(layout) => layout.record(text, &mut self.fields, &mut self.new_york),
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
        let spark = matches!(self.shape, Shape::SparkCsv);
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
                bid_pr: Some(price(field(values_at))?),
                bid_size: shares(field(values_at + 1))?,
                ask_pr: Some(price(field(values_at + 2))?),
                ask_size: shares(field(values_at + 3))?,
            }
        };
        Ok(Event {
            line: 0,
            trade_dt,
            symbol,
            exchange,
            event_tm,
            event_ns: event_tm * 1000,
            event_seq_nb,
            arrival_tm,
            values,
            vendor: None,
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
                bid_pr: Some(price((None, "bid_pr", &need("bid_pr", record.bid_pr)?))?),
                bid_size: shares((None, "bid_size", &need("bid_size", record.bid_size)?))?,
                ask_pr: Some(price((None, "ask_pr", &need("ask_pr", record.ask_pr)?))?),
                ask_size: shares((None, "ask_size", &need("ask_size", record.ask_size)?))?,
            }
        };
        Ok(Event {
            line: 0,
            trade_dt,
            symbol,
            exchange,
            event_tm,
            event_ns: event_tm * 1000,
            event_seq_nb,
            arrival_tm: arrival,
            values,
            vendor: None,
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

#[cfg(test)]
mod tests;
