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
    if kind == Aggregates::Tables {
        return Ok(());
    }
    let last: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM market.trade_stale_ranges")
        .fetch_one(pool)
        .await?;
    let Some(last) = last else {
        return Ok(());
    };
    let ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        sqlx::query_as("SELECT from_ts, to_ts FROM market.trade_stale_ranges WHERE id <= $1")
            .bind(last)
            .fetch_all(pool)
            .await?;
    let mut conn = pool.acquire().await?;
    for (from, to) in merge(ranges) {
        for window in windows(from, to, 1) {
            refresh_window(&mut conn, &LEVELS, window).await?;
        }
    }
    // Only what this refresh covered: a load committing meanwhile keeps its own ranges.
    sqlx::query("DELETE FROM market.trade_stale_ranges WHERE id <= $1")
        .bind(last)
        .execute(pool)
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
