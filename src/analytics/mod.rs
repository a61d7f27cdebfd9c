//! Period aggregates and their freshness (DESIGN.md §5): continuous aggregates refreshed
//! after a load commits (timescale tier), or tables written inside each file's
//! transaction (apache and postgres tiers).

pub mod periods;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;

/// The period aggregates, finest first.
pub const PERIODS: [&str; 4] = [
    "weekly_prices",
    "monthly_prices",
    "quarterly_prices",
    "yearly_prices",
];

/// How the period aggregates are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregates {
    /// TimescaleDB continuous aggregates, refreshed after commit over the loaded range.
    Continuous,
    /// Tables written inside the load transaction.
    Tables,
}

/// Reads how migration V2 created the aggregates on this database.
pub async fn detect(conn: &mut PgConnection) -> Result<Aggregates> {
    // relkind is PostgreSQL's one-byte "char", which sqlx decodes as i8.
    let relkind: Option<i8> = sqlx::query_scalar(
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'market' AND c.relname = 'weekly_prices'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    // A continuous aggregate is a view over its materialization hypertable.
    Ok(match relkind.map(|k| k as u8) {
        Some(b'v') => Aggregates::Continuous,
        _ => Aggregates::Tables,
    })
}

/// Inside a load transaction: recompute the tables for the changed range, or record the
/// range for the refresh after commit (continuous aggregates cannot refresh in a transaction).
pub async fn changed(
    conn: &mut PgConnection,
    kind: Aggregates,
    symbol: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<()> {
    let sql = match kind {
        Aggregates::Tables => "SELECT market.refresh_period_tables($1, $2, $3)",
        Aggregates::Continuous => {
            "INSERT INTO market.stale_ranges (symbol, from_day, to_day) VALUES ($1, $2, $3)"
        }
    };
    sqlx::query(sql)
        .bind(symbol)
        .bind(from)
        .bind(to)
        .execute(conn)
        .await
        .context("refreshing the period aggregates")?;
    Ok(())
}

/// Inside a symbol's first load on the table tiers: writes the aggregates the loader computed
/// from the file, instead of recomputing them from the table (same rows: the symbol had none).
pub async fn write_periods(
    conn: &mut PgConnection,
    symbol: &str,
    rows: &[std::collections::BTreeMap<NaiveDate, periods::Bucket>; 4],
) -> Result<()> {
    // Leftovers of prices deleted by hand would otherwise collide with the new rows.
    sqlx::query(include_str!("sql/clear_periods.sql"))
        .bind(symbol)
        .execute(&mut *conn)
        .await
        .context("clearing the period aggregates")?;
    for (name, rows) in PERIODS.iter().zip(rows) {
        let mut buf = crate::load::copy::HEADER.to_vec();
        for (bucket, b) in rows {
            let volume = b
                .volume()
                .context("a period's volume does not fit bigint")?;
            crate::load::copy::encode_period_row(&mut buf, symbol, *bucket, b, volume);
        }
        buf.extend_from_slice(crate::load::copy::TRAILER);
        // `name` is one of our constants, never user input.
        let mut copy = conn
            .copy_in_raw(&format!("COPY market.{name} FROM STDIN (FORMAT binary)"))
            .await
            .with_context(|| format!("writing market.{name}"))?;
        copy.send(buf).await?;
        copy.finish().await?;
    }
    Ok(())
}

/// Session lock around refreshes: TimescaleDB refuses two concurrent refreshes of one
/// continuous aggregate, so a second loader waits for the first instead of failing.
const REFRESH_LOCK: i64 = 0x5f0c_bdb0_0002;

/// Refreshes the continuous aggregates over [from, to] (widened to whole years, so every
/// bucket touching the range is recomputed). Must run outside a transaction.
async fn refresh_continuous(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate) -> Result<()> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(REFRESH_LOCK)
        .execute(&mut *conn)
        .await?;
    let result = refresh_continuous_locked(conn, from, to).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(REFRESH_LOCK)
        .execute(&mut *conn)
        .await?;
    result
}

async fn refresh_continuous_locked(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<()> {
    use chrono::Datelike;
    // Buckets are at most a year; a week can start in December and end in January.
    let start = NaiveDate::from_ymd_opt(from.year(), 1, 1).unwrap_or(from) - chrono::Days::new(7);
    let end = NaiveDate::from_ymd_opt(to.year() + 1, 1, 1).unwrap_or(to) + chrono::Days::new(7);
    for name in PERIODS {
        sqlx::query("CALL refresh_continuous_aggregate($1::regclass, $2::date, $3::date)")
            .bind(format!("market.{name}"))
            .bind(start)
            .bind(end)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("refreshing market.{name}"))?;
    }
    Ok(())
}

/// After loads commit: refresh the continuous aggregates over the recorded stale ranges and
/// clear them. Returns the range refreshed, if any. Nothing to do for tables.
pub async fn refresh_pending(
    conn: &mut PgConnection,
    kind: Aggregates,
) -> Result<Option<(NaiveDate, NaiveDate)>> {
    if kind == Aggregates::Tables {
        return Ok(None);
    }
    let (from, to, last): (Option<NaiveDate>, Option<NaiveDate>, Option<i64>) =
        sqlx::query_as("SELECT min(from_day), max(to_day), max(id) FROM market.stale_ranges")
            .fetch_one(&mut *conn)
            .await?;
    let (Some(from), Some(to), Some(last)) = (from, to, last) else {
        return Ok(None);
    };
    refresh_continuous(conn, from, to).await?;
    // Only what this refresh covered: a load committing meanwhile keeps its own range.
    sqlx::query("DELETE FROM market.stale_ranges WHERE id <= $1")
        .bind(last)
        .execute(&mut *conn)
        .await?;
    Ok(Some((from, to)))
}

/// `stockdb refresh`: recompute every aggregate over [from, to] (default: all loaded days)
/// and clear the stale ranges it covers. Returns the range.
pub async fn refresh(
    conn: &mut PgConnection,
    kind: Aggregates,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, NaiveDate)>> {
    let (min, max): (Option<NaiveDate>, Option<NaiveDate>) =
        sqlx::query_as("SELECT min(day), max(day) FROM market.daily_prices")
            .fetch_one(&mut *conn)
            .await?;
    let (Some(from), Some(to)) = (from.or(min), to.or(max)) else {
        return Ok(None);
    };
    match kind {
        Aggregates::Continuous => refresh_continuous(conn, from, to).await?,
        Aggregates::Tables => {
            sqlx::query("SELECT market.refresh_period_tables(NULL, $1, $2)")
                .bind(from)
                .bind(to)
                .execute(&mut *conn)
                .await?;
        }
    }
    sqlx::query("DELETE FROM market.stale_ranges WHERE from_day >= $1 AND to_day <= $2")
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    Ok(Some((from, to)))
}

/// One aggregate's state, for `stockdb status`.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    pub name: String,
    pub rows: i64,
    pub last_bucket: Option<NaiveDate>,
    /// Load ranges not yet refreshed into it (always 0 for tables).
    pub stale_ranges: i64,
}

/// The state of every period aggregate.
pub async fn freshness(conn: &mut PgConnection) -> Result<Vec<Freshness>> {
    let stale_ranges: i64 = sqlx::query_scalar("SELECT count(*) FROM market.stale_ranges")
        .fetch_one(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for name in PERIODS {
        // `name` is one of our constants, never user input.
        let sql = format!("SELECT count(*), max(bucket) FROM market.{name}");
        let (rows, last_bucket): (i64, Option<NaiveDate>) =
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *conn)
                .await?;
        out.push(Freshness {
            name: name.to_string(),
            rows,
            last_bucket,
            stale_ranges,
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
