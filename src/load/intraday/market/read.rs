//! Reading a file that names a symbol on every row (`vendor::sniff`): each row to a bar of
//! its symbol, times exact (nanoseconds to the microsecond `timestamptz` keeps, refused when
//! finer), prices exact (Databento's 1e-9 integers divide to the double the decimal text
//! reads as), symbols in their canonical form. Database-free and synchronous; streams.

use super::super::parse::{
    FileError, csv_error, read_head, record_text, regular_resolution, suspicion,
};
use super::super::vendor::{self, DAY_MICROS, Encoding, MarketLayout, Symbols, Vendor};
use crate::load::files::check_symbol;
use crate::load::stamps::{self, DEFAULT_ZONE, parse_stamp, to_utc};
use crate::load::values::{BadRow, Problem, parse_price, parse_volume};
use chrono::NaiveDate;
use chrono_tz::Tz;
use csv::ByteRecord;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// One bar of a market file; its symbol is [`MarketReader::symbol`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarketBar {
    /// Bar start, microseconds since 1970 (UTC); for day bars, midnight UTC of the day.
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: i64,
    /// Trades in the bar, where the file says.
    pub transactions: Option<i64>,
}

impl MarketBar {
    /// The trading day of a day bar.
    pub fn day(&self) -> NaiveDate {
        chrono::DateTime::from_timestamp_micros(self.ts)
            .map(|t| t.date_naive())
            .unwrap_or_default()
    }
}

/// One row read: a bar (true when suspicious) or a bad row.
#[derive(Debug)]
pub enum MarketItem {
    Bar(MarketBar, bool),
    Bad(BadRow),
}

/// Streams the rows of one market file.
pub struct MarketReader<R: Read> {
    csv: csv::Reader<R>,
    layout: MarketLayout,
    zone: Tz,
    strict: bool,
    record: ByteRecord,
    /// Data rows read so far.
    pub rows: u64,
    /// Line of the last row read.
    pub line: u64,
    resolution: i64,
    day_offset: Option<(NaiveDate, i32)>,
    /// The symbol of the last bar, and the text it was read from.
    symbol: String,
    symbol_text: Vec<u8>,
}

impl MarketReader<Box<dyn Read>> {
    /// Opens `make()` twice: once for the layout from the first lines, once to read.
    pub fn open(
        mut make: impl FnMut() -> std::io::Result<Box<dyn Read>>,
        path: &Path,
        zone: Option<Tz>,
        strict: bool,
    ) -> Result<Self, FileError> {
        let head = read_head(make()?)?;
        let layout = match vendor::sniff(&head, path) {
            Some(Ok(layout)) => layout,
            Some(Err(e)) => return Err(FileError::Layout(e)),
            None => {
                return Err(FileError::Layout(
                    "no symbol column: not a file of many symbols".into(),
                ));
            }
        };
        let zone = zone.unwrap_or(DEFAULT_ZONE);
        let resolution = match layout.resolution {
            Some(r) => r,
            None => sample_resolution(&head, &layout, zone).ok_or_else(|| {
                FileError::Layout(
                    "cannot tell the bars' resolution: no symbol has two bars in the first lines; name it in the file name (e.g. bars_1min.csv)".into(),
                )
            })?,
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(make()?);
        let mut record = ByteRecord::new();
        csv.read_byte_record(&mut record).map_err(csv_error)?;
        Ok(MarketReader {
            csv,
            layout,
            zone,
            strict,
            record,
            rows: 0,
            line: 1,
            resolution,
            day_offset: None,
            symbol: String::new(),
            symbol_text: Vec::new(),
        })
    }
}

/// The resolution of a long file from its first lines: the regular gap between bars of one
/// symbol.
fn sample_resolution(head: &[Vec<String>], layout: &MarketLayout, zone: Tz) -> Option<i64> {
    let Symbols::Column(sc) = layout.symbols else {
        return None;
    };
    let mut last: HashMap<&str, i64> = HashMap::new();
    let mut gaps: HashMap<i64, usize> = HashMap::new();
    let mut day_offset = None;
    for row in head.iter().skip(1) {
        let (Some(symbol), Some(text)) = (row.get(sc), row.get(layout.time)) else {
            continue;
        };
        let Some((ts, _)) = parse_stamp(text).and_then(|s| to_utc(zone, &mut day_offset, s).ok())
        else {
            continue;
        };
        if let Some(before) = last.insert(symbol, ts)
            && before != ts
            && (ts - before).abs() < DAY_MICROS
        {
            *gaps.entry((ts - before).abs()).or_default() += 1;
        }
    }
    regular_resolution(&gaps)
}

/// Prices in 1e-9 units as the double their decimal text reads as: one division of two
/// exactly represented numbers is correctly rounded, as the text's parse is; above 2^53
/// the integer is not exact as a double, and the text is parsed instead.
pub fn nano_price(units: i64) -> f64 {
    const EXACT: i64 = 1 << 53;
    if (-EXACT..=EXACT).contains(&units) {
        return units as f64 / 1e9;
    }
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    format!("{sign}{}.{:09}", abs / 1_000_000_000, abs % 1_000_000_000)
        .parse()
        .unwrap_or(f64::NAN)
}

/// Databento's null price.
const NULL_PRICE: i64 = i64::MAX;

impl<R: Read> MarketReader<R> {
    pub fn layout(&self) -> &MarketLayout {
        &self.layout
    }

