//! Full-market day files in the vendors' published layouts (issue 43), with our own rows:
//! Polygon / Massive flat files (`us_stocks_sip/minute_aggs_v1/YYYY/MM/YYYY-MM-DD.csv.gz`,
//! `day_aggs_v1`) and Databento OHLCV-1m CSV, raw (instrument ids, `symbology.json`, prices
//! in 1e-9 units) or pretty (a symbol column, ISO times, decimals). Shaped like the market:
//! activity skewed across tickers (a few hundred trade every minute, most now and then),
//! extended hours 04:00-20:00 New York with thin pre- and post-market trading.

use super::{Generated, Rng, symbol};
use anyhow::{Context, Result};
use chrono::{Datelike, Days, NaiveDate, TimeZone, Weekday};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which vendor layout `stockdb generate --vendor` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// Polygon/Massive `minute_aggs_v1`, gzip, one file a day.
    PolygonMinute,
    /// Polygon/Massive `day_aggs_v1`, gzip, one file a day.
    PolygonDay,
    /// Databento `ohlcv-1m`, raw encoding, `symbology.json` beside the files.
    DatabentoRaw,
    /// Databento `ohlcv-1m`, pretty encoding with a symbol column.
    DatabentoPretty,
    /// Polygon/Massive `trades_v1`, gzip, one file a day (--trades a day).
    PolygonTrades,
    /// Polygon/Massive `quotes_v1`, gzip, one file a day (--quotes a day).
    PolygonQuotes,
    /// Databento `trades`, raw encoding, `symbology.json` beside the files.
    DatabentoTrades,
    /// Databento `trades`, pretty encoding with a symbol column.
    DatabentoTradesPretty,
    /// Databento `mbp-1` (book updates and trades), raw encoding.
    DatabentoMbp1,
    /// NYSE Daily TAQ trades (`EQY_US_ALL_TRADE_YYYYMMDD.gz`, END trailer).
    TaqTrades,
    /// NYSE Daily TAQ NBBO (`EQY_US_ALL_NBBO_YYYYMMDD.gz`, END trailer).
    TaqNbbo,
}

impl Layout {
    /// The trade/quote layout, for the tick generator; None for bars.
    pub fn ticks(self) -> Option<super::ticks::Ticks> {
        use super::ticks::Ticks;
        Some(match self {
            Layout::PolygonTrades => Ticks::PolygonTrades,
            Layout::PolygonQuotes => Ticks::PolygonQuotes,
            Layout::DatabentoTrades => Ticks::DatabentoTrades { pretty: false },
            Layout::DatabentoTradesPretty => Ticks::DatabentoTrades { pretty: true },
            Layout::DatabentoMbp1 => Ticks::DatabentoMbp1 { pretty: false },
            Layout::TaqTrades => Ticks::TaqTrades,
            Layout::TaqNbbo => Ticks::TaqNbbo,
            _ => return None,
        })
    }
}

/// The tickers: four letters, and a few share classes written as the vendors do (`ABCD.A`).
pub(super) fn ticker(i: usize) -> String {
    match i % 1000 {
        7 => format!("{}.A", symbol(i)),
        8 => format!("{}.B", symbol(i)),
        _ => symbol(i),
    }
}

/// Chance that ticker `i` trades in a regular-hours minute: the top few hundred nearly always,
/// the tail rarely (about 450k minute bars a day over 10,000 tickers).
fn activity(i: usize) -> f64 {
    (3.0 / (1.0 + i as f64 / 50.0).powf(0.85)).min(0.97)
}

/// One ticker's minute bar.
struct Bar {
    ticker: usize,
    /// Minutes since midnight New York.
    minute: u32,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: u64,
    transactions: u64,
}

/// The bars of one day, ticker by ticker and minute by minute; `prices` carry over.
fn day_bars(rng: &mut Rng, tickers: usize, prices: &mut [f64]) -> Vec<Bar> {
    let mut bars = Vec::new();
    for (i, price) in prices.iter_mut().enumerate().take(tickers) {
        let p = activity(i);
        let base = 10f64.powf(4.5 - 2.5 * (i as f64 / tickers as f64)) * (0.5 + rng.unit());
        for minute in 4 * 60..20 * 60 {
            let regular = (9 * 60 + 30..16 * 60).contains(&minute);
            let chance = if regular { p } else { p * 0.12 };
            if rng.unit() >= chance {
                continue;
            }
            let open = round4(*price);
            let close = round4((open * (1.0 + 0.001 * rng.normal())).max(0.01));
            let high = round4(open.max(close) * (1.0 + 0.0005 * rng.unit()));
            let low = round4((open.min(close) * (1.0 - 0.0005 * rng.unit())).max(0.0001));
            let scale = if regular { 1.0 } else { 0.05 };
            let volume = (base * scale * (0.1 + 1.8 * rng.unit())).max(1.0) as u64;
            let transactions = (volume / 90).max(1);
            bars.push(Bar {
                ticker: i,
                minute,
                open,
                high,
                low,
                close,
                volume,
                transactions,
            });
            *price = close;
        }
    }
    bars
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Nanoseconds since 1970 of `minute` (since midnight New York) on `day`.
pub(super) fn nanos(day: NaiveDate, minute: u32) -> i64 {
    let local = day
        .and_hms_opt(minute / 60, minute % 60, 0)
        .expect("a minute of the day");
    chrono_tz::America::New_York
        .from_local_datetime(&local)
        .earliest()
        .expect("no DST gap between 04:00 and 20:00")
        .timestamp_nanos_opt()
        .expect("in range")
}

/// `days` weekdays from 2024-01-02.
pub(super) fn weekdays(days: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(days);
    let mut day = NaiveDate::from_ymd_opt(2024, 1, 2).expect("valid date");
    while out.len() < days {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(day);
        }
        day = day + Days::new(1);
    }
    out
}

