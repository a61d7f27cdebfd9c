//! What the loader computes as each file's rows stream past and stores, because SQL cannot
//! compute it fast: the 30-day rolling median of the adjusted close beside each day's prices
//! (migrations/V7; PostgreSQL has no windowed median, and a `volume_features` report re-sorted
//! 30 values for every day: 240–280 ms on a 60-year symbol), and each symbol's counts of
//! suspicious rows and gaps (migrations/V9; `data_quality` over every symbol took 13.8 s).

/// Suspicious-but-representable kinds (DESIGN.md §6), as bit flags of a row.
pub mod warn {
    pub const ZERO_VOLUME: u8 = 1;
    pub const NON_POSITIVE_PRICE: u8 = 2;
    pub const OPEN_CLOSE_OUTSIDE_RANGE: u8 = 4;
    pub const HIGH_BELOW_LOW: u8 = 8;
    pub const WEEKEND: u8 = 16;

    /// Each flag with its description, for messages.
    pub const ALL: [(u8, &str); 5] = [
        (ZERO_VOLUME, "zero volume"),
        (NON_POSITIVE_PRICE, "a price <= 0"),
        (
            OPEN_CLOSE_OUTSIDE_RANGE,
            "Open or Close outside [Low, High]",
        ),
        (HIGH_BELOW_LOW, "High < Low"),
        (WEEKEND, "a weekend date"),
    ];
}

/// Trading days in the rolling median's window.
pub const MEDIAN_DAYS: usize = 30;

/// The rolling median of the last [`MEDIAN_DAYS`] prices of one symbol, fed in day order.
/// Equal bit for bit to `percentile_cont(0.5) WITHIN GROUP (ORDER BY price)` over the same
/// 30 values (src/analytics/sql/refresh_medians.sql, the definition): PostgreSQL sorts them
/// and interpolates `lo + 0.5 * (hi - lo)` between the 15th and 16th.
#[derive(Debug, Clone, Default)]
pub struct RollingMedian {
    /// The last prices, oldest first, at most [`MEDIAN_DAYS`].
    window: std::collections::VecDeque<f64>,
    /// The same values, sorted.
    sorted: Vec<f64>,
    last_day: Option<chrono::NaiveDate>,
    /// A day came at or before the previous one: the file is not in ascending day order, so
    /// the medians are left to SQL after the COPY.
    pub out_of_order: bool,
}

impl RollingMedian {
    /// The median of the window ending with this day's price (None before the 30th day, or
    /// once the days went out of order).
    pub fn push(&mut self, day: chrono::NaiveDate, price: f64) -> Option<f64> {
        if self.out_of_order || self.last_day.is_some_and(|d| day <= d) {
            self.out_of_order = true;
            return None;
        }
        self.last_day = Some(day);
        if self.window.len() == MEDIAN_DAYS
            && let Some(old) = self.window.pop_front()
        {
            let at = self.sorted.partition_point(|v| v.total_cmp(&old).is_lt());
            self.sorted.remove(at);
        }
        self.window.push_back(price);
        let at = self.sorted.partition_point(|v| v.total_cmp(&price).is_lt());
        self.sorted.insert(at, price);
        if self.sorted.len() < MEDIAN_DAYS {
            return None;
        }
        // percentile_cont(0.5) over 30 rows: position 0.5 * 29 = 14.5.
        let (lo, hi) = (self.sorted[14], self.sorted[15]);
        Some(lo + 0.5 * (hi - lo))
    }
}

/// Recomputes one symbol's stored medians from `from` on (None: every day) with the SQL
/// definition, writing only the rows that differ.
pub async fn refresh_medians(
    conn: &mut sqlx::PgConnection,
    symbol: &str,
    from: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let (days, medians): (Vec<chrono::NaiveDate>, Vec<Option<f64>>) =
        sqlx::query_as(include_str!("sql/refresh_medians.sql"))
            .bind(symbol)
            .bind(from)
            .fetch_one(&mut *conn)
            .await
            .with_context(|| format!("computing the 30-day medians of {symbol}"))?;
    if days.is_empty() {
        return Ok(());
    }
    let (first, last) = (days[0], days[days.len() - 1]);
    sqlx::query(include_str!("sql/medians_store.sql"))
        .bind(symbol)
        .bind(days)
        .bind(medians)
        .bind(first)
        .bind(last)
        .execute(conn)
        .await
        .with_context(|| format!("storing the 30-day medians of {symbol}"))?;
    Ok(())
}

/// A symbol's suspicious rows and gaps, as `data_quality` shows them (their definition is
/// src/analytics/sql/quality_recount.sql).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quality {
    pub zero_volume: i64,
    pub price_not_positive: i64,
    pub open_close_outside_range: i64,
    pub high_below_low: i64,
    pub weekend_days: i64,
    pub gaps_over_5_weekdays: i64,
}

