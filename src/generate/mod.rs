//! A deterministic, Kaggle-shaped synthetic tree (`stocks/`, `etfs/`, `symbols_valid_meta.csv`)
//! of any size, for benchmarks and tests: weekday trading days, random-walk prices, volumes
//! of realistic size, and some of the real files' quirks (float volumes, zero-volume days).
//!
//! The `Real` shape copies what matters for speed in the real Kaggle tree (issue 9): listing
//! dates spread from 1962 to 2021, so files run from 1 to ~15,000 rows and most are short, and
//! prices printed to 16-17 significant digits as Yahoo writes them. A uniform tree of
//! equal-length 14-year files hid a 6x slowdown that this shape shows.

pub mod ticks;
pub mod vendor;

use anyhow::{Context, Result};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::io::Write;
use std::path::Path;

/// SplitMix64: small, fast, and the same numbers on every machine for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal (sum of uniforms), mean 0, sd 1.
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// `AAAA`, `AAAB`, … : distinct four-letter symbols.
fn symbol(i: usize) -> String {
    let mut n = i;
    let mut s = [b'A'; 4];
    for c in s.iter_mut().rev() {
        *c = b'A' + (n % 26) as u8;
        n /= 26;
    }
    String::from_utf8_lossy(&s).into_owned()
}

/// How the files' histories are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Like the real Kaggle tree: listing dates from 1962 on, most files short.
    Real,
    /// Every file covers about the same number of years (`--years`).
    Uniform,
}

/// Relative number of listings per five-year span from 1962, measured on the Kaggle sample in
/// `shared/data/kaggle` (187 files): few before 1980, most after 2010.
const LISTINGS_PER_5_YEARS: [(i32, u32); 13] = [
    (1962, 2),
    (1965, 1),
    (1970, 2),
    (1975, 1),
    (1980, 10),
    (1985, 9),
    (1990, 10),
    (1995, 15),
    (2000, 15),
    (2005, 13),
    (2010, 20),
    (2015, 46),
    (2020, 40),
];

/// A listing date drawn from [`LISTINGS_PER_5_YEARS`], uniform within its span.
fn real_start(rng: &mut Rng, end: NaiveDate) -> NaiveDate {
    let total: u32 = LISTINGS_PER_5_YEARS.iter().map(|(_, w)| w).sum();
    let mut pick = (rng.unit() * f64::from(total)) as u32;
    let mut year = LISTINGS_PER_5_YEARS[0].0;
    for (y, w) in LISTINGS_PER_5_YEARS {
        if pick < w {
            year = y;
            break;
        }
        pick -= w;
    }
    let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
    let to = NaiveDate::from_ymd_opt(year + 5, 1, 1)
        .expect("valid date")
        .min(end);
    from + Days::new((rng.unit() * (to - from).num_days() as f64) as u64)
}

/// What `generate` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub files: usize,
    pub rows: u64,
}

