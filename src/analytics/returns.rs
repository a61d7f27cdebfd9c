//! The daily-return counts `returns_distribution` reads (migrations/V11): each symbol's trading
//! days per calendar quarter by return bucket of the report's default width, counted by the
//! loader as rows stream in, because computing every row's return took 8–10 s for the market.

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// The bucket width the counts are kept in: the report's default (1 percentage point).
pub const WIDTH: f64 = 0.01;

/// Counts one symbol's daily returns by (quarter, bucket), fed in day order. A day's return is
/// `price / previous price - 1` and its bucket `floor(return / 0.01)`, the float operations
/// of src/analytics/sql/returns_refresh.sql in the same order; a day counts when the previous
/// price is above 0.
#[derive(Debug, Clone, Default)]
pub struct ReturnCounter {
    prev: Option<(NaiveDate, f64)>,
    /// (first day of the quarter, bucket's bits) → days: f64 has no Ord.
    pub counts: BTreeMap<(NaiveDate, u64), i32>,
    /// A day came at or before the previous one: the counts are left to SQL.
    pub out_of_order: bool,
}

impl ReturnCounter {
    /// Continues after a symbol's last stored row: its day and price.
    pub fn resume(day: NaiveDate, price: f64) -> Self {
        ReturnCounter {
            prev: Some((day, price)),
            ..ReturnCounter::default()
        }
    }

    /// The next day's price (the adjusted close, or the close where there is none).
    pub fn push(&mut self, day: NaiveDate, price: f64) {
        if self.out_of_order || self.prev.is_some_and(|(d, _)| day <= d) {
            self.out_of_order = true;
            return;
        }
        if let Some((_, prev)) = self.prev
            && prev > 0.0
        {
            let bucket = ((price / prev - 1.0) / WIDTH).floor();
            *self
                .counts
                .entry((quarter_of(day), bucket.to_bits()))
                .or_default() += 1;
        }
        self.prev = Some((day, price));
    }
}

