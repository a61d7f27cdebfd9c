//! Vendors' full-market trade and quote day files (issue 44), told from their header line:
//! - Polygon/Massive flat files `trades_v1` and `quotes_v1` (CSV, integer nanosecond times,
//!   condition lists quoted: `"12,37"`);
//! - Databento CSV `trades`, `tbbo` and `mbp-1`, raw (integer nanoseconds, prices in 1e-9 units,
//!   `i64::MAX` for no price) or pretty (ISO times, decimal prices), with a `symbol` column or
//!   `symbology.json` beside the file;
//! - NYSE Daily TAQ `EQY_US_ALL_TRADE_*`, `EQY_US_ALL_NBBO_*` and the `EQY_US_ALL_BBO_*` quote
//!   files: pipe-delimited, `Time` as `HHMMSSNNNNNNNNN` New York time on the date in the file
//!   name, and an `END|date|count|...` trailer as the last line.
//!
//! Each record is one [`Event`] with its time in nanoseconds (`event_ns`) as the file gives it
//! and the vendor's fields ([`VendorFields`]); the course layouts are in `parse.rs`.

use super::{Event, FieldError, Values, VendorFields, missing, price, whole};
use crate::load::files::{canonical_symbol, day_of_name};
use crate::load::intraday::market::read::nano_price;
use crate::load::intraday::vendor::Symbology;
use crate::load::values::Problem;
use chrono::NaiveDate;
use std::path::Path;

mod clock;
pub use clock::NewYork;
use clock::iso_ns;

/// Which vendor file a header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    PolygonTrades,
    PolygonQuotes,
    /// `trades`: every row a trade.
    DatabentoTrades,
    /// `tbbo` and `mbp-1`: a row of action `T` is a trade, any other the book's top after it.
    DatabentoBook,
    TaqTrades,
    /// The national best bid and offer (`Best_Bid_*`, `Best_Offer_*`).
    TaqNbbo,
    /// The exchanges' own quotes (`Bid_Price`, `Offer_Price`).
    TaqQuotes,
}

/// Where each field is in a record (None: the layout has no such column).
#[derive(Debug, Clone, Default)]
struct Cols {
    symbol: Option<usize>,
    instrument: Option<usize>,
    time: usize,
    exchange: Option<usize>,
    seq: Option<usize>,
    price: Option<usize>,
    size: Option<usize>,
    id: Option<usize>,
    conditions: Option<usize>,
    correction: Option<usize>,
    tape: Option<usize>,
    trf_id: Option<usize>,
    trf_time: Option<usize>,
    participant_time: Option<usize>,
    bid_pr: Option<usize>,
    bid_size: Option<usize>,
    ask_pr: Option<usize>,
    ask_size: Option<usize>,
    bid_exchange: Option<usize>,
    ask_exchange: Option<usize>,
    action: Option<usize>,
}

/// A vendor file's layout, from its header (and, for TAQ, its name).
#[derive(Debug, Clone)]
pub struct Layout {
    pub feed: Feed,
    cols: Cols,
    names: Vec<String>,
    delimiter: u8,
    /// Databento: integer times and 1e-9 prices (else ISO times and decimals).
    raw: bool,
    /// TAQ: the trade date, from the file name.
    day: Option<NaiveDate>,
    symbology: Option<Symbology>,
    /// Why the file cannot be read, found before its first record.
    refusal: Option<String>,
}

/// Databento's null price.
const NULL_PRICE: i64 = i64::MAX;

