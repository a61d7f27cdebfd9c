//! Full-market trade and quote day files in the vendors' published layouts (issue 44), with
//! our own rows: Polygon/Massive `trades_v1` and `quotes_v1`, Databento `trades` and `mbp-1`
//! (raw with `symbology.json`, or pretty with a symbol column), NYSE Daily TAQ trades and NBBO
//! (with the `END` trailer). Shaped like the market: activity skewed across tickers, most
//! trades in regular hours, a third of them off-exchange through a TRF; with the vendors'
//! quirks: empty fields, quoted condition lists, corrections, crossed quotes, one-sided books.
//!
//! Polygon and TAQ files are written ticker by ticker, streaming (a 70M-trade day needs no
//! more memory than its busiest ticker). Databento files are in time order across
//! instruments, as Databento writes them, so a day is sorted in memory first.

use super::vendor::{create, instrument, nanos, ticker, weekdays, write_symbology};
use super::{Generated, Rng};
use anyhow::Result;
use chrono::{Datelike, NaiveDate, TimeZone};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which trade/quote layout `stockdb generate --vendor` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ticks {
    PolygonTrades,
    PolygonQuotes,
    DatabentoTrades { pretty: bool },
    DatabentoMbp1 { pretty: bool },
    TaqTrades,
    TaqNbbo,
}

/// One generated event of a ticker.
struct Tick {
    ticker: usize,
    /// Nanoseconds since the epoch (the SIP's time, Databento's ts_event).
    ns: i64,
    seq: u64,
    exchange: usize,
    kind: Kind,
}

enum Kind {
    Trade {
        price: f64,
        size: u32,
        /// Polygon condition codes; empty for a regular trade.
        conditions: &'static str,
        correction: u8,
    },
    Quote {
        bid: f64,
        ask: f64,
        bid_size: u32,
        ask_size: u32,
        /// The book's bid side is empty (Databento's null price).
        one_sided: bool,
    },
}

/// Polygon's exchange ids, with how often each reports a trade (4: the TRFs, off-exchange).
const POLYGON_EXCHANGES: [(u8, f64); 12] = [
    (4, 0.34),
    (12, 0.16),
    (11, 0.09),
    (10, 0.08),
    (19, 0.07),
    (8, 0.07),
    (21, 0.05),
    (15, 0.04),
    (18, 0.03),
    (7, 0.03),
    (2, 0.02),
    (1, 0.02),
];
/// The TAQ participant letter of each Polygon id above (published beside each other).
fn taq_letter(polygon: u8) -> char {
    match polygon {
        1 => 'A',
        2 => 'B',
        4 => 'D',
        7 => 'J',
        8 => 'K',
        10 => 'N',
        11 => 'P',
        12 => 'Q',
        15 => 'V',
        18 => 'Y',
        19 => 'Z',
        21 => 'U',
        _ => 'D',
    }
}

fn pick_exchange(rng: &mut Rng) -> usize {
    let mut u = rng.unit();
    for (i, (_, p)) in POLYGON_EXCHANGES.iter().enumerate() {
        if u < *p {
            return i;
        }
        u -= p;
    }
    1
}

/// `per_day` events of one kind spread over `tickers`: each ticker's share, skewed as in the
/// market (of 10,000 tickers the busiest has 2% of the day, the 100th 0.14%, the median
/// 0.002%: 1.4M, 100k and 1,500 trades of a 70M-trade day).
fn shares(tickers: usize, per_day: u64) -> Vec<u64> {
    let weights: Vec<f64> = (0..tickers)
        .map(|i| 1.0 / (1.0 + i as f64 / 10.0).powf(1.1))
        .collect();
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| (per_day as f64 * w / total).round() as u64)
        .collect()
}

