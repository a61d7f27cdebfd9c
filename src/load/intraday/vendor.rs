//! Files that name a symbol on every row (issue 43): the full-market day files of Polygon /
//! Massive (`minute_aggs_v1`, `day_aggs_v1`), Databento's OHLCV CSV exports (raw or pretty,
//! with a symbol column or `symbology.json` beside them) and any long intraday file with a
//! symbol column. Recognised from the header (`sniff`); each row read by `market::MarketReader`.

use super::sniff::{self, resolution_word};
use crate::load::values::normalize;
use std::collections::HashMap;
use std::path::Path;

/// Microseconds in a day: the "resolution" of day bars.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// Whose layout a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// Polygon.io / Massive flat files: `ticker,volume,open,close,high,low,window_start,transactions`.
    Polygon,
    /// Databento CSV: `ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume[,symbol]`.
    Databento,
    /// A long intraday file: a symbol column beside a datetime (exchange time unless offset).
    Long,
}

/// How a file writes times and prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Integer nanoseconds since the epoch; decimal prices (Polygon).
    Nanos,
    /// Databento's default: integer nanoseconds and prices as integers of 1e-9.
    Raw,
    /// Databento's `pretty_ts`/`pretty_px`: ISO 8601 times (UTC) and decimal prices.
    Pretty,
    /// Times as people write them, exchange time unless they carry an offset.
    Text,
}

/// Where a row's symbol comes from.
#[derive(Debug, Clone)]
pub enum Symbols {
    Column(usize),
    /// Databento without `map_symbols`: the instrument id, looked up in `symbology.json`.
    Instruments {
        column: usize,
        map: Symbology,
    },
}

/// A recognised file: vendor, dataset, and where each field sits (0-based columns).
#[derive(Debug, Clone)]
pub struct MarketLayout {
    pub vendor: Vendor,
    /// `minute_aggs_v1`, `ohlcv-1m`, …: what the vendor calls the file's contents.
    pub dataset: String,
    pub encoding: Encoding,
    pub names: Vec<String>,
    pub symbols: Symbols,
    pub time: usize,
    /// Open, high, low, close, volume.
    pub values: [usize; 5],
    /// The bar's trade count (Polygon's `transactions`).
    pub transactions: Option<usize>,
    /// Databento's record type, the same on every row of one schema.
    pub rtype: Option<(usize, u8)>,
    /// Bar width in microseconds ([`DAY_MICROS`] for day bars), when the layout says it.
    pub resolution: Option<i64>,
}

impl MarketLayout {
    /// True for day bars (`day_aggs_v1`, `ohlcv-1d`): they go to `market.daily_prices`.
    pub fn daily(&self) -> bool {
        self.resolution == Some(DAY_MICROS)
    }

    /// What `--dry-run` says the file is: vendor, dataset and encoding.
    pub fn label(&self) -> String {
        let vendor = match self.vendor {
            Vendor::Polygon => "Polygon/Massive flat file",
            Vendor::Databento => "Databento CSV",
            Vendor::Long => "long intraday file with a symbol column",
        };
        let encoding = match self.encoding {
            Encoding::Nanos => "nanosecond times, decimal prices",
            Encoding::Raw => "raw encoding: nanosecond times, prices in 1e-9 units",
            Encoding::Pretty => "pretty encoding: ISO 8601 times, decimal prices",
            Encoding::Text => "exchange times",
        };
        let symbols = match &self.symbols {
            Symbols::Column(c) => format!("symbols from {}", self.names[*c]),
            Symbols::Instruments { .. } => "symbols from symbology.json".to_string(),
        };
        match self.vendor {
            Vendor::Long => format!("{vendor} ({encoding}, {symbols})"),
            _ => format!("{vendor} {} ({encoding}, {symbols})", self.dataset),
        }
    }

    /// `Symbol=ticker, Time=window_start, Open=open, …`, for `--dry-run`.
    pub fn mapping(&self) -> String {
        let symbol = match &self.symbols {
            Symbols::Column(c) => self.names[*c].clone(),
            Symbols::Instruments { column, .. } => {
                format!("{}+symbology.json", self.names[*column])
            }
        };
        let mut parts = vec![
            format!("Symbol={symbol}"),
            format!("Time={}", self.names[self.time]),
        ];
        for (f, i) in ["Open", "High", "Low", "Close", "Volume"]
            .iter()
            .zip(self.values)
        {
            parts.push(format!("{f}={}", self.names[i]));
        }
        if let Some(t) = self.transactions {
            parts.push(format!("Transactions={}", self.names[t]));
        }
        parts.join(", ")
    }
}

/// Databento's `symbology.json`: instrument id → the symbols it had, each over `[d0, d1)`.
#[derive(Debug, Clone, Default)]
pub struct Symbology {
    by_id: HashMap<u32, Vec<(chrono::NaiveDate, chrono::NaiveDate, String)>>,
}