fn normalize(name: &str) -> String {
    name.trim()
        .trim_matches('"')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// The layout of a file whose first line is a vendor trade or quote header; None otherwise.
pub fn sniff(head: &[u8], path: Option<&Path>) -> Option<Layout> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines();
    let header = lines.next()?.trim_start_matches('\u{feff}').trim();
    let first = lines.next().unwrap_or("");
    let delimiter = if header.starts_with("Time|") || header.starts_with("time|") {
        b'|'
    } else {
        b','
    };
    let names: Vec<String> = header
        .split(delimiter as char)
        .map(|n| n.trim().to_string())
        .collect();
    let norm: Vec<String> = names.iter().map(|n| normalize(n)).collect();
    let pos = |n: &str| norm.iter().position(|x| x == n);
    let has = |n: &str| pos(n).is_some();
    let mut refusal = None;
    let (feed, cols, raw, day, symbology) = if has("ticker") && has("sip_timestamp") {
        let cols = Cols {
            symbol: pos("ticker"),
            time: pos("sip_timestamp")?,
            seq: pos("sequence_number"),
            conditions: pos("conditions"),
            tape: pos("tape"),
            participant_time: pos("participant_timestamp"),
            trf_time: pos("trf_timestamp"),
            ..Cols::default()
        };
        if has("bid_price") {
            let cols = Cols {
                bid_pr: pos("bid_price"),
                bid_size: pos("bid_size"),
                ask_pr: pos("ask_price"),
                ask_size: pos("ask_size"),
                bid_exchange: pos("bid_exchange"),
                ask_exchange: pos("ask_exchange"),
                ..cols
            };
            (Feed::PolygonQuotes, cols, true, None, None)
        } else {
            let cols = Cols {
                exchange: pos("exchange"),
                price: pos("price"),
                size: pos("size"),
                id: pos("id"),
                correction: pos("correction"),
                trf_id: pos("trf_id"),
                ..cols
            };
            (Feed::PolygonTrades, cols, true, None, None)
        }
    } else if has("ts_event") && has("action") && has("publisher_id") && has("price") {
        let time = pos("ts_event")?;
        let raw = first
            .split(',')
            .nth(time)
            .is_none_or(|t| t.bytes().all(|b| b.is_ascii_digit()));
        let cols = Cols {
            symbol: pos("symbol"),
            instrument: pos("instrument_id"),
            time,
            exchange: pos("publisher_id"),
            seq: pos("sequence"),
            price: pos("price"),
            size: pos("size"),
            action: pos("action"),
            bid_pr: pos("bid_px_00"),
            bid_size: pos("bid_sz_00"),
            ask_pr: pos("ask_px_00"),
            ask_size: pos("ask_sz_00"),
            ..Cols::default()
        };
        let feed = match cols.bid_pr {
            Some(_) => Feed::DatabentoBook,
            None => Feed::DatabentoTrades,
        };
        let mut symbology = None;
        if cols.symbol.is_none() {
            let beside = path
                .and_then(|p| p.parent())
                .map(|d| d.join("symbology.json"));
            match beside.as_deref().map(Symbology::read) {
                Some(Ok(s)) => symbology = Some(s),
                Some(Err(e)) if beside.as_deref().is_some_and(Path::exists) => refusal = Some(e),
                _ => {
                    refusal = Some(
                        "a Databento file without a symbol column needs the symbology.json of its batch download beside it (or download it with map_symbols)".into(),
                    )
                }
            }
        }
        (feed, cols, raw, None, symbology)
    } else if delimiter == b'|' && has("symbol") && has("exchange") {
        let cols = Cols {
            symbol: pos("symbol"),
            time: pos("time")?,
            exchange: pos("exchange"),
            seq: pos("sequence_number"),
            participant_time: pos("participant_timestamp"),
            ..Cols::default()
        };
        let (feed, cols) = if has("trade_price") {
            let cols = Cols {
                price: pos("trade_price"),
                size: pos("trade_volume"),
                id: pos("trade_id"),
                conditions: pos("sale_condition"),
                correction: pos("trade_correction_indicator"),
                tape: pos("source_of_trade"),
                trf_id: pos("trade_reporting_facility"),
                trf_time: pos("trade_reporting_facility_trf_timestamp")
                    .or_else(|| pos("trf_timestamp")),
                ..cols
            };
            (Feed::TaqTrades, cols)
        } else if has("best_bid_price") {
            let cols = Cols {
                bid_pr: pos("best_bid_price"),
                bid_size: pos("best_bid_size"),
                ask_pr: pos("best_offer_price"),
                ask_size: pos("best_offer_size"),
                bid_exchange: pos("best_bid_exchange"),
                ask_exchange: pos("best_offer_exchange"),
                conditions: pos("quote_condition"),
                tape: pos("source_of_quote"),
                ..cols
            };
            (Feed::TaqNbbo, cols)
        } else if has("bid_price") {
            let cols = Cols {
                bid_pr: pos("bid_price"),
                bid_size: pos("bid_size"),
                ask_pr: pos("offer_price"),
                ask_size: pos("offer_size"),
                conditions: pos("quote_condition"),
                tape: pos("source_of_quote"),
                ..cols
            };
            (Feed::TaqQuotes, cols)
        } else {
            return None;
        };
        let day = path.and_then(day_of_name);
        if day.is_none() {
            refusal = Some(
                "a TAQ file's date is in its name (EQY_US_ALL_TRADE_YYYYMMDD): this name has none"
                    .into(),
            );
        }
        (feed, cols, false, day, None)
    } else {
        return None;
    };
    Some(Layout {
        feed,
        cols,
        names,
        delimiter,
        raw,
        day,
        symbology,
        refusal,
    })
}

