//! The bars built from trades (issue 44, migration V30): 1-minute, 5-minute, hourly and New
//! York daily levels over `market.trades`. On the timescale tier they are continuous
//! aggregates, refreshed here after the loads commit over the ranges the event files wrote
//! (`market.trade_stale_ranges`), forced and finest first; elsewhere they are views.

use super::Aggregates;
use super::intraday::{merge, refresh_window, windows};
use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// The levels' storage, finest first (each built on the one before).
const LEVELS: [&str; 4] = [
    "market.trade_bars_1min_rollup",
    "market.trade_bars_5min_rollup",
    "market.trade_bars_hourly_rollup",
    "market.trade_bars_daily_rollup",
];

/// The levels' bucket widths in minutes; None for the New York day.
const WIDTHS: [Option<i64>; 4] = [Some(1), Some(5), Some(60), None];

/// The buckets of a level of `width` that hold the times from `from` to `to` (inclusive), as
/// a window [start, end). Minute and hour buckets start on the epoch's multiples (their origin,
/// 2000-01-01, is one); day buckets at New York midnight.
fn aligned(
    width: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let Some(minutes) = width else {
        let days = windows(from, to, 1);
        return (days[0].0, days[days.len() - 1].1);
    };
    let w = minutes * 60;
    let floor = |t: DateTime<Utc>| t.timestamp().div_euclid(w) * w;
    let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(from);
    (at(floor(from)), at(floor(to) + w))
}

/// Records, in a file's transaction, that trades between `from` and `to` changed: the
/// refresh after the load covers them (timescale tier; the views need nothing).
pub async fn mark_stale(
    tx: &mut PgConnection,
    kind: Aggregates,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let (Aggregates::Continuous, Some(from), Some(to)) = (kind, from, to) else {
        return Ok(());
    };
    sqlx::query("INSERT INTO market.trade_stale_ranges (from_ts, to_ts) VALUES ($1, $2)")
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// After loads commit: refresh the trade bars over the recorded ranges and clear them.
pub async fn refresh_pending(pool: &PgPool, kind: Aggregates) -> Result<()> {
    refresh_stale(pool, kind, false).await
}

/// While a follow commits: refresh the recorded ranges' closed buckets only. Each level's
/// bucket of the latest trade is still filling; it is left to real-time aggregation (V33)
/// and recorded again for that level, to be materialized once a later trade closes it.
pub async fn refresh_closed(pool: &PgPool, kind: Aggregates) -> Result<()> {
    refresh_stale(pool, kind, true).await
}

async fn refresh_stale(pool: &PgPool, kind: Aggregates, closed_only: bool) -> Result<()> {
    if kind == Aggregates::Tables {
        return Ok(());
    }
    let last: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM market.trade_stale_ranges")
        .fetch_one(pool)
        .await?;
    let Some(last) = last else {
        return Ok(());
    };
    let ranges: Vec<(DateTime<Utc>, DateTime<Utc>, Option<i16>)> = sqlx::query_as(
        "SELECT from_ts, to_ts, level FROM market.trade_stale_ranges WHERE id <= $1",
    )
    .bind(last)
    .fetch_all(pool)
    .await?;
    let Some(latest) = ranges.iter().map(|r| r.1).max() else {
        return Ok(());
    };
    let mut conn = pool.acquire().await?;
    let mut open_left = Vec::new();
    for (i, (level, width)) in LEVELS.iter().zip(WIDTHS).enumerate() {
        let mine = ranges
            .iter()
            .filter(|r| r.2.is_none_or(|l| l as usize == i))
            .map(|r| (r.0, r.1));
        // Each level over its own buckets that the range touches, finest first: a followed
        // file's commit of one second refreshes one minute, five, one hour and one day of
        // bars, where whole days re-read the day's trades at every commit (8 s by the end of
        // 3M trades, BENCHMARKS.md).
        for (from, to) in merge(mine.collect()) {
            let (start, mut end) = aligned(width, from, to);
            if closed_only {
                let open = aligned(width, latest, latest).0;
                if end > open {
                    open_left.push((from.max(open), to, i as i16));
                    end = open;
                }
            }
            if start < end {
                refresh_window(&mut conn, &[level], (start, end)).await?;
            }
        }
    }
    // Recorded before the ranges read are cleared: a kill between the two leaves a range
    // twice, never none.
    for (from, to, level) in open_left {
        sqlx::query(
            "INSERT INTO market.trade_stale_ranges (from_ts, to_ts, level) VALUES ($1, $2, $3)",
        )
        .bind(from)
        .bind(to)
        .bind(level)
        .execute(&mut *conn)
        .await?;
    }
    // Only what this refresh covered: a load committing meanwhile keeps its own ranges.
    sqlx::query("DELETE FROM market.trade_stale_ranges WHERE id <= $1")
        .bind(last)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// `stockdb refresh`: recompute the trade bars over all trades.
pub async fn refresh_all(pool: &PgPool, kind: Aggregates) -> Result<()> {
    if kind == Aggregates::Tables {
        return Ok(());
    }
    let (min, max): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT min(event_tm), max(event_tm) FROM market.trades")
            .fetch_one(pool)
            .await?;
    if let (Some(from), Some(to)) = (min, max) {
        sqlx::query("INSERT INTO market.trade_stale_ranges (from_ts, to_ts) VALUES ($1, $2)")
            .bind(from)
            .bind(to)
            .execute(pool)
            .await?;
    }
    refresh_pending(pool, kind).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn each_level_refreshes_the_buckets_its_range_touches() {
        let (from, to) = (t("2024-03-08T15:59:30Z"), t("2024-03-08T16:00:10.5Z"));
        assert_eq!(
            aligned(Some(1), from, to),
            (t("2024-03-08T15:59:00Z"), t("2024-03-08T16:01:00Z"))
        );
        assert_eq!(
            aligned(Some(5), from, to),
            (t("2024-03-08T15:55:00Z"), t("2024-03-08T16:05:00Z"))
        );
        assert_eq!(
            aligned(Some(60), from, to),
            (t("2024-03-08T15:00:00Z"), t("2024-03-08T17:00:00Z"))
        );
        // New York midnights (EST, UTC-5).
        assert_eq!(
            aligned(None, from, to),
            (t("2024-03-08T05:00:00Z"), t("2024-03-09T05:00:00Z"))
        );
    }
}
