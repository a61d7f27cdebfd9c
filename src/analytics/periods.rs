//! Period aggregates computed by the loader from a file's rows, for a symbol's first load on
//! the table tiers: writing the finished rows costs a fifth of recomputing them from
//! `market.daily_prices` (see BENCHMARKS.md). Same columns and meaning as
//! `market.refresh_period_tables` in migrations/V2; tests/report.rs checks they agree.

use crate::db::copy;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// A period of the aggregates, in the order of [`super::PERIODS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    /// All periods, in the order of [`super::PERIODS`].
    pub const ALL: [Period; 4] = [Period::Week, Period::Month, Period::Quarter, Period::Year];

    /// First day of the period holding `day` (weeks start on Monday, as `date_trunc('week')`).
    pub fn bucket(self, day: NaiveDate) -> NaiveDate {
        let first_of = |month: u32| NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day);
        match self {
            Period::Week => {
                day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
            }
            Period::Month => first_of(day.month()),
            Period::Quarter => first_of((day.month0() / 3) * 3 + 1),
            Period::Year => first_of(1),
        }
    }
}

impl Period {
    /// First day of the period after the one holding `day`.
    pub fn next(self, day: NaiveDate) -> NaiveDate {
        let start = self.bucket(day);
        match self {
            Period::Week => start + chrono::Days::new(7),
            Period::Month => start + chrono::Months::new(1),
            Period::Quarter => start + chrono::Months::new(3),
            Period::Year => start + chrono::Months::new(12),
        }
    }
}

/// One row of a period aggregate, being accumulated.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub trading_days: i64,
    first_day: NaiveDate,
    pub open: f64,
    last_day: NaiveDate,
    pub close: f64,
    pub high: f64,
    pub low: f64,
    /// i128: the column is bigint, and a sum past it must be noticed, not wrapped.
    volume: i128,
    sum_high: f64,
    sum_low: f64,
    sum_close: f64,
}

impl Bucket {
    fn new(day: NaiveDate, p: &Prices) -> Self {
        Bucket {
            trading_days: 0,
            first_day: day,
            open: p.open,
            last_day: day,
            close: p.close,
            high: p.high,
            low: p.low,
            volume: 0,
            sum_high: 0.0,
            sum_low: 0.0,
            sum_close: 0.0,
        }
    }

    fn add(&mut self, day: NaiveDate, p: &Prices) {
        self.trading_days += 1;
        if day < self.first_day {
            self.first_day = day;
            self.open = p.open;
        }
        if day > self.last_day {
            self.last_day = day;
            self.close = p.close;
        }
        self.high = self.high.max(p.high);
        self.low = self.low.min(p.low);
        self.volume += i128::from(p.volume);
        self.sum_high += p.high;
        self.sum_low += p.low;
        self.sum_close += p.close;
    }

    /// Total volume, or None when it does not fit the bigint column.
    pub fn volume(&self) -> Option<i64> {
        i64::try_from(self.volume).ok()
    }

    pub fn avg_high(&self) -> f64 {
        self.sum_high / self.trading_days as f64
    }

    pub fn avg_low(&self) -> f64 {
        self.sum_low / self.trading_days as f64
    }

    pub fn avg_close(&self) -> f64 {
        self.sum_close / self.trading_days as f64
    }

    pub fn avg_volume(&self) -> f64 {
        self.volume as f64 / self.trading_days as f64
    }
}

/// The prices of one day that the aggregates use.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: i64,
}

/// Above this many weekly buckets (about 2,000 years of daily rows) a file's aggregates are
/// left to the server, so the loader's memory stays bounded.
const MAX_WEEKS: usize = 100_000;

/// The four period aggregates of one symbol's rows, keyed by bucket.
#[derive(Debug, Clone, Default)]
pub struct PeriodRows {
    periods: [BTreeMap<NaiveDate, Bucket>; 4],
    /// A bucket overflowed or there were too many: the server must compute them.
    given_up: bool,
}

