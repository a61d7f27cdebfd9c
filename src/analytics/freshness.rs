//! What `stockdb status` says of the period aggregates: their rows, last bucket, pending
//! ranges and refreshes.

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;

use super::{Aggregates, CONTINUOUS, PERIODS, detect};

/// One aggregate's state, for `stockdb status`.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    pub name: String,
    /// The planner's estimate of its rows; None while never analyzed.
    pub estimated_rows: Option<i64>,
    pub last_bucket: Option<NaiveDate>,
    /// Load ranges not yet refreshed into it (always 0 for tables).
    pub stale_ranges: i64,
    /// Last refresh of the continuous aggregate, by stockdb or by its TimescaleDB policy.
    pub last_refresh: Option<chrono::DateTime<chrono::Utc>>,
    /// Schedule of its TimescaleDB refresh policy (`stockdb refresh --schedule`), if any.
    pub policy: Option<String>,
}

/// The planner's estimate of a table's rows (its chunks included, converted ones too); 0 for
/// an empty table, None while it was never analyzed and holds rows. `timescaledb`: the
/// extension exists (its `approximate_row_count` also counts converted chunks).
pub async fn estimated_rows(
    conn: &mut PgConnection,
    table: &str,
    timescaledb: bool,
) -> Result<Option<i64>> {
    let sql = match timescaledb {
        true => include_str!("sql/estimated_rows_timescaledb.sql"),
        false => include_str!("sql/estimated_rows.sql"),
    };
    let estimate: Option<i64> = sqlx::query_scalar(sql)
        .bind(table)
        .fetch_one(&mut *conn)
        .await?;
    if estimate.is_some() {
        return Ok(estimate);
    }
    // Never analyzed usually means nothing was loaded: one probe tells empty from unknown.
    // `table` is one of our constants, never user input.
    let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT 1 FROM {table})"
    )))
    .fetch_one(conn)
    .await?;
    Ok((!any).then_some(0))
}

/// The state of every period aggregate (`timescaledb`: as for [`estimated_rows`]).
pub async fn freshness(conn: &mut PgConnection, timescaledb: bool) -> Result<Vec<Freshness>> {
    let stale_ranges: i64 = sqlx::query_scalar("SELECT count(*) FROM market.stale_ranges")
        .fetch_one(&mut *conn)
        .await?;
    let continuous = detect(&mut *conn).await? == Aggregates::Continuous;
    let mut out = Vec::new();
    for (i, name) in PERIODS.into_iter().enumerate() {
        let (mut last_refresh, mut policy) = (None, None);
        if continuous {
            let cagg = CONTINUOUS[i].0;
            last_refresh = sqlx::query_scalar(
                "SELECT refreshed_at FROM market.aggregate_refreshes WHERE aggregate = $1",
            )
            .bind(cagg)
            .fetch_optional(&mut *conn)
            .await?;
            let job: Option<(String, Option<chrono::DateTime<chrono::Utc>>)> =
                sqlx::query_as(include_str!("sql/policy.sql"))
                    .bind(cagg.trim_start_matches("market_agg."))
                    .fetch_optional(&mut *conn)
                    .await?;
            if let Some((schedule, finished)) = job {
                policy = Some(schedule);
                last_refresh = last_refresh.max(finished);
            }
        }
        // Counting a million rows takes longer than all of `stockdb status` may (issue 13):
        // the row count is the planner's estimate, and says so.
        let table: String = if continuous {
            sqlx::query_scalar(include_str!("sql/aggregate_storage.sql"))
                .bind(CONTINUOUS[i].0.trim_start_matches("market_agg."))
                .fetch_one(&mut *conn)
                .await?
        } else {
            format!("market.{name}")
        };
        let rows = estimated_rows(&mut *conn, &table, timescaledb).await?;
        // `name` is one of our constants, never user input. The tables' key is (symbol,
        // bucket): one index probe per symbol beats reading 1.8M weekly rows (228 ms).
        let sql = if continuous {
            format!("SELECT max(bucket) FROM market.{name}")
        } else {
            format!(
                "SELECT max(b) FROM market.symbol_stats s, LATERAL (SELECT max(bucket) AS b FROM market.{name} p WHERE p.symbol = s.symbol) l"
            )
        };
        let last_bucket: Option<NaiveDate> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        out.push(Freshness {
            name: name.to_string(),
            estimated_rows: rows,
            last_bucket,
            stale_ranges,
            last_refresh,
            policy,
        });
    }
    Ok(out)
}

/// A warning when loaded prices are not yet in the aggregates, else None.
pub async fn staleness_warning(conn: &mut PgConnection) -> Result<Option<String>> {
    let (n, from, to): (i64, Option<NaiveDate>, Option<NaiveDate>) =
        sqlx::query_as("SELECT count(*), min(from_day), max(to_day) FROM market.stale_ranges")
            .fetch_one(conn)
            .await?;
    Ok((n > 0).then(|| {
        format!(
            "the period aggregates lag the prices: {n} loaded range(s) between {} and {} are not refreshed yet; run `stockdb refresh`",
            from.map(|d| d.to_string()).unwrap_or_default(),
            to.map(|d| d.to_string()).unwrap_or_default()
        )
    }))
}