impl Layout {
    /// How `--dry-run` and the summary name the layout.
    pub fn label(&self) -> &'static str {
        match (self.feed, self.raw) {
            (Feed::PolygonTrades, _) => "Polygon/Massive trades_v1 (nanosecond times)",
            (Feed::PolygonQuotes, _) => "Polygon/Massive quotes_v1 (nanosecond times)",
            (Feed::DatabentoTrades, true) => "Databento trades, raw (integer ns, 1e-9 prices)",
            (Feed::DatabentoTrades, false) => "Databento trades, pretty (ISO times, decimals)",
            (Feed::DatabentoBook, true) => "Databento tbbo/mbp-1, raw (integer ns, 1e-9 prices)",
            (Feed::DatabentoBook, false) => "Databento tbbo/mbp-1, pretty (ISO times, decimals)",
            (Feed::TaqTrades, _) => "NYSE Daily TAQ trades (New York times, END trailer)",
            (Feed::TaqNbbo, _) => "NYSE Daily TAQ NBBO (New York times, END trailer)",
            (Feed::TaqQuotes, _) => "NYSE Daily TAQ quotes (New York times, END trailer)",
        }
    }

    /// The header's columns, for `--dry-run`.
    pub fn columns(&self) -> String {
        self.names
            .join(if self.delimiter == b'|' { "|" } else { "," })
    }

    /// The `source` stored with each row: which vendor fields a row can know.
    pub fn source(&self) -> &'static str {
        match self.feed {
            Feed::PolygonTrades | Feed::PolygonQuotes => "polygon",
            Feed::DatabentoTrades | Feed::DatabentoBook => "databento",
            Feed::TaqTrades | Feed::TaqNbbo | Feed::TaqQuotes => "taq",
        }
    }

    /// Why the file cannot be read at all, before its first record.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// The exchange codes of the vendor's published list (migration V29's market.exchanges).
    pub fn listed_exchanges(&self) -> &'static [&'static str] {
        match self.source() {
            "polygon" => &[
                "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
                "16", "17", "18", "19", "20", "21", "62",
            ],
            "taq" => &[
                "A", "B", "C", "D", "H", "I", "J", "K", "L", "M", "N", "P", "Q", "S", "T", "U",
                "V", "W", "X", "Y", "Z",
            ],
            _ => &[
                "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
                "17", "18", "19",
            ],
        }
    }

    /// Whether every record of the file is a trade (a trades feed, not a book).
    pub fn trades_only(&self) -> bool {
        matches!(
            self.feed,
            Feed::PolygonTrades | Feed::DatabentoTrades | Feed::TaqTrades
        )
    }

    /// TAQ files end with `END|date|count|...`.
    pub fn has_trailer(&self) -> bool {
        matches!(self.feed, Feed::TaqTrades | Feed::TaqNbbo | Feed::TaqQuotes)
    }

    /// The record count of a TAQ trailer line; None when the line is not one.
    pub fn trailer(&self, text: &str) -> Option<Result<u64, String>> {
        let rest = text.strip_prefix("END|")?;
        let mut parts = rest.split('|');
        let _date = parts.next();
        Some(
            parts
                .next()
                .and_then(|n| n.trim().parse::<u64>().ok())
                .ok_or_else(|| format!("the END trailer has no record count: {text}")),
        )
    }

    /// One record: its fields split, then read.
    pub fn record(
        &self,
        text: &str,
        fields: &mut Vec<(usize, usize)>,
        zone: &mut NewYork,
    ) -> Result<Event, FieldError> {
        split(text, self.delimiter, fields);
        let get = |i: usize| -> &str {
            fields
                .get(i)
                .map_or("", |&(a, b)| text.get(a..b).unwrap_or("").trim())
        };
        if fields.len() != self.names.len() {
            return Err((
                None,
                Problem::RecordFields {
                    rec_type: self.label().into(),
                    expected: self.names.len(),
                    found: fields.len(),
                },
            ));
        }
        let field = |i: usize| (Some(i + 1), self.names[i].as_str(), get(i));
        let opt = |c: Option<usize>| c.map(field);
        // The event's time in nanoseconds since the epoch.
        let event_ns = self.time(field(self.cols.time), zone)?;
        let trade_dt = match self.day {
            Some(day) => day,
            None => zone.day_of(event_ns),
        };
        let symbol = match (self.cols.symbol, &self.symbology, self.cols.instrument) {
            (Some(c), _, _) => {
                let (column, name, value) = field(c);
                if value.is_empty() {
                    return Err(missing(column, name));
                }
                zone.symbol(value)
            }
            (None, Some(map), Some(c)) => {
                let (column, name, value) = field(c);
                let id: u32 = value.parse().map_err(|_| missing(column, name))?;
                let utc_day = chrono::DateTime::from_timestamp_nanos(event_ns).date_naive();
                match map.symbol(id, utc_day) {
                    Some(s) => canonical_symbol(s),
                    None => {
                        return Err((
                            column,
                            Problem::Invalid {
                                column: name.into(),
                                value: value.into(),
                                reason: format!(
                                    "symbology.json names no symbol for it on {utc_day}"
                                ),
                            },
                        ));
                    }
                }
            }
            _ => return Err(missing(None, "symbol")),
        };
        let event_seq_nb = match self.cols.seq {
            Some(c) => whole(field(c))?,
            None => 0,
        };
        let text_of = |c: Option<usize>| opt(c).map(|(_, _, v)| v.to_string());
        let mut vendor = VendorFields {
            source: self.source(),
            participant_ns: self.opt_time(opt(self.cols.participant_time), zone)?,
            tape: text_of(self.cols.tape).filter(|t| !t.is_empty()),
            ..VendorFields::default()
        };
        let is_taq = self.has_trailer();
        if let Some((_, _, codes)) = opt(self.cols.conditions) {
            vendor.conditions = Some(condition_codes(codes, is_taq));
        }
        let trade = match self.feed {
            Feed::PolygonTrades | Feed::DatabentoTrades | Feed::TaqTrades => true,
            Feed::DatabentoBook => opt(self.cols.action).is_some_and(|(_, _, a)| a == "T"),
            _ => false,
        };
        let exchange = match self.cols.exchange {
            Some(c) => code(field(c))?,
            // Polygon quotes: the bid's exchange, else the ask's.
            None => match (opt(self.cols.bid_exchange), opt(self.cols.ask_exchange)) {
                (Some((_, _, b)), _) if !b.is_empty() && b != "0" => b.to_string(),
                (_, Some(a)) => code(a)?,
                _ => return Err(missing(None, "exchange")),
            },
        };
        let values = if trade {
            vendor.correction = match opt(self.cols.correction) {
                Some((column, name, v)) if !v.is_empty() => {
                    Some(v.parse::<i16>().map_err(|_| not_number(column, name, v))?)
                }
                Some(_) => Some(0),
                None => None,
            };
            vendor.trf_id = text_of(self.cols.trf_id);
            vendor.trf_ns = self.opt_time(opt(self.cols.trf_time), zone)?;
            let (column, name, value) = field(self.cols.price.unwrap_or(self.cols.time));
            let price = match self.price(column, name, value)? {
                Some(p) => p,
                None => {
                    return Err((
                        column,
                        Problem::Invalid {
                            column: name.into(),
                            value: value.into(),
                            reason: "a trade without a price (Databento's null price)".into(),
                        },
                    ));
                }
            };
            Values::Trade {
                execution_id: text_of(self.cols.id).filter(|s| !s.is_empty()),
                price,
                size: size(opt(self.cols.size))?,
            }
        } else {
            vendor.bid_exchange = text_of(self.cols.bid_exchange);
            vendor.ask_exchange = text_of(self.cols.ask_exchange);
            let side = |c: Option<usize>| -> Result<Option<f64>, FieldError> {
                match opt(c) {
                    Some((column, name, value)) => self.price(column, name, value),
                    None => Err(missing(None, "bid/ask price")),
                }
            };
            Values::Quote {
                bid_pr: side(self.cols.bid_pr)?,
                bid_size: size(opt(self.cols.bid_size))?,
                ask_pr: side(self.cols.ask_pr)?,
                ask_size: size(opt(self.cols.ask_size))?,
            }
        };
        Ok(Event {
            line: 0,
            trade_dt,
            symbol,
            exchange,
            event_tm: event_ns.div_euclid(1000),
            event_ns,
            event_seq_nb,
            arrival_tm: None,
            values,
            vendor: Some(vendor),
        })
    }

    /// A price: None for Databento's null (`i64::MAX` raw, empty pretty).
    fn price(
        &self,
        column: Option<usize>,
        name: &str,
        value: &str,
    ) -> Result<Option<f64>, FieldError> {
        let databento = matches!(self.feed, Feed::DatabentoTrades | Feed::DatabentoBook);
        if databento && self.raw {
            let units: i64 = value.parse().map_err(|_| not_number(column, name, value))?;
            return Ok((units != NULL_PRICE).then(|| nano_price(units)));
        }
        if databento && value.is_empty() {
            return Ok(None);
        }
        price((column, name, value)).map(Some)
    }

    /// A time in nanoseconds since the epoch, as the layout writes it.
    fn time(
        &self,
        (column, name, value): super::Field,
        zone: &mut NewYork,
    ) -> Result<i64, FieldError> {
        if value.is_empty() {
            return Err(missing(column, name));
        }
        let bad = |reason: &str| {
            (
                column,
                Problem::Invalid {
                    column: name.into(),
                    value: value.into(),
                    reason: reason.into(),
                },
            )
        };
        if let Some(day) = self.day {
            return zone
                .taq_time(day, value)
                .ok_or_else(|| bad("is not a TAQ time (HHMMSSNNNNNNNNN, New York)"));
        }
        if value.bytes().all(|b| b.is_ascii_digit()) {
            return value
                .parse()
                .map_err(|_| bad("is not nanoseconds since the epoch"));
        }
        iso_ns(value).ok_or_else(|| bad("is not a time (nanoseconds or ISO 8601 UTC)"))
    }

    fn opt_time(
        &self,
        field: Option<super::Field>,
        zone: &mut NewYork,
    ) -> Result<Option<i64>, FieldError> {
        match field {
            Some((_, _, "")) | None => Ok(None),
            // TAQ writes 0 when a participant gave no time.
            Some((_, _, v)) if v.bytes().all(|b| b == b'0') => Ok(None),
            Some(f) => self.time(f, zone).map(Some),
        }
    }
}