/// Writes `symbols` files under `out`: of about `years` years each (uniform shape), or with
/// listing dates spread like the real tree's (real shape; `years` unused).
pub fn generate(
    out: &Path,
    symbols: usize,
    shape: Shape,
    years: u32,
    seed: u64,
) -> Result<Generated> {
    for dir in ["stocks", "etfs"] {
        std::fs::create_dir_all(out.join(dir))
            .with_context(|| format!("creating {}", out.join(dir).display()))?;
    }
    let mut meta =
        std::io::BufWriter::new(std::fs::File::create(out.join("symbols_valid_meta.csv"))?);
    writeln!(
        meta,
        "Nasdaq Traded,Symbol,Security Name,Listing Exchange,Market Category,ETF,Round Lot Size,Test Issue,Financial Status,CQS Symbol,NASDAQ Symbol,NextShares"
    )?;
    let end = NaiveDate::from_ymd_opt(2020, 12, 31).expect("valid date");
    let mut rows = 0;
    for i in 0..symbols {
        let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let sym = symbol(i);
        let etf = i % 5 == 4;
        writeln!(
            meta,
            "Y,{sym},{sym} {} - Common Stock,Q,{},{},100.0,N,N,,{sym},N",
            if etf { "Index Fund" } else { "Holdings Inc." },
            if etf { " " } else { "Q" },
            if etf { "Y" } else { "N" }
        )?;
        let start = match shape {
            Shape::Real => real_start(&mut rng, end),
            // Listing dates differ: up to a quarter of the history is missing for some symbols.
            Shape::Uniform => {
                let skip_days = (rng.unit() * f64::from(years) * 91.0) as u64;
                end - Days::new(u64::from(years) * 365) + Days::new(skip_days)
            }
        };
        let float_volume = i % 7 == 3; // as in the Kaggle files that have empty rows
        let path = out
            .join(if etf { "etfs" } else { "stocks" })
            .join(format!("{sym}.csv"));
        let mut w = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&path)?);
        writeln!(w, "Date,Open,High,Low,Close,Adj Close,Volume")?;
        let mut price = 5.0 + rng.unit() * 200.0;
        let base_volume = 10f64.powf(4.0 + rng.unit() * 3.5);
        let mut day = start;
        while day <= end {
            if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                let open = price * (1.0 + 0.01 * rng.normal());
                let close = open * (1.0 + 0.015 * rng.normal());
                let high = open.max(close) * (1.0 + 0.01 * rng.unit());
                let low = open.min(close) * (1.0 - 0.01 * rng.unit());
                let adj = close * 0.97;
                let volume = if rng.unit() < 0.002 {
                    0
                } else {
                    (base_volume * (0.3 + 1.4 * rng.unit())) as u64
                };
                match shape {
                    // Yahoo's single-precision prices printed as doubles: 0.1283482164144516.
                    Shape::Real => {
                        let p = |v: f64| f64::from(v as f32);
                        write!(
                            w,
                            "{day},{},{},{},{},{},{volume}",
                            p(open),
                            p(high),
                            p(low),
                            p(close),
                            p(adj)
                        )?
                    }
                    Shape::Uniform => write!(
                        w,
                        "{day},{open:.6},{high:.6},{low:.6},{close:.6},{adj:.6},{volume}"
                    )?,
                }
                if float_volume {
                    write!(w, ".0")?;
                }
                writeln!(w)?;
                rows += 1;
                price = close.max(0.01);
            }
            day = day + Days::new(1);
        }
        w.flush()?;
    }
    meta.flush()?;
    Ok(Generated {
        files: symbols,
        rows,
    })
}

/// How a symbol trades in [`generate_intraday`]: what shapes minute files in real downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activity {
    /// A bar every regular-session minute (390 a day).
    Liquid,
    /// Regular minutes plus sparse pre- and post-market bars (Alpha Vantage "extended").
    Extended,
    /// Minutes without trades have no bar: about a third of the regular minutes.
    Illiquid,
}