    /// Bar width in microseconds ([`DAY_MICROS`] for day bars).
    pub fn resolution(&self) -> i64 {
        self.resolution
    }

    /// The symbol of the last bar returned.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The next bar or bad row; None at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<MarketItem>, FileError> {
        loop {
            let more = self.csv.read_byte_record(&mut self.record).map_err(|e| {
                match csv_error(e) {
                    // A gzip stream that ends early (a cut download) is an I/O error here.
                    FileError::Io(io) => FileError::Csv {
                        line: self.line + 1,
                        message: format!("the file ends early ({io}): a cut download?"),
                    },
                    other => other,
                }
            })?;
            if !more {
                return Ok(None);
            }
            self.line = self.record.position().map_or(self.line + 1, |p| p.line());
            if self.record.len() <= 1 && self.record.iter().all(|f| f.trim_ascii().is_empty()) {
                continue;
            }
            self.rows += 1;
            return Ok(Some(match self.parse_record() {
                Ok((bar, warned)) => MarketItem::Bar(bar, warned),
                Err(bad) => MarketItem::Bad(*bad),
            }));
        }
    }

    fn bad(&self, column: Option<usize>, problem: Problem) -> Box<BadRow> {
        Box::new(BadRow::new(
            self.line,
            column.map(|c| c + 1),
            problem,
            record_text(&self.record),
        ))
    }

    fn field(&self, i: usize) -> Result<&str, Box<BadRow>> {
        std::str::from_utf8(&self.record[i])
            .map(str::trim)
            .map_err(|_| {
                self.bad(
                    Some(i),
                    Problem::NotUtf8 {
                        column: self.layout.names[i].clone(),
                    },
                )
            })
    }

    fn invalid(&self, i: usize, reason: impl Into<String>) -> Box<BadRow> {
        let value = String::from_utf8_lossy(&self.record[i]).trim().to_string();
        self.bad(
            Some(i),
            Problem::Invalid {
                column: self.layout.names[i].clone(),
                value,
                reason: reason.into(),
            },
        )
    }

    fn parse_record(&mut self) -> Result<(MarketBar, bool), Box<BadRow>> {
        let width = self.layout.names.len();
        if self.record.len() != width {
            return Err(self.bad(
                None,
                Problem::FieldCount {
                    expected: width,
                    found: self.record.len(),
                    multiline: false,
                },
            ));
        }
        if self.record.iter().all(|f| f.trim_ascii().is_empty()) {
            return Err(self.bad(None, Problem::Blank));
        }
        if let Some((column, code)) = self.layout.rtype
            && self.field(column)?.parse::<u8>().ok() != Some(code)
        {
            return Err(self.invalid(column, format!("is not this file's record type, {code}")));
        }
        let ts = self.time()?;
        let mut prices = [0.0; 4];
        for (k, price) in prices.iter_mut().enumerate() {
            *price = self.price(self.layout.values[k])?;
        }
        let volume = self.volume(self.layout.values[4])?;
        let transactions = match self.layout.transactions {
            Some(t) if !self.field(t)?.is_empty() => Some(self.volume(t)?),
            _ => None,
        };
        self.read_symbol(ts)?;
        let [open, high, low, close] = prices;
        let suspicious = suspicion(open, high, low, close);
        if let (Some(what), true) = (&suspicious, self.strict) {
            return Err(self.bad(None, Problem::Suspicious { what: what.clone() }));
        }
        let bar = MarketBar {
            ts,
            open,
            high,
            low,
            close,
            volume,
            transactions,
        };
        Ok((bar, suspicious.is_some()))
    }

