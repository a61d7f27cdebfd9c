//! Per-day features stored beside the prices, computed by the loader as each file's rows
//! stream past (migrations/V7). Only what SQL cannot compute fast: the 30-day rolling median
//! of the adjusted close, which PostgreSQL has no window function for (a `volume_features`
//! report re-sorted 30 values for every day: 240–280 ms on a 60-year symbol).

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
    sqlx::query(include_str!("sql/refresh_medians.sql"))
        .bind(symbol)
        .bind(from)
        .execute(conn)
        .await
        .with_context(|| format!("computing the 30-day medians of {symbol}"))?;
    Ok(())
}

/// `stockdb refresh`: every symbol's stored medians recomputed from `from` on (None: every
/// day), for rows written by other tools; two symbols at a time.
pub async fn refresh_all_medians(
    pool: &sqlx::PgPool,
    from: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    use futures_util::{StreamExt, TryStreamExt};
    let symbols: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT symbol FROM market.symbol_stats ORDER BY symbol")
            .fetch_all(pool)
            .await?;
    futures_util::stream::iter(symbols)
        .map(|symbol| async move {
            let mut conn = pool.acquire().await?;
            refresh_medians(&mut conn, &symbol, from).await
        })
        .buffer_unordered(2)
        .try_collect::<()>()
        .await
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
    fn days_out_of_order_stop_the_medians() {
        let d = |n| chrono::NaiveDate::from_ymd_opt(2000, 1, n).unwrap();
        let mut m = RollingMedian::default();
        assert_eq!(m.push(d(5), 1.0), None);
        assert_eq!(m.push(d(4), 1.0), None);
        assert!(m.out_of_order);
        assert_eq!(m.push(d(6), 1.0), None);
    }
}
