//! The moving-average crosses `golden_cross` reads (migrations/V10): the days where a symbol's
//! 20-day average crosses its 200-day one, found by the loader as rows stream in, because the
//! windows over every row took 16–23 s for the whole market.
//!
//! market.moving_averages computes each average as a running sum of the close differenced n
//! rows back (V2). [`CrossFinder`] does the same float operations in the same order, so its
//! crosses equal the view's bit for bit; to continue a symbol when days are appended it needs
//! the running sums of the symbol's last [`KEPT_SUMS`] rows, kept in market.symbol_stats.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use std::collections::VecDeque;

/// Running sums kept per symbol: the 200-day average of the last row reaches 200 rows back.
pub const KEPT_SUMS: usize = 201;

/// A day where the 20-day average crossed the 200-day one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cross {
    pub day: NaiveDate,
    /// The 20-day average rose above the 200-day one (golden cross); else fell below it.
    pub up: bool,
    pub close: f64,
    pub sma_20: f64,
    pub sma_200: f64,
}

/// Finds the crosses of one symbol's closes, fed in day order.
#[derive(Debug, Clone, Default)]
pub struct CrossFinder {
    /// Running sums of the close of the last rows, oldest first, at most [`KEPT_SUMS`].
    sums: VecDeque<f64>,
    last_day: Option<NaiveDate>,
    /// The 20-day minus the 200-day average of the previous row, once both exist.
    prev_diff: Option<f64>,
    /// The crosses found so far.
    pub crosses: Vec<Cross>,
    /// A day came at or before the previous one: the crosses are left to SQL.
    pub out_of_order: bool,
}

impl CrossFinder {
    /// Continues a symbol whose last row is `last_day`, from the running sums stored for it.
    pub fn resume(sums: Vec<f64>, last_day: NaiveDate) -> Self {
        let sums = VecDeque::from(sums);
        let prev_diff = diff(&sums);
        CrossFinder {
            sums,
            last_day: Some(last_day),
            prev_diff,
            ..CrossFinder::default()
        }
    }

    /// The next day's close.
    pub fn push(&mut self, day: NaiveDate, close: f64) {
        if self.out_of_order || self.last_day.is_some_and(|d| day <= d) {
            self.out_of_order = true;
            return;
        }
        self.last_day = Some(day);
        // sum() over a growing frame adds each value to the previous sum, starting from the
        // first value itself.
        let running = self.sums.back().map_or(close, |s| s + close);
        if self.sums.len() == KEPT_SUMS {
            self.sums.pop_front();
        }
        self.sums.push_back(running);
        let diff = diff(&self.sums);
        if let (Some(prev), Some(now)) = (self.prev_diff, diff)
            && ((prev <= 0.0 && now > 0.0) || (prev >= 0.0 && now < 0.0))
        {
            self.crosses.push(Cross {
                day,
                up: now > 0.0,
                close,
                sma_20: average(&self.sums, 20).unwrap_or_default(),
                sma_200: average(&self.sums, 200).unwrap_or_default(),
            });
        }
        self.prev_diff = diff;
    }

    /// The running sums to store, oldest first.
    pub fn running_sums(&self) -> Vec<f64> {
        self.sums.iter().copied().collect()
    }
}

/// The n-day average of the newest row: `(running - coalesce(lag(running, n), 0)) / n`, NULL
/// before the nth row. `sums` holds at most [`KEPT_SUMS`] rows, so its length tells whether
/// the symbol has n rows (and n + 1) for every n up to 200.
fn average(sums: &VecDeque<f64>, n: usize) -> Option<f64> {
    let len = sums.len();
    if len < n {
        return None;
    }
    let running = sums[len - 1];
    let back = if len > n {
        running - sums[len - 1 - n]
    } else {
        running
    };
    Some(back / n as f64)
}

/// The 20-day minus the 200-day average of the newest row, once both exist.
fn diff(sums: &VecDeque<f64>) -> Option<f64> {
    Some(average(sums, 20)? - average(sums, 200)?)
}

/// Writes what `finder` found for `symbol` (a new symbol's rows, or days appended), and the
/// running sums to continue from, inside the load's transaction.
pub async fn store(
    conn: &mut sqlx::PgConnection,
    symbol: &str,
    finder: &CrossFinder,
) -> Result<()> {
    let c = &finder.crosses;
    let column = |f: fn(&Cross) -> f64| c.iter().map(f).collect::<Vec<f64>>();
    sqlx::query(include_str!("sql/crosses_store.sql"))
        .bind(symbol)
        .bind(c.iter().map(|x| x.day).collect::<Vec<_>>())
        .bind(
            c.iter()
                .map(|x| if x.up { "up" } else { "down" })
                .collect::<Vec<_>>(),
        )
        .bind(column(|x| x.close))
        .bind(column(|x| x.sma_20))
        .bind(column(|x| x.sma_200))
        .bind(finder.running_sums())
        .execute(conn)
        .await
        .with_context(|| format!("storing the moving-average crosses of {symbol}"))?;
    Ok(())
}