/// The vendor's codes as one list, comma-separated (encode.rs stores them as `text[]`):
/// Polygon's `12,37`; TAQ's characters, one code each (`@ TI` → `@,T,I`).
fn condition_codes(text: &str, characters: bool) -> String {
    if characters {
        let mut out = String::new();
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push(c);
        }
        return out;
    }
    text.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// An exchange code: not empty, as written.
fn code((column, name, value): super::Field) -> Result<String, FieldError> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    Ok(value.to_string())
}

fn not_number(column: Option<usize>, name: &str, value: &str) -> (Option<usize>, Problem) {
    (
        column,
        Problem::NotANumber {
            column: name.into(),
            value: value.into(),
        },
    )
}

/// A size in shares; a layout without the column gives 0.
fn size(field: Option<super::Field>) -> Result<i64, FieldError> {
    match field {
        Some(f) => super::shares(f),
        None => Ok(0),
    }
}

/// Splits a record at `delimiter`, outside double quotes, into byte ranges (quotes dropped).
fn split(text: &str, delimiter: u8, fields: &mut Vec<(usize, usize)>) {
    fields.clear();
    let bytes = text.as_bytes();
    let (mut start, mut quoted) = (0, false);
    for (at, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            fields.push(unquote(bytes, start, at));
            start = at + 1;
        }
    }
    fields.push(unquote(bytes, start, bytes.len()));
}

fn unquote(bytes: &[u8], start: usize, end: usize) -> (usize, usize) {
    if end >= start + 2 && bytes[start] == b'"' && bytes[end - 1] == b'"' {
        (start + 1, end - 1)
    } else {
        (start, end)
    }
}

#[cfg(test)]
mod tests;
