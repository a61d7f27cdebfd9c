//! The intraday roll-ups (issue 11): 5-minute, 15-minute, hourly and daily bars built level on
//! level from `market.intraday_bars` (migration V12). Tables tiers write them in each file's
//! transaction (`market.refresh_intraday_tables`); the timescale tier refreshes its continuous
//! aggregates here, after the loads commit, over the merged changed ranges, finest level first
//! (each level reads the one below).

use super::Aggregates;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// The roll-up storage, finest first (each built on the one before).
pub const LEVELS: [&str; 4] = [
    "market.intraday_5min_rollup",
    "market.intraday_15min_rollup",
    "market.intraday_hourly_rollup",
    "market.intraday_daily_rollup",
];

/// Changed ranges closer than this are refreshed as one window: a refresh has a fixed cost,
/// and the bars between two files' ranges are few (nights, weekends).
const MERGE_GAP_SECONDS: i64 = 4 * 86_400;

/// Merges ranges that overlap or lie within [`MERGE_GAP_SECONDS`] of each other.
pub fn merge(
    mut ranges: Vec<(DateTime<Utc>, DateTime<Utc>)>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    ranges.sort();
    let mut runs: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (from, to) in ranges {
        match runs.last_mut() {
            Some(last) if (from - last.1).num_seconds() <= MERGE_GAP_SECONDS => {
                last.1 = last.1.max(to);
            }
            _ => runs.push((from, to)),
        }
    }
    runs
}

/// Refreshes every level over [from, to] (bar start times), finest first.
async fn refresh_levels(pool: &PgPool, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    let mut conn = pool.acquire().await?;
    for level in LEVELS {
        // The window is widened to whole buckets of the level (whole exchange days for the
        // daily one), so no changed bucket is left half inside it.
        let mut delay = std::time::Duration::from_millis(100);
        let mut waited = std::time::Duration::ZERO;
        loop {
            let result = sqlx::query(include_str!("sql/intraday_refresh.sql"))
                .bind(level)
                .bind(from)
                .bind(to)
                .execute(&mut *conn)
                .await;
            match result {
                Ok(_) => break,
                // Another refresh of an overlapping window is running: wait for it.
                Err(sqlx::Error::Database(e))
                    if e.code().as_deref() == Some("55P03")
                        && waited < std::time::Duration::from_secs(600) =>
                {
                    tokio::time::sleep(delay).await;
                    waited += delay;
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("refreshing {level} from {from} to {to}"));
                }
            }
        }
    }
    Ok(())
}

/// After loads commit (timescale tier): refresh the roll-ups over the recorded changed ranges
/// and clear them. Nothing to do for tables, written in each load.
pub async fn refresh_pending(pool: &PgPool, kind: Aggregates) -> Result<()> {
    if kind == Aggregates::Tables {
        return Ok(());
    }
    let last: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM market.intraday_stale_ranges")
        .fetch_one(pool)
        .await?;
    let Some(last) = last else {
        return Ok(());
    };
    let ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        sqlx::query_as("SELECT from_ts, to_ts FROM market.intraday_stale_ranges WHERE id <= $1")
            .bind(last)
            .fetch_all(pool)
            .await?;
    for (from, to) in merge(ranges) {
        refresh_levels(pool, from, to).await?;
    }
    // Only what this refresh covered: a load committing meanwhile keeps its own ranges.
    sqlx::query("DELETE FROM market.intraday_stale_ranges WHERE id <= $1")
        .bind(last)
        .execute(pool)
        .await?;
    Ok(())
}

/// `stockdb refresh`: recompute every roll-up over all intraday bars.
pub async fn refresh_all(pool: &PgPool, kind: Aggregates) -> Result<()> {
    let (min, max): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT min(ts), max(ts) FROM market.intraday_bars")
            .fetch_one(pool)
            .await?;
    let (Some(from), Some(to)) = (min, max) else {
        return Ok(());
    };
    match kind {
        Aggregates::Tables => {
            sqlx::query("SELECT market.refresh_intraday_tables(NULL, $1, $2)")
                .bind(from)
                .bind(to)
                .execute(pool)
                .await
                .context("recomputing the intraday roll-up tables")?;
        }
        Aggregates::Continuous => refresh_levels(pool, from, to).await?,
    }
    sqlx::query("DELETE FROM market.intraday_stale_ranges WHERE from_ts >= $1 AND to_ts <= $2")
        .bind(from)
        .bind(to)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_ranges_merge() {
        let t = |d: u32, h: u32| {
            chrono::NaiveDate::from_ymd_opt(2024, 3, d)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
        };
        let runs = merge(vec![
            (t(11, 13), t(11, 20)),
            (t(1, 13), t(8, 20)),
            (t(4, 13), t(5, 20)),
            (t(25, 13), t(26, 20)),
        ]);
        assert_eq!(runs, vec![(t(1, 13), t(11, 20)), (t(25, 13), t(26, 20))]);
    }
}