impl PeriodRows {
    /// Adds one day's prices (days may come in any order, each at most once).
    pub fn add(&mut self, day: NaiveDate, prices: Prices) {
        if self.given_up {
            return;
        }
        if self.periods[0].len() >= MAX_WEEKS {
            self.given_up = true;
            self.periods = Default::default();
            return;
        }
        for (period, rows) in Period::ALL.iter().zip(&mut self.periods) {
            let bucket = period.bucket(day);
            // Files are mostly in date order: the day usually falls in the latest bucket.
            match rows.last_entry() {
                Some(mut last) if *last.key() == bucket => last.get_mut().add(day, &prices),
                _ => rows
                    .entry(bucket)
                    .or_insert_with(|| Bucket::new(day, &prices))
                    .add(day, &prices),
            }
        }
    }

    /// The finished rows per period (in [`Period::ALL`] order), or None when the server has
    /// to compute them (too many buckets, or a volume past bigint that must fail as it would
    /// on the server).
    pub fn finished(&self) -> Option<&[BTreeMap<NaiveDate, Bucket>; 4]> {
        let fits = self.periods[3].values().all(|b| b.volume().is_some());
        (!self.given_up && fits).then_some(&self.periods)
    }
}

/// Appends one row of a period aggregate table (symbol, bucket, trading_days, open, high, low,
/// close, volume, avg_high, avg_low, avg_close, avg_volume); the volume must fit bigint.
pub fn encode_period_row(
    buf: &mut Vec<u8>,
    symbol: &str,
    bucket: NaiveDate,
    b: &Bucket,
    volume: i64,
) {
    buf.extend_from_slice(&12i16.to_be_bytes());
    copy::put_text(buf, symbol);
    copy::put_date(buf, bucket);
    copy::put_i64(buf, b.trading_days);
    for v in [b.open, b.high, b.low, b.close] {
        copy::put_f64(buf, v);
    }
    copy::put_i64(buf, volume);
    for v in [b.avg_high(), b.avg_low(), b.avg_close(), b.avg_volume()] {
        copy::put_f64(buf, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_start_on_monday_month_quarter_and_year() {
        // 2021-01-03 is a Sunday: its ISO week starts on Monday 2020-12-28.
        assert_eq!(Period::Week.bucket(day("2021-01-03")), day("2020-12-28"));
        assert_eq!(Period::Week.bucket(day("2021-01-04")), day("2021-01-04"));
        assert_eq!(Period::Month.bucket(day("2021-02-28")), day("2021-02-01"));
        assert_eq!(Period::Quarter.bucket(day("2021-06-30")), day("2021-04-01"));
        assert_eq!(Period::Quarter.bucket(day("2021-12-31")), day("2021-10-01"));
        assert_eq!(Period::Year.bucket(day("2021-12-31")), day("2021-01-01"));
        assert_eq!(Period::Week.next(day("2021-01-03")), day("2021-01-04"));
        assert_eq!(Period::Month.next(day("2021-01-31")), day("2021-02-01"));
        assert_eq!(Period::Quarter.next(day("2021-12-01")), day("2022-01-01"));
        assert_eq!(Period::Year.next(day("2021-06-15")), day("2022-01-01"));
    }

    #[test]
    fn first_open_last_close_whatever_the_order() {
        let mut rows = PeriodRows::default();
        let p = |open, close, volume| Prices {
            open,
            high: open.max(close),
            low: open.min(close),
            close,
            volume,
        };
        rows.add(day("2021-01-06"), p(3.0, 4.0, 30));
        rows.add(day("2021-01-04"), p(1.0, 2.0, 10));
        rows.add(day("2021-01-05"), p(2.0, 3.0, 20));
        let week = &rows.finished().unwrap()[0][&day("2021-01-04")];
        assert_eq!(week.trading_days, 3);
        assert_eq!((week.open, week.close), (1.0, 4.0));
        assert_eq!((week.low, week.high), (1.0, 4.0));
        assert_eq!(week.volume(), Some(60));
        assert_eq!(week.avg_volume(), 20.0);
        assert_eq!(week.avg_close(), 3.0);
    }

    #[test]
    fn a_volume_past_bigint_is_left_to_the_server() {
        let mut rows = PeriodRows::default();
        let p = Prices {
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close: 1.0,
            volume: i64::MAX,
        };
        rows.add(day("2021-01-04"), p);
        rows.add(day("2021-01-05"), p);
        assert!(rows.finished().is_none());
    }
}