/// The first day of the calendar quarter of `day`.
pub fn quarter_of(day: NaiveDate) -> NaiveDate {
    let month = (day.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
}

/// Writes what `counter` counted for `symbol`: its first rows (`add` false) or days appended
/// after its last (`add` true, added to the stored counts).
pub async fn store(
    conn: &mut sqlx::PgConnection,
    symbol: &str,
    counter: &ReturnCounter,
    add: bool,
) -> Result<()> {
    if counter.counts.is_empty() {
        return Ok(());
    }
    let c = &counter.counts;
    let stored = if add {
        sqlx::query(include_str!("sql/returns_store.sql"))
            .bind(symbol)
            .bind(c.keys().map(|(q, _)| *q).collect::<Vec<NaiveDate>>())
            .bind(
                c.keys()
                    .map(|(_, b)| f64::from_bits(*b))
                    .collect::<Vec<f64>>(),
            )
            .bind(c.values().copied().collect::<Vec<i32>>())
            .execute(conn)
            .await
    } else {
        let g = Grouped::from(counter);
        sqlx::query(include_str!("sql/returns_first.sql"))
            .bind(symbol)
            .bind(g.quarters)
            .bind(g.buckets)
            .bind(g.first)
            .bind(g.last)
            .bind(g.days)
            .execute(conn)
            .await
    };
    stored.with_context(|| format!("storing the daily-return counts of {symbol}"))?;
    Ok(())
}

/// Counts laid out as the rows of market.daily_return_counts: one entry per quarter, whose
/// buckets (ascending, as SQL orders them) and days are `buckets[first-1..last]`.
#[derive(Debug, Default, PartialEq)]
struct Grouped {
    quarters: Vec<NaiveDate>,
    first: Vec<i32>,
    last: Vec<i32>,
    buckets: Vec<f64>,
    days: Vec<i32>,
}

impl From<&ReturnCounter> for Grouped {
    fn from(counter: &ReturnCounter) -> Self {
        let mut g = Grouped::default();
        let mut quarter: Vec<(f64, i32)> = Vec::new();
        let mut counts = counter.counts.iter().peekable();
        while let Some((&(q, bits), &n)) = counts.next() {
            quarter.push((f64::from_bits(bits), n));
            if counts.peek().is_some_and(|((next, _), _)| *next == q) {
                continue;
            }
            // The map orders a quarter's buckets by their bits, which puts negatives last.
            quarter.sort_by(|a, b| a.0.total_cmp(&b.0));
            g.quarters.push(q);
            g.first.push(g.buckets.len() as i32 + 1);
            for (bucket, days) in quarter.drain(..) {
                g.buckets.push(bucket);
                g.days.push(days);
            }
            g.last.push(g.buckets.len() as i32);
        }
        g
    }
}

/// Recomputes one symbol's counts from the quarter of `from` on (None: every quarter) with the
/// SQL definition.
pub async fn refresh(
    conn: &mut sqlx::PgConnection,
    symbol: &str,
    from: Option<NaiveDate>,
) -> Result<()> {
    let sql = include_str!("sql/returns_refresh.sql");
    super::recompute_symbol(conn, sql, symbol, from, "counting the daily returns").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_are_bucketed_per_quarter_from_the_previous_day() {
        let d = |y, m, n| NaiveDate::from_ymd_opt(y, m, n).unwrap();
        let mut c = ReturnCounter::default();
        c.push(d(2019, 12, 31), 100.0);
        // +2.5 %: bucket 2, in 2020's first quarter although the previous day is in 2019.
        c.push(d(2020, 1, 2), 102.5);
        // -0.5 %: bucket -1.
        c.push(d(2020, 1, 3), 101.9875);
        // A price of 0, then a day after it: counted (-100 %), then not (no return from 0).
        c.push(d(2020, 1, 6), 0.0);
        c.push(d(2020, 1, 7), 5.0);
        // -1 %, in the second quarter (its bucket as the float division gives it).
        c.push(d(2020, 4, 1), 4.95);
        let counts: Vec<(NaiveDate, f64, i32)> = c
            .counts
            .iter()
            .map(|(&(q, b), &n)| (q, f64::from_bits(b), n))
            .collect();
        let q1 = d(2020, 1, 1);
        let mut expected = vec![
            (q1, 2.0, 1),
            (q1, -1.0, 1),
            (q1, -100.0, 1),
            (d(2020, 4, 1), ((4.95 / 5.0 - 1.0) / WIDTH).floor(), 1),
        ];
        expected.sort_by_key(|&(q, b, _)| (q, b.to_bits()));
        assert_eq!(counts, expected);
        assert_eq!(quarter_of(d(2020, 12, 31)), d(2020, 10, 1));
    }

    #[test]
    fn counts_are_grouped_per_quarter_with_buckets_ascending() {
        let d = |m, n| NaiveDate::from_ymd_opt(2020, m, n).unwrap();
        let mut c = ReturnCounter::default();
        for (day, price) in [
            (d(1, 2), 100.0),
            (d(1, 3), 97.0),
            (d(1, 6), 99.0),
            (d(1, 7), 98.5),
        ] {
            c.push(day, price);
        }
        c.push(d(4, 1), 98.5);
        let g = Grouped::from(&c);
        let b = |p: f64, prev: f64| ((p / prev - 1.0) / WIDTH).floor();
        assert_eq!(g.quarters, vec![d(1, 1), d(4, 1)]);
        assert_eq!((g.first, g.last), (vec![1, 4], vec![3, 4]));
        assert_eq!(
            g.buckets,
            vec![b(97.0, 100.0), b(98.5, 99.0), b(99.0, 97.0), 0.0]
        );
        assert_eq!(g.days, vec![1, 1, 1, 1]);
        assert!(g.buckets[..3].is_sorted());
    }

    #[test]
    fn resuming_after_the_last_row_counts_the_same() {
        let d = |n| NaiveDate::from_ymd_opt(2020, 3, n).unwrap();
        let prices = [10.0, 10.3, 9.9, 10.0, 11.2, 11.0];
        let mut whole = ReturnCounter::default();
        for (i, &p) in prices.iter().enumerate() {
            whole.push(d(i as u32 + 1), p);
        }
        let mut first = ReturnCounter::default();
        for (i, &p) in prices[..3].iter().enumerate() {
            first.push(d(i as u32 + 1), p);
        }
        let mut rest = ReturnCounter::resume(d(3), prices[2]);
        for (i, &p) in prices.iter().enumerate().skip(3) {
            rest.push(d(i as u32 + 1), p);
        }
        for (k, n) in rest.counts {
            *first.counts.entry(k).or_default() += n;
        }
        assert_eq!(first.counts, whole.counts);
        let mut backwards = ReturnCounter::resume(d(3), 1.0);
        backwards.push(d(2), 1.0);
        assert!(backwards.out_of_order);
    }
}