/// Counts [`Quality`] over rows fed in day order.
#[derive(Debug, Clone, Default)]
pub struct QualityCounter {
    pub counts: Quality,
    /// The first day counted, whose gap to the day before it is not known here.
    pub first_day: Option<chrono::NaiveDate>,
    last_day: Option<chrono::NaiveDate>,
    /// A day came at or before the previous one: the gaps are not known, count in SQL.
    pub out_of_order: bool,
}

impl QualityCounter {
    /// One row: its day and its [`warn`] flags (the loader's `Row::warnings`).
    pub fn add(&mut self, day: chrono::NaiveDate, flags: u8) {
        let c = &mut self.counts;
        let count = |flag: u8, n: &mut i64| *n += i64::from(flags & flag != 0);
        count(warn::ZERO_VOLUME, &mut c.zero_volume);
        count(warn::NON_POSITIVE_PRICE, &mut c.price_not_positive);
        count(
            warn::OPEN_CLOSE_OUTSIDE_RANGE,
            &mut c.open_close_outside_range,
        );
        count(warn::HIGH_BELOW_LOW, &mut c.high_below_low);
        count(warn::WEEKEND, &mut c.weekend_days);
        match self.last_day {
            Some(prev) if day <= prev => self.out_of_order = true,
            Some(prev) => c.gaps_over_5_weekdays += i64::from(is_gap(prev, day)),
            None => self.first_day = Some(day),
        }
        self.last_day = Some(day);
    }
}

/// More than a week between two consecutive rows and more than 5 weekdays strictly between.
pub fn is_gap(prev: chrono::NaiveDate, day: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    (day - prev).num_days() > 7
        && prev
            .iter_days()
            .skip(1)
            .take_while(|d| *d < day)
            .filter(|d| d.weekday().number_from_monday() < 6)
            .count()
            > 5
}

/// What a file's write does to its symbol's quality counts in `market.symbol_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityWrite {
    /// The symbol's first rows, all counted here: the counts are these.
    Set(Quality),
    /// Days appended after the symbol's last, counted here: add these.
    Add(Quality),
    /// Rows changed where counting the sent rows cannot tell the new counts: recount in SQL.
    Recount,
    /// Nothing to change (no row written, or clean days appended).
    Keep,
}

impl QualityCounter {
    /// How to keep the stored counts after a write. `is_new`: the symbol had no rows;
    /// `appended`: every changed day was inserted after `last_before`, the symbol's last day
    /// before the write; `written`: rows were inserted or updated.
    pub fn write(
        &self,
        is_new: bool,
        appended: bool,
        written: bool,
        last_before: Option<chrono::NaiveDate>,
    ) -> QualityWrite {
        if self.out_of_order {
            return if written || is_new {
                QualityWrite::Recount
            } else {
                QualityWrite::Keep
            };
        }
        if is_new {
            return QualityWrite::Set(self.counts);
        }
        if !appended {
            return if written {
                QualityWrite::Recount
            } else {
                QualityWrite::Keep
            };
        }
        let mut counts = self.counts;
        if let (Some(last), Some(first)) = (last_before, self.first_day) {
            counts.gaps_over_5_weekdays += i64::from(is_gap(last, first));
        }
        if counts == Quality::default() {
            QualityWrite::Keep
        } else {
            QualityWrite::Add(counts)
        }
    }
}

/// Applies a [`QualityWrite`] to a symbol's counts, inside the load's transaction.
pub async fn store_quality(
    conn: &mut sqlx::PgConnection,
    symbol: &str,
    write: QualityWrite,
) -> anyhow::Result<()> {
    let (add, q) = match write {
        QualityWrite::Set(q) => (false, q),
        QualityWrite::Add(q) => (true, q),
        QualityWrite::Recount => return recount_quality(conn, &[symbol.to_string()]).await,
        QualityWrite::Keep => return Ok(()),
    };
    sqlx::query(include_str!("sql/quality_store.sql"))
        .bind(symbol)
        .bind(add)
        .bind(q.zero_volume)
        .bind(q.price_not_positive)
        .bind(q.open_close_outside_range)
        .bind(q.high_below_low)
        .bind(q.weekend_days)
        .bind(q.gaps_over_5_weekdays)
        .execute(conn)
        .await?;
    Ok(())
}