/// One ticker's events of a day, in time order: trades or quotes (`quotes`), or both mixed
/// (`mixed`, for mbp-1: a trade now and then among the book's updates).
fn ticker_ticks(
    rng: &mut Rng,
    i: usize,
    n: u64,
    day: NaiveDate,
    price: &mut f64,
    quotes: bool,
    seq: &mut u64,
) -> Vec<Tick> {
    let (open, close) = (nanos(day, 9 * 60 + 30), nanos(day, 16 * 60));
    let (pre, post) = (nanos(day, 4 * 60), nanos(day, 20 * 60));
    let mut times: Vec<i64> = (0..n)
        .map(|_| {
            let u = rng.unit();
            if u < 0.9 {
                open + (rng.unit() * (close - open) as f64) as i64
            } else if u < 0.95 {
                pre + (rng.unit() * (open - pre) as f64) as i64
            } else {
                close + (rng.unit() * (post - close) as f64) as i64
            }
        })
        .collect();
    times.sort_unstable();
    let mut out = Vec::with_capacity(times.len());
    for ns in times {
        *price = (*price * (1.0 + 0.0002 * rng.normal())).max(0.05);
        *seq += 1 + (rng.next() % 3);
        let exchange = pick_exchange(rng);
        let kind = if quotes {
            let spread = (*price * 0.0004).max(0.01);
            let bid = round2(*price - spread / 2.0);
            // About one quote in 2,000 is crossed (the ask of another exchange below the bid).
            let crossed = rng.unit() < 0.0005;
            let ask = if crossed {
                round2(bid - 0.01)
            } else {
                round2(bid + spread).max(bid + 0.01)
            };
            Kind::Quote {
                bid,
                ask: round2(ask),
                bid_size: 100 * (1 + (rng.next() % 20) as u32),
                ask_size: 100 * (1 + (rng.next() % 20) as u32),
                one_sided: rng.unit() < 0.001,
            }
        } else {
            let odd = rng.unit() < 0.4;
            let regular = (open..close).contains(&ns);
            let conditions = match (regular, odd) {
                (true, false) => "",
                (true, true) => "37",
                (false, false) => "12",
                (false, true) => "12,37",
            };
            let sub_penny = POLYGON_EXCHANGES[exchange].0 == 4 && rng.unit() < 0.3;
            let price = if sub_penny {
                round4(*price)
            } else {
                round2(*price)
            };
            Kind::Trade {
                price,
                size: if odd {
                    1 + (rng.next() % 99) as u32
                } else {
                    100 * (1 + (rng.next() % 10) as u32)
                },
                conditions,
                // One trade in 10,000 is a correction.
                correction: u8::from(rng.unit() < 0.0001),
            }
        };
        out.push(Tick {
            ticker: i,
            ns,
            seq: *seq,
            exchange,
            kind,
        });
    }
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn path_of(out: &Path, layout: Ticks, day: NaiveDate) -> PathBuf {
    let compact = day.format("%Y%m%d");
    match layout {
        Ticks::PolygonTrades | Ticks::PolygonQuotes => out
            .join("us_stocks_sip")
            .join(if layout == Ticks::PolygonTrades {
                "trades_v1"
            } else {
                "quotes_v1"
            })
            .join(format!("{:04}", day.year()))
            .join(format!("{:02}", day.month()))
            .join(format!("{day}.csv.gz")),
        Ticks::DatabentoTrades { .. } => out
            .join("databento")
            .join(format!("xnas-itch-{compact}.trades.csv")),
        Ticks::DatabentoMbp1 { .. } => out
            .join("databento")
            .join(format!("xnas-itch-{compact}.mbp-1.csv")),
        Ticks::TaqTrades => out
            .join("taq")
            .join(format!("EQY_US_ALL_TRADE_{compact}.gz")),
        Ticks::TaqNbbo => out
            .join("taq")
            .join(format!("EQY_US_ALL_NBBO_{compact}.gz")),
    }
}

/// Writes `days` day files of `tickers` tickers, `trades` trades or `quotes` quotes a day.
pub fn generate(
    out: &Path,
    layout: Ticks,
    tickers: usize,
    days: usize,
    per_day: u64,
    seed: u64,
) -> Result<Generated> {
    let mut rng = Rng(seed);
    let mut prices: Vec<f64> = (0..tickers).map(|_| 2.0 + rng.unit() * 300.0).collect();
    let days = weekdays(days);
    if matches!(
        layout,
        Ticks::DatabentoTrades { pretty: false } | Ticks::DatabentoMbp1 { pretty: false }
    ) {
        write_symbology(out, tickers, &days)?;
    }
    let quotes = matches!(
        layout,
        Ticks::PolygonQuotes | Ticks::TaqNbbo | Ticks::DatabentoMbp1 { .. }
    );
    let share = shares(tickers, per_day);
    let mut rows = 0;
    for &day in &days {
        let mut w = create(&path_of(out, layout, day))?;
        write_header(&mut w, layout)?;
        let mut seq = 0u64;
        let mut written = 0u64;
        match layout {
            Ticks::DatabentoTrades { pretty } | Ticks::DatabentoMbp1 { pretty } => {
                let mut all = Vec::new();
                for i in 0..tickers {
                    all.extend(ticker_ticks(
                        &mut rng,
                        i,
                        share[i],
                        day,
                        &mut prices[i],
                        quotes,
                        &mut seq,
                    ));
                    if quotes {
                        // mbp-1 carries the trades too: one for every ten book updates.
                        all.extend(ticker_ticks(
                            &mut rng,
                            i,
                            share[i] / 10,
                            day,
                            &mut prices[i],
                            false,
                            &mut seq,
                        ));
                    }
                }
                all.sort_by_key(|t| (t.ns, t.ticker));
                for (n, t) in all.iter().enumerate() {
                    databento_row(&mut w, t, n as u64 + 1, pretty, quotes)?;
                }
                written = all.len() as u64;
            }
            _ => {
                for i in 0..tickers {
                    for t in
                        ticker_ticks(&mut rng, i, share[i], day, &mut prices[i], quotes, &mut seq)
                    {
                        row(&mut w, layout, &t)?;
                        written += 1;
                    }
                }
            }
        }
        if matches!(layout, Ticks::TaqTrades | Ticks::TaqNbbo) {
            writeln!(w, "END|{}|{written}|||||||||||||", day.format("%Y%m%d"))?;
        }
        w.flush()?;
        rows += written;
    }
    Ok(Generated {
        files: days.len(),
        rows,
    })
}

fn write_header(w: &mut dyn Write, layout: Ticks) -> Result<()> {
    let header = match layout {
        Ticks::PolygonTrades => {
            "ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp"
        }
        Ticks::PolygonQuotes => {
            "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,conditions,indicators,participant_timestamp,sequence_number,sip_timestamp,tape,trf_timestamp"
        }
        Ticks::DatabentoTrades { pretty } => {
            if pretty {
                "ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence,symbol"
            } else {
                "ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence"
            }
        }
        Ticks::DatabentoMbp1 { pretty } => {
            if pretty {
                "ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence,bid_px_00,ask_px_00,bid_sz_00,ask_sz_00,bid_ct_00,ask_ct_00,symbol"
            } else {
                "ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence,bid_px_00,ask_px_00,bid_sz_00,ask_sz_00,bid_ct_00,ask_ct_00"
            }
        }
        Ticks::TaqTrades => {
            "Time|Exchange|Symbol|Sale Condition|Trade Volume|Trade Price|Trade Stop Stock Indicator|Trade Correction Indicator|Sequence Number|Trade Id|Source of Trade|Trade Reporting Facility|Participant Timestamp|Trade Reporting Facility TRF Timestamp|Trade Through Exempt Indicator"
        }
        Ticks::TaqNbbo => {
            "Time|Exchange|Symbol|Bid_Price|Bid_Size|Offer_Price|Offer_Size|Quote_Condition|Sequence_Number|National_BBO_Ind|FINRA_BBO_Indicator|FINRA_ADF_MPID_Indicator|Quote_Cancel_Correction|Source_Of_Quote|Best_Bid_Quote_Condition|Best_Bid_Exchange|Best_Bid_Price|Best_Bid_Size|Best_Bid_FINRA_Market_Maker_ID|Best_Offer_Quote_Condition|Best_Offer_Exchange|Best_Offer_Price|Best_Offer_Size|Best_Offer_FINRA_Market_Maker_ID|LULD_Indicator|LULD_NBBO_Indicator|SIP_Generated_Message_Identifier|Participant_Timestamp|FINRA_ADF_Timestamp|Security_Status_Indicator"
        }
    };
    writeln!(w, "{header}")?;
    Ok(())
}

/// A Polygon or TAQ row.
fn row(w: &mut dyn Write, layout: Ticks, t: &Tick) -> Result<()> {
    let name = ticker(t.ticker);
    let tape = 1 + t.ticker % 3;
    let code = POLYGON_EXCHANGES[t.exchange].0;
    // The exchange stamps its time 50-900 µs before the SIP does.
    let participant = t.ns - 50_000 - (t.seq as i64 % 850) * 1000;
    match (&t.kind, layout) {
        (
            Kind::Trade {
                price,
                size,
                conditions,
                correction,
            },
            Ticks::PolygonTrades,
        ) => {
            let quoted = if conditions.contains(',') {
                format!("\"{conditions}\"")
            } else {
                conditions.to_string()
            };
            let correction = if *correction > 0 { "1" } else { "" };
            let (trf_id, trf_ts) = if code == 4 {
                (format!("{}", 201 + t.seq % 3), format!("{}", t.ns - 20_000))
            } else {
                (String::new(), String::new())
            };
            writeln!(
                w,
                "{name},{quoted},{correction},{code},{},{participant},{price},{},{},{size},{tape},{trf_id},{trf_ts}",
                52_983_525_000_000 + t.seq,
                t.seq,
                t.ns
            )?;
        }
        (
            Kind::Quote {
                bid,
                ask,
                bid_size,
                ask_size,
                ..
            },
            Ticks::PolygonQuotes,
        ) => {
            writeln!(
                w,
                "{name},{code},{ask},{},{code},{bid},{},1,,{participant},{},{},{tape},",
                ask_size / 100,
                bid_size / 100,
                t.seq,
                t.ns
            )?;
        }
        (
            Kind::Trade {
                price,
                size,
                conditions,
                correction,
            },
            Ticks::TaqTrades,
        ) => {
            // TAQ's sale condition: four characters, `@` regular, `T` extended hours, `I` odd lot.
            let cond = match *conditions {
                "" => "@   ",
                "37" => "@  I",
                "12" => "@ T ",
                _ => "@ TI",
            };
            let (trf, trf_time) = if code == 4 {
                ("Q".to_string(), taq_time(t.ns - 20_000))
            } else {
                (String::new(), String::new())
            };
            let fields = [
                taq_time(t.ns),
                taq_letter(code).to_string(),
                name.replace('.', " "),
                cond.to_string(),
                size.to_string(),
                format!("{price:.4}"),
                "N".into(),
                format!("{:02}", correction),
                t.seq.to_string(),
                (t.seq % 100_000).to_string(),
                if tape == 3 { "N" } else { "C" }.into(),
                trf,
                taq_time(participant),
                trf_time,
                String::new(),
            ];
            writeln!(w, "{}", fields.join("|"))?;
        }
        (
            Kind::Quote {
                bid,
                ask,
                bid_size,
                ask_size,
                ..
            },
            Ticks::TaqNbbo,
        ) => {
            let letter = taq_letter(code).to_string();
            let (bid, ask) = (format!("{bid:.4}"), format!("{ask:.4}"));
            let (bs, asz) = ((bid_size / 100).to_string(), (ask_size / 100).to_string());
            let e = String::new;
            let fields = [
                taq_time(t.ns),
                letter.clone(),
                name.replace('.', " "),
                bid.clone(),
                bs.clone(),
                ask.clone(),
                asz.clone(),
                "R".into(),
                t.seq.to_string(),
                "4".into(),
                e(),
                e(),
                e(),
                if tape == 3 { "N" } else { "C" }.into(),
                "R".into(),
                letter.clone(),
                bid,
                bs,
                e(),
                "R".into(),
                letter,
                ask,
                asz,
                e(),
                e(),
                e(),
                e(),
                taq_time(participant),
                e(),
                e(),
            ];
            writeln!(w, "{}", fields.join("|"))?;
        }
        _ => {}
    }
    Ok(())
}

/// A Databento row: trades, or mbp-1's book updates and trades.
fn databento_row(
    w: &mut dyn Write,
    t: &Tick,
    sequence: u64,
    pretty: bool,
    mbp: bool,
) -> Result<()> {
    let id = instrument(t.ticker);
    let recv = t.ns + 15_000;
    let stamp = |ns: i64| -> String {
        if pretty {
            chrono::DateTime::from_timestamp_nanos(ns)
                .format("%Y-%m-%dT%H:%M:%S%.9fZ")
                .to_string()
        } else {
            ns.to_string()
        }
    };
    let px = |p: Option<f64>| -> String {
        match (p, pretty) {
            (Some(p), true) => format!("{p:.9}"),
            (Some(p), false) => ((p * 10_000.0).round() as i64 * 100_000).to_string(),
            (None, true) => String::new(),
            (None, false) => i64::MAX.to_string(),
        }
    };
    let symbol = if pretty {
        format!(",{}", ticker(t.ticker))
    } else {
        String::new()
    };
    match &t.kind {
        Kind::Trade { price, size, .. } => {
            // mbp-1 gives the book's top beside each trade.
            let book = match mbp {
                true => format!(
                    ",{},{},100,100,1,1",
                    px(Some(round2(price - 0.01))),
                    px(Some(round2(price + 0.01)))
                ),
                false => String::new(),
            };
            write!(
                w,
                "{},{},{},2,{id},T,{},0,{},{size},130,15000,{sequence}{book}",
                stamp(recv),
                stamp(t.ns),
                u8::from(mbp),
                if t.seq.is_multiple_of(2) { 'B' } else { 'A' },
                px(Some(*price)),
            )?;
        }
        Kind::Quote {
            bid,
            ask,
            bid_size,
            ask_size,
            one_sided,
        } => {
            let bid = (!*one_sided).then_some(*bid);
            write!(
                w,
                "{},{},1,2,{id},A,B,0,{},{bid_size},130,15000,{sequence},{},{},{},{ask_size},1,1",
                stamp(recv),
                stamp(t.ns),
                px(bid.or(Some(*ask))),
                px(bid),
                px(Some(*ask)),
                if *one_sided { &0 } else { bid_size },
            )?;
        }
    }
    writeln!(w, "{symbol}")?;
    Ok(())
}

/// `HHMMSSNNNNNNNNN` New York time of a UTC nanosecond time.
fn taq_time(ns: i64) -> String {
    let utc = chrono::DateTime::from_timestamp_nanos(ns);
    let local = chrono_tz::America::New_York.from_utc_datetime(&utc.naive_utc());
    format!(
        "{}{:09}",
        local.format("%H%M%S"),
        ns.rem_euclid(1_000_000_000)
    )
}