pub(super) fn create(path: &Path) -> Result<Box<dyn Write>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let file = std::io::BufWriter::with_capacity(1 << 16, file);
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(file)
    })
}

fn polygon_path(out: &Path, dataset: &str, day: NaiveDate) -> PathBuf {
    out.join("us_stocks_sip")
        .join(dataset)
        .join(format!("{:04}", day.year()))
        .join(format!("{:02}", day.month()))
        .join(format!("{day}.csv.gz"))
}

/// Writes `days` day files of `tickers` tickers in `layout` under `out`.
pub fn generate(
    out: &Path,
    layout: Layout,
    tickers: usize,
    days: usize,
    seed: u64,
) -> Result<Generated> {
    let mut rng = Rng(seed);
    let mut prices: Vec<f64> = (0..tickers).map(|_| 2.0 + rng.unit() * 300.0).collect();
    let mut rows = 0u64;
    let days = weekdays(days);
    if layout == Layout::DatabentoRaw {
        write_symbology(out, tickers, &days)?;
    }
    for &day in &days {
        let bars = day_bars(&mut rng, tickers, &mut prices);
        let mut w = match layout {
            Layout::PolygonMinute => create(&polygon_path(out, "minute_aggs_v1", day))?,
            Layout::PolygonDay => create(&polygon_path(out, "day_aggs_v1", day))?,
            _ => create(
                &out.join("databento")
                    .join(format!("xnas-itch-{}.ohlcv-1m.csv", day.format("%Y%m%d"))),
            )?,
        };
        rows += match layout {
            Layout::PolygonMinute => polygon_minutes(&mut w, day, &bars)?,
            Layout::PolygonDay => polygon_days(&mut w, day, &bars)?,
            Layout::DatabentoRaw => databento(&mut w, day, bars, false)?,
            _ => databento(&mut w, day, bars, true)?,
        };
        w.flush()?;
    }
    Ok(Generated {
        files: days.len(),
        rows,
    })
}

const POLYGON_HEADER: &str = "ticker,volume,open,close,high,low,window_start,transactions";

fn polygon_minutes(w: &mut dyn Write, day: NaiveDate, bars: &[Bar]) -> Result<u64> {
    writeln!(w, "{POLYGON_HEADER}")?;
    for b in bars {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{}",
            ticker(b.ticker),
            b.volume,
            b.open,
            b.close,
            b.high,
            b.low,
            nanos(day, b.minute),
            b.transactions
        )?;
    }
    Ok(bars.len() as u64)
}

/// One row per ticker that traded, stamped at midnight New York as Polygon does.
fn polygon_days(w: &mut dyn Write, day: NaiveDate, bars: &[Bar]) -> Result<u64> {
    writeln!(w, "{POLYGON_HEADER}")?;
    let mut rows = 0;
    for group in bars.chunk_by(|a, b| a.ticker == b.ticker) {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let high = group.iter().map(|b| b.high).fold(f64::MIN, f64::max);
        let low = group.iter().map(|b| b.low).fold(f64::MAX, f64::min);
        let volume: u64 = group.iter().map(|b| b.volume).sum();
        let transactions: u64 = group.iter().map(|b| b.transactions).sum();
        writeln!(
            w,
            "{},{volume},{},{},{high},{low},{},{transactions}",
            ticker(first.ticker),
            first.open,
            last.close,
            nanos(day, 0)
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Databento writes a day in time order, instrument by instrument within a minute.
fn databento(w: &mut dyn Write, day: NaiveDate, mut bars: Vec<Bar>, pretty: bool) -> Result<u64> {
    bars.sort_by_key(|b| (b.minute, b.ticker));
    if pretty {
        writeln!(
            w,
            "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume,symbol"
        )?;
    } else {
        writeln!(
            w,
            "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume"
        )?;
    }
    for b in &bars {
        let id = instrument(b.ticker);
        let ns = nanos(day, b.minute);
        if pretty {
            let t = chrono::DateTime::from_timestamp_nanos(ns);
            writeln!(
                w,
                "{},33,2,{id},{:.9},{:.9},{:.9},{:.9},{},{}",
                t.format("%Y-%m-%dT%H:%M:%S%.9fZ"),
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume,
                ticker(b.ticker)
            )?;
        } else {
            let units = |p: f64| (p * 10_000.0).round() as i64 * 100_000;
            writeln!(
                w,
                "{ns},33,2,{id},{},{},{},{},{}",
                units(b.open),
                units(b.high),
                units(b.low),
                units(b.close),
                b.volume
            )?;
        }
    }
    Ok(bars.len() as u64)
}

pub(super) fn instrument(ticker: usize) -> u32 {
    1000 + ticker as u32 * 3
}

/// `symbology.json` as a batch download has it: each symbol's instrument id over the span.
pub(super) fn write_symbology(out: &Path, tickers: usize, days: &[NaiveDate]) -> Result<()> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(());
    };
    // Symbology is by UTC day: a bar after 19:00 New York in winter is on the next one.
    let end = *last + Days::new(2);
    let result: serde_json::Map<String, serde_json::Value> = (0..tickers)
        .map(|i| {
            let interval = serde_json::json!([{ "d0": first.to_string(), "d1": end.to_string(), "s": instrument(i).to_string() }]);
            (ticker(i), interval)
        })
        .collect();
    let doc = serde_json::json!({
        "result": result,
        "stype_in": "raw_symbol",
        "stype_out": "instrument_id",
        "start_date": first.to_string(),
        "end_date": end.to_string(),
        "message": "generated by stockdb",
        "status": 0,
    });
    let dir = out.join("databento");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("symbology.json"), serde_json::to_vec_pretty(&doc)?)?;
    Ok(())
}