    /// The bar's start in microseconds; a day bar's is midnight UTC of its trading day.
    fn time(&mut self) -> Result<i64, Box<BadRow>> {
        let t = self.layout.time;
        let text = self.field(t)?;
        let nanos: i64 = match self.layout.encoding {
            Encoding::Nanos | Encoding::Raw => text
                .parse()
                .map_err(|_| self.invalid(t, "is not a time in nanoseconds since 1970"))?,
            Encoding::Pretty => chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .and_then(|d| d.timestamp_nanos_opt())
                .ok_or_else(|| self.invalid(t, "is not an ISO 8601 time"))?,
            Encoding::Text => {
                let stamp = parse_stamp(text).ok_or_else(|| {
                    self.bad(
                        Some(t),
                        Problem::NotADate {
                            column: self.layout.names[t].clone(),
                            value: text.to_string(),
                            expected: "a date and time such as 2024-03-08 09:30:00".into(),
                        },
                    )
                })?;
                let zone = self.zone;
                let (micros, _) = to_utc(zone, &mut self.day_offset, stamp)
                    .map_err(|reason| self.invalid(t, reason))?;
                micros * 1000
            }
        };
        if nanos % 1000 != 0 {
            return Err(self.invalid(t, "is not a whole microsecond: a bar starts on one"));
        }
        let micros = nanos / 1000;
        if self.resolution != DAY_MICROS {
            return Ok(micros);
        }
        // A day bar at midnight New York (Polygon) or midnight UTC (Databento) is that day.
        let day = match stamps::new_york_midnight(micros) {
            Some(true) => stamps::new_york_day(micros),
            _ if micros.rem_euclid(DAY_MICROS) == 0 => {
                chrono::DateTime::from_timestamp_micros(micros).map(|d| d.date_naive())
            }
            _ => None,
        };
        day.map(|d| {
            d.and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp_micros()
        })
        .ok_or_else(|| self.invalid(t, "is not the start of a day (midnight New York or UTC)"))
    }

    fn price(&self, i: usize) -> Result<f64, Box<BadRow>> {
        let text = self.field(i)?;
        let column = self.layout.names[i].clone();
        if text.is_empty() {
            return Err(self.bad(Some(i), Problem::Missing { column }));
        }
        let value = match self.layout.encoding {
            Encoding::Raw => match text.parse::<i64>() {
                Ok(NULL_PRICE) => return Err(self.bad(Some(i), Problem::Missing { column })),
                Ok(units) => Some(nano_price(units)),
                Err(_) => None,
            },
            _ => parse_price(text),
        };
        value.filter(|v| v.is_finite()).ok_or_else(|| {
            self.bad(
                Some(i),
                Problem::NotANumber {
                    column,
                    value: text.to_string(),
                },
            )
        })
    }

    fn volume(&self, i: usize) -> Result<i64, Box<BadRow>> {
        let text = self.field(i)?;
        let column = self.layout.names[i].clone();
        if text.is_empty() {
            return Err(self.bad(Some(i), Problem::Missing { column }));
        }
        parse_volume(text, false).map_err(|e| {
            let value = text.to_string();
            self.bad(Some(i), e.problem(column, value))
        })
    }

    /// Sets [`Self::symbol`] from the row: its text, or its instrument on the bar's day.
    fn read_symbol(&mut self, ts: i64) -> Result<(), Box<BadRow>> {
        let (column, from_map) = match &self.layout.symbols {
            Symbols::Column(c) => (*c, false),
            Symbols::Instruments { column, .. } => (*column, true),
        };
        let raw = &self.record[column];
        if !from_map && !self.symbol.is_empty() && raw == self.symbol_text.as_slice() {
            return Ok(());
        }
        let text = self.field(column)?.to_string();
        let symbol = if let Symbols::Instruments { map, .. } = &self.layout.symbols {
            let day = chrono::DateTime::from_timestamp_micros(ts)
                .map(|d| d.date_naive())
                .unwrap_or_default();
            let id: u32 = text
                .parse()
                .map_err(|_| self.invalid(column, "is not an instrument id"))?;
            map.symbol(id, day)
                .ok_or_else(|| self.invalid(column, format!("is not in symbology.json on {day}")))?
                .to_string()
        } else {
            if text.is_empty() {
                return Err(self.bad(
                    Some(column),
                    Problem::Missing {
                        column: self.layout.names[column].clone(),
                    },
                ));
            }
            text
        };
        let symbol = check_symbol(&symbol).map_err(|e| self.invalid(column, format!("{e:#}")))?;
        self.symbol_text.clear();
        self.symbol_text.extend_from_slice(&self.record[column]);
        self.symbol = symbol;
        Ok(())
    }
}