/// Writes `symbols` one-minute bar files of up to `days` weekdays from 2024-01-02 (across
/// the March DST change) under `out/intraday`: most symbols liquid, a fifth with extended
/// hours, a fifth illiquid, a tenth listed partway; half the files in Alpha Vantage's shape
/// (`intraday_1min_SYM.csv`, newest first), half generic (`SYM_1min.csv`, oldest first).
/// Times are naive New York exchange time.
pub fn generate_intraday(out: &Path, symbols: usize, days: usize, seed: u64) -> Result<Generated> {
    let dir = out.join("intraday");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut weekdays = Vec::with_capacity(days);
    let mut day = NaiveDate::from_ymd_opt(2024, 1, 2).expect("valid date");
    while weekdays.len() < days {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            weekdays.push(day);
        }
        day = day + Days::new(1);
    }
    let mut rows = 0;
    for i in 0..symbols {
        let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0x9E6C_63D0_676A_9A99));
        let sym = symbol(i);
        let activity = match i % 5 {
            1 => Activity::Extended,
            3 => Activity::Illiquid,
            _ => Activity::Liquid,
        };
        let listed = if i % 10 == 7 {
            (rng.unit() * days as f64) as usize
        } else {
            0
        };
        let newest_first = i % 2 == 0;
        let mut price = 5.0 + rng.unit() * 400.0;
        let base_volume = 10f64.powf(2.0 + rng.unit() * 2.5);
        let mut bars: Vec<String> = Vec::new();
        for day in &weekdays[listed..] {
            let (from, to) = match activity {
                Activity::Extended => (4 * 60, 20 * 60),
                _ => (9 * 60 + 30, 16 * 60),
            };
            for minute in from..to {
                let regular = (9 * 60 + 30..16 * 60).contains(&minute);
                let present = match activity {
                    Activity::Liquid => true,
                    Activity::Extended => regular || rng.unit() < 0.3,
                    Activity::Illiquid => rng.unit() < 0.35,
                };
                if !present {
                    continue;
                }
                let open = price;
                let close = (open * (1.0 + 0.0008 * rng.normal())).max(0.01);
                let high = open.max(close) * (1.0 + 0.0004 * rng.unit());
                let low = open.min(close) * (1.0 - 0.0004 * rng.unit());
                let volume = if rng.unit() < 0.02 {
                    0
                } else {
                    (base_volume * (0.2 + 1.6 * rng.unit()) * if regular { 1.0 } else { 0.05 })
                        as u64
                };
                bars.push(format!(
                    "{day} {:02}:{:02}:00,{open:.4},{high:.4},{low:.4},{close:.4},{volume}",
                    minute / 60,
                    minute % 60
                ));
                price = close;
            }
        }
        if newest_first {
            bars.reverse();
        }
        let (name, header) = if newest_first {
            (format!("intraday_1min_{sym}.csv"), "timestamp")
        } else {
            (format!("{sym}_1min.csv"), "datetime")
        };
        let mut w =
            std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(dir.join(name))?);
        writeln!(w, "{header},open,high,low,close,volume")?;
        for bar in &bars {
            writeln!(w, "{bar}")?;
        }
        w.flush()?;
        rows += bars.len() as u64;
    }
    Ok(Generated {
        files: symbols,
        rows,
    })
}