impl Symbology {
    /// Reads the `result` map of a batch download's `symbology.json`.
    pub fn read(path: &Path) -> Result<Symbology, String> {
        #[derive(serde::Deserialize)]
        struct Interval {
            d0: chrono::NaiveDate,
            d1: chrono::NaiveDate,
            s: String,
        }
        #[derive(serde::Deserialize)]
        struct File {
            result: HashMap<String, Vec<Interval>>,
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not Databento's symbology.json: {e}", path.display()))?;
        let mut by_id: HashMap<u32, Vec<_>> = HashMap::new();
        for (symbol, intervals) in file.result {
            for i in intervals {
                let Ok(id) = i.s.parse::<u32>() else { continue };
                by_id
                    .entry(id)
                    .or_default()
                    .push((i.d0, i.d1, symbol.clone()));
            }
        }
        Ok(Symbology { by_id })
    }

    /// The symbol instrument `id` had on `day` (UTC), if the file says.
    pub fn symbol(&self, id: u32, day: chrono::NaiveDate) -> Option<&str> {
        self.by_id
            .get(&id)?
            .iter()
            .find(|(d0, d1, _)| *d0 <= day && day < *d1)
            .map(|(_, _, s)| s.as_str())
    }
}

/// The layout when the header is one of a file naming a symbol on each row; None otherwise
/// (a one-symbol file); `Err` for such a file that cannot be read (no symbology, say).
pub fn sniff(head: &[Vec<String>], path: &Path) -> Option<Result<MarketLayout, String>> {
    let names = head.first()?;
    let norm: Vec<String> = names.iter().map(|n| normalize(n)).collect();
    let pos = |name: &str| norm.iter().position(|n| n == name);
    let values = |close: &str| -> Option<[usize; 5]> {
        Some([
            pos("open")?,
            pos("high")?,
            pos("low")?,
            pos(close)?,
            pos("volume")?,
        ])
    };
    if let (Some(ticker), Some(time), Some(values)) =
        (pos("ticker"), pos("windowstart"), values("close"))
    {
        let day = polygon_is_daily(head, time, path);
        return Some(Ok(MarketLayout {
            vendor: Vendor::Polygon,
            dataset: if day { "day_aggs_v1" } else { "minute_aggs_v1" }.into(),
            encoding: Encoding::Nanos,
            names: names.clone(),
            symbols: Symbols::Column(ticker),
            time,
            values,
            transactions: pos("transactions"),
            rtype: None,
            resolution: Some(if day { DAY_MICROS } else { 60_000_000 }),
        }));
    }
    if let (Some(time), Some(rtype), Some(id), Some(values)) = (
        pos("tsevent"),
        pos("rtype"),
        pos("instrumentid"),
        values("close"),
    ) {
        return Some(databento(head, names, &norm, time, rtype, id, values, path));
    }
    // A long intraday file: the one-symbol sniffer's layout, when it has a symbol column.
    let layout = match sniff::sniff(head)? {
        Ok(l) => l,
        Err(_) => return None,
    };
    let symbol = layout.symbol_column?;
    if layout.clock.is_some() {
        return None;
    }
    let named = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .and_then(|n| n.split(['_', ' ', '.', '-']).find_map(resolution_word));
    Some(Ok(MarketLayout {
        vendor: Vendor::Long,
        dataset: "bars".into(),
        encoding: Encoding::Text,
        names: layout.names.clone(),
        symbols: Symbols::Column(symbol),
        time: layout.time,
        values: layout.values,
        transactions: norm
            .iter()
            .position(|n| n == "transactions" || n == "trades"),
        rtype: None,
        resolution: named.map(|s| s * 1_000_000),
    }))
}

/// Databento's OHLCV layouts: the schema from the first row's `rtype`, the encoding from its
/// `ts_event`, the symbols from a `symbol` column or `symbology.json` beside the file.
#[allow(clippy::too_many_arguments)]
fn databento(
    head: &[Vec<String>],
    names: &[String],
    norm: &[String],
    time: usize,
    rtype: usize,
    id: usize,
    values: [usize; 5],
    path: &Path,
) -> Result<MarketLayout, String> {
    let first = head
        .get(1)
        .ok_or("a Databento file with a header and no rows")?;
    let code: u8 = first
        .get(rtype)
        .and_then(|r| r.parse().ok())
        .ok_or("Databento: the first row's rtype is not a number")?;
    let (dataset, resolution) = match code {
        32 => ("ohlcv-1s", 1_000_000),
        33 => ("ohlcv-1m", 60_000_000),
        34 => ("ohlcv-1h", 3_600_000_000),
        35 => ("ohlcv-1d", DAY_MICROS),
        other => {
            return Err(format!(
                "Databento rtype {other} is not an OHLCV schema (32 to 35: ohlcv-1s, -1m, -1h, -1d); trades and quotes are not loaded from Databento files yet"
            ));
        }
    };
    let stamp = first.get(time).map_or("", String::as_str);
    let encoding = if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit()) {
        Encoding::Raw
    } else {
        Encoding::Pretty
    };
    let symbols = match norm.iter().position(|n| n == "symbol") {
        Some(c) => Symbols::Column(c),
        None => {
            let beside = path
                .parent()
                .map(|d| d.join("symbology.json"))
                .filter(|p| p.is_file())
                .ok_or_else(|| {
                    "Databento rows without a symbol column: load them from the batch download's folder, with its symbology.json beside them, or export with map_symbols".to_string()
                })?;
            Symbols::Instruments {
                column: id,
                map: Symbology::read(&beside)?,
            }
        }
    };
    Ok(MarketLayout {
        vendor: Vendor::Databento,
        dataset: dataset.into(),
        encoding,
        names: names.to_vec(),
        symbols,
        time,
        values,
        transactions: None,
        rtype: Some((rtype, code)),
        resolution: Some(resolution),
    })
}