/// After days were appended to `symbol` (its last day before was `last_before`, when it had
/// `rows_before` rows): continues from its stored running sums over the new rows' closes.
/// Recomputes the symbol in SQL instead when the stored sums do not match those rows (written
/// before V10, or by another tool).
pub async fn append(
    conn: &mut sqlx::PgConnection,
    symbol: &str,
    last_before: NaiveDate,
    rows_before: i64,
    closes: &[(NaiveDate, f64)],
) -> Result<()> {
    let sums: Option<Vec<f64>> =
        sqlx::query_scalar("SELECT close_running_sums FROM market.symbol_stats WHERE symbol = $1")
            .bind(symbol)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
    let expected = rows_before.clamp(0, KEPT_SUMS as i64) as usize;
    let Some(sums) = sums.filter(|s| s.len() == expected) else {
        return refresh(conn, symbol, None).await;
    };
    let mut finder = CrossFinder::resume(sums, last_before);
    for &(day, close) in closes {
        finder.push(day, close);
    }
    store(conn, symbol, &finder).await
}

/// Recomputes one symbol's crosses from `from` on (None: every day) with the SQL definition,
/// and its running sums.
pub async fn refresh(
    conn: &mut sqlx::PgConnection,
    symbol: &str,
    from: Option<NaiveDate>,
) -> Result<()> {
    let sql = include_str!("sql/crosses_refresh.sql");
    super::recompute_symbol(
        conn,
        sql,
        symbol,
        from,
        "finding the moving-average crosses",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The view's arithmetic over the whole history, written out plainly.
    fn naive_crosses(closes: &[f64]) -> Vec<(usize, bool)> {
        let mut running = Vec::new();
        for (i, &c) in closes.iter().enumerate() {
            running.push(if i == 0 { c } else { running[i - 1] + c });
        }
        let sma = |i: usize, n: usize| {
            (i + 1 >= n).then(|| {
                let back = if i >= n { running[i - n] } else { 0.0 };
                (running[i] - back) / n as f64
            })
        };
        let diff = |i: usize| Some(sma(i, 20)? - sma(i, 200)?);
        (1..closes.len())
            .filter_map(|i| {
                let (prev, now) = (diff(i - 1)?, diff(i)?);
                ((prev <= 0.0 && now > 0.0) || (prev >= 0.0 && now < 0.0)).then_some((i, now > 0.0))
            })
            .collect()
    }

    fn closes() -> Vec<f64> {
        // Waves of different lengths around a trend: many crosses, some flat stretches.
        (0..1500)
            .map(|i| {
                let t = i as f64;
                50.0 + 0.01 * t
                    + 8.0 * (t / 90.0).sin()
                    + 3.0 * (t / 17.0).sin()
                    + if (400..460).contains(&i) {
                        0.0
                    } else {
                        0.1 * ((i * 7 % 13) as f64)
                    }
            })
            .collect()
    }

    fn day(i: usize) -> NaiveDate {
        NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(i as u64)
    }

    #[test]
    fn crosses_equal_the_running_sum_definition() {
        let closes = closes();
        let mut finder = CrossFinder::default();
        for (i, &c) in closes.iter().enumerate() {
            finder.push(day(i), c);
        }
        let found: Vec<(NaiveDate, bool)> = finder.crosses.iter().map(|c| (c.day, c.up)).collect();
        let expected: Vec<(NaiveDate, bool)> = naive_crosses(&closes)
            .into_iter()
            .map(|(i, up)| (day(i), up))
            .collect();
        assert!(expected.len() > 5, "only {} crosses", expected.len());
        assert_eq!(found, expected);
    }

    #[test]
    fn resuming_from_the_kept_sums_finds_the_same_crosses() {
        let closes = closes();
        let mut whole = CrossFinder::default();
        for (i, &c) in closes.iter().enumerate() {
            whole.push(day(i), c);
        }
        // Split at every point, including before the 20th, the 200th and the 201st row.
        for split in [1, 19, 20, 199, 200, 201, 202, 700, 1499] {
            let mut first = CrossFinder::default();
            for (i, &c) in closes[..split].iter().enumerate() {
                first.push(day(i), c);
            }
            let mut rest = CrossFinder::resume(first.running_sums(), day(split - 1));
            for (i, &c) in closes.iter().enumerate().skip(split) {
                rest.push(day(i), c);
            }
            let mut both = first.crosses.clone();
            both.extend(rest.crosses.iter().copied());
            assert_eq!(both, whole.crosses, "split at {split}");
            assert_eq!(rest.running_sums(), whole.running_sums());
        }
    }

    #[test]
    fn days_out_of_order_stop_the_finder() {
        let mut f = CrossFinder::default();
        f.push(day(5), 1.0);
        f.push(day(5), 1.0);
        assert!(f.out_of_order);
    }
}