impl<R: Read> MarketReader<R> {
    /// True for a long file (exchange times), whose day is the bars' New York day.
    pub fn is_long(&self) -> bool {
        self.layout.vendor == Vendor::Long
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(name: &str, text: &'static str) -> MarketReader<Box<dyn Read>> {
        MarketReader::open(
            || Ok(Box::new(text.as_bytes()) as Box<dyn Read>),
            Path::new(name),
            None,
            false,
        )
        .unwrap()
    }

    fn items(r: &mut MarketReader<Box<dyn Read>>) -> Vec<(String, Result<MarketBar, String>)> {
        let mut out = Vec::new();
        while let Some(item) = r.next_item().unwrap() {
            match item {
                MarketItem::Bar(b, _) => out.push((r.symbol().to_string(), Ok(b))),
                MarketItem::Bad(bad) => out.push((String::new(), Err(bad.to_string()))),
            }
        }
        out
    }

    #[test]
    fn nano_prices_divide_to_the_decimal_texts_double() {
        for (units, text) in [
            (70_510_000_000i64, "70.51"),
            (1, "0.000000001"),
            (123_456_789_012, "123.456789012"),
            (9_007_199_254_740_993, "9007199.254740993"),
            (-5_000_000_001, "-5.000000001"),
        ] {
            assert_eq!(nano_price(units), text.parse::<f64>().unwrap(), "{units}");
        }
    }

    #[test]
    fn polygon_minute_rows() {
        let mut r = reader(
            "2024-03-08.csv",
            "ticker,volume,open,close,high,low,window_start,transactions\n\
             BRK.A,100,1.5,1.6,1.7,1.4,1709908200000000000,3\n\
             BRK.A,100,1.5,1.6,1.7,1.4,1709908260000000000,\n\
             A,1,1,1,1,1,1709908200000000001,1\n",
        );
        let got = items(&mut r);
        let (sym, bar) = &got[0];
        let bar = bar.as_ref().unwrap();
        assert_eq!(sym, "BRK.A");
        // 2024-03-08 14:30 UTC = 09:30 New York.
        assert_eq!(bar.ts, 1_709_908_200_000_000);
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close),
            (1.5, 1.7, 1.4, 1.6)
        );
        assert_eq!((bar.volume, bar.transactions), (100, Some(3)));
        assert_eq!(got[1].1.as_ref().unwrap().transactions, None);
        let err = got[2].1.as_ref().unwrap_err();
        assert!(err.contains("whole microsecond"), "{err}");
    }

    #[test]
    fn day_bars_are_their_trading_day() {
        // Polygon: midnight New York (05:00 UTC in March before DST); Databento: midnight UTC.
        let mut r = reader(
            "day_aggs_v1/2024-03-08.csv",
            "ticker,volume,open,close,high,low,window_start,transactions\n\
             BRK-A,5,1,1,1,1,1709874000000000000,2\n",
        );
        let got = items(&mut r);
        let bar = got[0].1.as_ref().unwrap();
        assert_eq!(got[0].0, "BRK.A");
        assert_eq!(bar.day(), NaiveDate::from_ymd_opt(2024, 3, 8).unwrap());
        let mut r = reader(
            "x.csv",
            "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume,symbol\n\
             1709856000000000000,35,2,1,70510000000,70570000000,70510000000,70540000000,2806,SSO\n",
        );
        let got = items(&mut r);
        let bar = got[0].1.as_ref().unwrap();
        assert_eq!(bar.day(), NaiveDate::from_ymd_opt(2024, 3, 8).unwrap());
        assert_eq!(bar.close, 70.54);
    }

    #[test]
    fn databento_null_prices_and_other_record_types_are_bad_rows() {
        let mut r = reader(
            "x.csv",
            "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume,symbol\n\
             1709908200000000000,33,2,1,1000000000,1000000000,1000000000,1000000000,1,A\n\
             1709908260000000000,33,2,1,9223372036854775807,1000000000,1000000000,1000000000,1,A\n\
             1709908320000000000,34,2,1,1000000000,1000000000,1000000000,1000000000,1,A\n",
        );
        let got = items(&mut r);
        assert!(got[0].1.is_ok());
        assert!(
            got[1].1.as_ref().unwrap_err().contains("missing"),
            "{got:?}"
        );
        assert!(
            got[2].1.as_ref().unwrap_err().contains("record type"),
            "{got:?}"
        );
    }

    #[test]
    fn long_file_resolution_from_its_rows() {
        let mut r = reader(
            "bars.csv",
            "symbol,timestamp,open,high,low,close,volume\n\
             AAPL,2024-03-08 09:30:00,1,1,1,1,1\n\
             MSFT,2024-03-08 09:30:00,1,1,1,1,1\n\
             AAPL,2024-03-08 09:35:00,1,1,1,1,1\n\
             MSFT,2024-03-08 09:35:00,1,1,1,1,1\n\
             AAPL,2024-03-08 09:40:00,1,1,1,1,1\n",
        );
        assert_eq!(r.resolution(), 300_000_000);
        assert_eq!(items(&mut r).len(), 5);
    }
}