/// Polygon's day and minute aggregates share a header: the path says which (`day_aggs_v1`),
/// else the first rows (every bar at midnight New York is a day file).
fn polygon_is_daily(head: &[Vec<String>], time: usize, path: &Path) -> bool {
    let text = path.to_string_lossy().to_ascii_lowercase();
    if text.contains("day_aggs") {
        return true;
    }
    if text.contains("minute_aggs") {
        return false;
    }
    let stamps: Vec<i64> = head
        .iter()
        .skip(1)
        .filter_map(|r| r.get(time)?.parse().ok())
        .collect();
    !stamps.is_empty()
        && stamps
            .iter()
            .all(|ns| crate::load::stamps::new_york_midnight(ns / 1_000).is_some_and(|m| m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(lines: &[&str]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn polygon_minute_and_day_aggregates() {
        let minute = head(&[
            "ticker,volume,open,close,high,low,window_start,transactions",
            "A,100,1.0,1.1,1.2,0.9,1709888400000000000,3",
        ]);
        let l = sniff(&minute, Path::new("2024-03-08.csv.gz"))
            .unwrap()
            .unwrap();
        assert_eq!(l.dataset, "minute_aggs_v1");
        assert_eq!(l.values, [2, 4, 5, 3, 1]);
        assert_eq!(l.transactions, Some(7));
        let day = head(&[
            "ticker,volume,open,close,high,low,window_start,transactions",
            "A,100,1.0,1.1,1.2,0.9,1709874000000000000,3",
        ]);
        let l = sniff(&day, Path::new("x/2024-03-08.csv")).unwrap().unwrap();
        assert!(l.daily(), "midnight New York on every row: day aggregates");
        let l = sniff(
            &day,
            Path::new("us_stocks_sip/minute_aggs_v1/2024-03-08.csv"),
        )
        .unwrap()
        .unwrap();
        assert!(!l.daily(), "the path names the dataset");
    }

    #[test]
    fn databento_schema_and_encoding() {
        let raw = head(&[
            "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume,symbol",
            "1709908200000000000,33,2,15239,70510000000,70570000000,70510000000,70540000000,2806,SSO",
        ]);
        let l = sniff(&raw, Path::new("a.csv")).unwrap().unwrap();
        assert_eq!(
            (l.dataset.as_str(), l.encoding),
            ("ohlcv-1m", Encoding::Raw)
        );
        let pretty = head(&[
            "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume,symbol",
            "2024-03-08T14:30:00.000000000Z,34,2,15239,70.51,70.57,70.51,70.54,2806,SSO",
        ]);
        let l = sniff(&pretty, Path::new("a.csv")).unwrap().unwrap();
        assert_eq!(
            (l.dataset.as_str(), l.encoding),
            ("ohlcv-1h", Encoding::Pretty)
        );
        let no_symbol = head(&[
            "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume",
            "1709908200000000000,33,2,15239,1,1,1,1,1",
        ]);
        let err = sniff(&no_symbol, Path::new("/nonexistent/a.csv"))
            .unwrap()
            .unwrap_err();
        assert!(err.contains("symbology.json"), "{err}");
    }

    #[test]
    fn long_files_and_one_symbol_files() {
        let long = head(&[
            "symbol,timestamp,open,high,low,close,volume",
            "AAPL,2024-03-08 09:30:00,1,1,1,1,1",
        ]);
        let l = sniff(&long, Path::new("bars_1min.csv")).unwrap().unwrap();
        assert_eq!((l.vendor, l.resolution), (Vendor::Long, Some(60_000_000)));
        let one = head(&[
            "timestamp,open,high,low,close,volume",
            "2024-03-08 09:30:00,1,1,1,1,1",
        ]);
        assert!(sniff(&one, Path::new("MSFT_1min.csv")).is_none());
    }
}