/// Recounts the quality counts of these symbols from their prices, with the definition.
pub async fn recount_quality<'c, E: sqlx::PgExecutor<'c>>(
    conn: E,
    symbols: &[String],
) -> anyhow::Result<()> {
    sqlx::query(include_str!("sql/quality_recount.sql"))
        .bind(symbols)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(prices: &[f64], i: usize) -> Option<f64> {
        if i + 1 < MEDIAN_DAYS {
            return None;
        }
        let mut w = prices[i + 1 - MEDIAN_DAYS..=i].to_vec();
        w.sort_by(f64::total_cmp);
        Some(w[14] + 0.5 * (w[15] - w[14]))
    }

    #[test]
    fn rolling_median_equals_sorting_each_window() {
        let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
        // Repeats, ties and a trend: every kind of window shape.
        let prices: Vec<f64> = (0..400)
            .map(|i| ((i * 37 % 101) as f64) * 0.25 + (i / 50) as f64)
            .collect();
        let mut m = RollingMedian::default();
        for (i, &p) in prices.iter().enumerate() {
            let day = start + chrono::TimeDelta::days(i as i64);
            assert_eq!(m.push(day, p), naive(&prices, i), "day {i}");
        }
        assert!(!m.out_of_order);
    }

    #[test]
    fn gaps_count_weekdays_strictly_between() {
        let d = |m, n| chrono::NaiveDate::from_ymd_opt(2024, m, n).unwrap();
        // Fri 5 Jan to Mon 15 Jan: 10 days, weekdays between = 8-12 Jan (5): not a gap.
        assert!(!is_gap(d(1, 5), d(1, 15)));
        // Thu 4 Jan to Mon 15 Jan: weekdays between = 5 Jan + 8-12 Jan (6): a gap.
        assert!(is_gap(d(1, 4), d(1, 15)));
        // A week exactly is never a gap.
        assert!(!is_gap(d(1, 1), d(1, 8)));
    }

    #[test]
    fn quality_counts_flags_and_gaps_in_day_order() {
        use super::warn;
        let d = |m, n| chrono::NaiveDate::from_ymd_opt(2024, m, n).unwrap();
        let mut q = QualityCounter::default();
        q.add(d(1, 4), 0);
        q.add(d(1, 6), warn::WEEKEND | warn::ZERO_VOLUME);
        q.add(d(1, 15), warn::HIGH_BELOW_LOW | warn::NON_POSITIVE_PRICE);
        q.add(d(1, 16), warn::OPEN_CLOSE_OUTSIDE_RANGE);
        assert_eq!(
            q.counts,
            Quality {
                zero_volume: 1,
                price_not_positive: 1,
                open_close_outside_range: 1,
                high_below_low: 1,
                weekend_days: 1,
                // 6 Jan (Sat) to 15 Jan: 8-12 Jan, 5 weekdays: no gap.
                gaps_over_5_weekdays: 0,
            }
        );
        assert_eq!(q.first_day, Some(d(1, 4)));
        q.add(d(1, 10), 0);
        assert!(q.out_of_order);
    }

    #[test]
    fn each_kind_of_write_keeps_the_counts_the_cheapest_exact_way() {
        use super::warn;
        let d = |m, n| chrono::NaiveDate::from_ymd_opt(2024, m, n).unwrap();
        let counted = |days: &[(u32, u32, u8)]| {
            let mut q = QualityCounter::default();
            for &(m, n, flags) in days {
                q.add(d(m, n), flags);
            }
            q
        };
        let clean = counted(&[(1, 16, 0), (1, 17, 0)]);
        let zero = Quality::default();
        // A first load sets, even to zero.
        assert_eq!(
            clean.write(true, false, true, None),
            QualityWrite::Set(zero)
        );
        // Clean days appended: nothing to store (the regression that cost 56 s a new day).
        assert_eq!(
            clean.write(false, true, true, Some(d(1, 15))),
            QualityWrite::Keep
        );
        // Appended after a gap from the last stored day, or with a flagged row: add.
        let gap = Quality {
            gaps_over_5_weekdays: 1,
            ..zero
        };
        assert_eq!(
            clean.write(false, true, true, Some(d(1, 2))),
            QualityWrite::Add(gap)
        );
        let flagged = counted(&[(1, 16, warn::ZERO_VOLUME)]);
        assert_eq!(
            flagged.write(false, true, true, Some(d(1, 15))),
            QualityWrite::Add(Quality {
                zero_volume: 1,
                ..zero
            })
        );
        // Corrections and days out of order: recount; an unchanged file: keep.
        assert_eq!(
            clean.write(false, false, true, Some(d(1, 31))),
            QualityWrite::Recount
        );
        let reversed = counted(&[(1, 17, 0), (1, 16, 0)]);
        assert_eq!(
            reversed.write(true, false, true, None),
            QualityWrite::Recount
        );
        assert_eq!(
            QualityCounter::default().write(false, false, false, Some(d(1, 31))),
            QualityWrite::Keep
        );
    }

    #[test]
    fn days_out_of_order_stop_the_medians() {
        let d = |n| chrono::NaiveDate::from_ymd_opt(2000, 1, n).unwrap();
        let mut m = RollingMedian::default();
        assert_eq!(m.push(d(5), 1.0), None);
        assert_eq!(m.push(d(4), 1.0), None);
        assert!(m.out_of_order);
        assert_eq!(m.push(d(6), 1.0), None);
    }
}