/// Writes a day-by-day exchange event tree under `out/events` shaped like the capstone's
/// Spark output: `csv/<day>/NYSE/part-00000.txt` (positional T/Q records) and
/// `json/<day>/NASDAQ/part-00000.txt` (JSON lines), `quotes` quotes a day in all, about one
/// trade for every eight quotes, between 09:30 and 16:00 New York time. Activity is skewed
/// as in real markets (symbol i gets a share proportional to 1/(i+1)^0.8), and about 0.5%
/// of each day's events arrive again in a late correction file (`part-00001.txt`, arrival
/// 12:00) with changed values.
pub fn generate_events(
    out: &Path,
    symbols: usize,
    days: usize,
    quotes: u64,
    seed: u64,
) -> Result<Generated> {
    let mut weekdays = Vec::with_capacity(days);
    let mut day = NaiveDate::from_ymd_opt(2020, 8, 3).expect("valid date");
    while weekdays.len() < days {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            weekdays.push(day);
        }
        day = day + Days::new(1);
    }
    let weights: Vec<f64> = (0..symbols)
        .map(|i| 1.0 / ((i + 1) as f64).powf(0.8))
        .collect();
    let total: f64 = weights.iter().sum();
    let mut prices: Vec<f64> = {
        let mut rng = Rng(seed);
        (0..symbols).map(|_| 5.0 + rng.unit() * 300.0).collect()
    };
    let (mut files, mut rows) = (0, 0);
    for (d, day) in weekdays.iter().enumerate() {
        for (exchange, json, share) in [("NYSE", false, 0.6), ("NASDAQ", true, 0.4)] {
            let tree = if json { "json" } else { "csv" };
            let dir = out
                .join("events")
                .join(tree)
                .join(day.to_string())
                .join(exchange);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut w = std::io::BufWriter::with_capacity(
                1 << 16,
                std::fs::File::create(dir.join("part-00000.txt"))?,
            );
            let mut late: Vec<String> = Vec::new();
            let record = |arrival: &str,
                          trade: bool,
                          sym: &str,
                          tm: &str,
                          seq: u64,
                          v: [f64; 4]| {
                match (json, trade) {
                    (false, true) => format!(
                        "{day},{day} {arrival}.0,T,{sym},{tm},{seq},{exchange},{},{}",
                        v[0], v[1] as u64
                    ),
                    (false, false) => format!(
                        "{day},{day} {arrival}.0,Q,{sym},{tm},{seq},{exchange},{},{},{},{}",
                        v[0], v[1] as u64, v[2], v[3] as u64
                    ),
                    (true, true) => format!(
                        r#"{{"trade_dt":"{day}","file_tm":"{day} {arrival}.000","event_type":"T","symbol":"{sym}","execution_id":"EX-{seq}","event_tm":"{tm}","event_seq_nb":{seq},"exchange":"{exchange}","price":{},"size":{}}}"#,
                        v[0], v[1] as u64
                    ),
                    (true, false) => format!(
                        r#"{{"trade_dt":"{day}","file_tm":"{day} {arrival}.000","event_type":"Q","symbol":"{sym}","event_tm":"{tm}","event_seq_nb":{seq},"exchange":"{exchange}","bid_pr":{},"bid_size":{},"ask_pr":{},"ask_size":{}}}"#,
                        v[0], v[1] as u64, v[2], v[3] as u64
                    ),
                }
            };
            for (i, price) in prices.iter_mut().enumerate() {
                let mut rng = Rng(seed
                    ^ ((d * 7919 + i) as u64).wrapping_mul(0x9E6C_63D0_676A_9A99)
                    ^ u64::from(json));
                let n_quotes = (quotes as f64 * share * weights[i] / total).round() as u64;
                let n = n_quotes + n_quotes / 8;
                if n == 0 {
                    continue;
                }
                let sym = symbol(i);
                // Event times: sorted uniform milliseconds over the regular session.
                let session_ms = 390 * 60 * 1000;
                let mut times: Vec<u64> = (0..n)
                    .map(|_| (rng.unit() * session_ms as f64) as u64)
                    .collect();
                times.sort_unstable();
                for (k, ms) in times.iter().enumerate() {
                    let at = 9 * 3_600_000 + 30 * 60_000 + ms;
                    let tm = format!(
                        "{day} {:02}:{:02}:{:02}.{:03}",
                        at / 3_600_000,
                        at / 60_000 % 60,
                        at / 1000 % 60,
                        at % 1000
                    );
                    let seq = k as u64 + 1;
                    let trade = rng.unit() < 1.0 / 9.0;
                    *price = (*price * (1.0 + 0.0005 * rng.normal())).max(0.01);
                    let v = if trade {
                        [
                            (*price * 100.0).round() / 100.0,
                            (1.0 + rng.unit() * 9.0).floor() * 100.0,
                            0.0,
                            0.0,
                        ]
                    } else {
                        let bid = (*price * 100.0).floor() / 100.0;
                        [
                            bid,
                            (1.0 + rng.unit() * 5.0).floor() * 100.0,
                            (bid * 100.0 + 1.0 + (rng.unit() * 5.0).floor()).round() / 100.0,
                            (1.0 + rng.unit() * 5.0).floor() * 100.0,
                        ]
                    };
                    writeln!(w, "{}", record("09:30:00", trade, &sym, &tm, seq, v))?;
                    rows += 1;
                    if rng.unit() < 0.005 {
                        let mut changed = v;
                        changed[0] = ((v[0] + 0.01) * 100.0).round() / 100.0;
                        late.push(record("12:00:00", trade, &sym, &tm, seq, changed));
                    }
                }
            }
            w.flush()?;
            files += 1;
            if !late.is_empty() {
                let mut w =
                    std::io::BufWriter::new(std::fs::File::create(dir.join("part-00001.txt"))?);
                for line in &late {
                    writeln!(w, "{line}")?;
                }
                w.flush()?;
                files += 1;
                rows += late.len() as u64;
            }
        }
    }
    Ok(Generated { files, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intraday_files_have_the_real_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate_intraday(dir.path(), 10, 3, 5).unwrap();
        assert_eq!(g.files, 10);
        let read =
            |name: &str| std::fs::read_to_string(dir.path().join("intraday").join(name)).unwrap();
        let liquid = read("intraday_1min_AAAA.csv");
        assert!(liquid.starts_with("timestamp,open,high,low,close,volume\n2024-01-04 15:59:00,"));
        assert_eq!(liquid.lines().count(), 1 + 3 * 390);
        let extended = read("AAAB_1min.csv");
        assert!(extended.starts_with("datetime,"));
        assert!(
            extended.lines().count() > 1 + 3 * 390,
            "pre- and post-market bars"
        );
        let illiquid = read("AAAD_1min.csv");
        assert!(
            illiquid.lines().count() < 1 + 3 * 200,
            "most minutes have no bar"
        );
    }

    #[test]
    fn event_trees_have_the_capstone_layout_and_skew() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate_events(dir.path(), 20, 2, 20_000, 3).unwrap();
        let nyse = dir.path().join("events/csv/2020-08-03/NYSE/part-00000.txt");
        let text = std::fs::read_to_string(&nyse).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("2020-08-03,2020-08-03 09:30:00.0,"),
            "{first}"
        );
        let count = |sym: &str| text.lines().filter(|l| l.contains(sym)).count();
        assert!(count(",AAAA,") > 3 * count(",AAAT,"), "activity is skewed");
        let json = dir
            .path()
            .join("events/json/2020-08-04/NASDAQ/part-00000.txt");
        assert!(
            std::fs::read_to_string(json)
                .unwrap()
                .starts_with("{\"trade_dt\":\"2020-08-04\"")
        );
        assert!(g.rows > 2 * 20_000, "quotes and trades on two days");
    }

    #[test]
    fn symbols_are_distinct_letters() {
        assert_eq!(symbol(0), "AAAA");
        assert_eq!(symbol(27), "AABB");
        assert_ne!(symbol(5000), symbol(5001));
    }

    #[test]
    fn the_same_seed_gives_the_same_tree() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ga = generate(a.path(), 6, Shape::Uniform, 1, 7).unwrap();
        let gb = generate(b.path(), 6, Shape::Uniform, 1, 7).unwrap();
        assert_eq!(ga, gb);
        assert_eq!(ga.files, 6);
        let read = |d: &Path| std::fs::read_to_string(d.join("stocks/AAAA.csv")).unwrap();
        assert_eq!(read(a.path()), read(b.path()));
        assert!(a.path().join("etfs/AAAE.csv").exists());
        let text = read(a.path());
        assert!(text.lines().count() > 150, "about a year of weekdays");
    }

    #[test]
    fn the_real_shape_spreads_listings_over_decades() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate(dir.path(), 200, Shape::Real, 0, 3).unwrap();
        let mut first_years = Vec::new();
        let mut lengths = Vec::new();
        for sub in ["stocks", "etfs"] {
            for e in std::fs::read_dir(dir.path().join(sub)).unwrap() {
                let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
                lengths.push(text.lines().count() - 1);
                first_years.push(text.lines().nth(1).map(|l| l[..4].parse::<i32>().unwrap()));
            }
        }
        let years: Vec<i32> = first_years.into_iter().flatten().collect();
        assert!(years.iter().any(|&y| y < 1980), "some listings before 1980");
        assert!(
            years.iter().filter(|&&y| y >= 2010).count() > 80,
            "most after 2010"
        );
        lengths.sort_unstable();
        assert!(
            lengths[20] < 500,
            "a tenth of the files are short: {:?}",
            &lengths[..25]
        );
        assert!(*lengths.last().unwrap() > 9_000, "some span decades");
        let mean = g.rows as f64 / 200.0;
        assert!(
            (2_500.0..4_500.0).contains(&mean),
            "mean rows per file {mean}"
        );
    }
}
