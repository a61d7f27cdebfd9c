//! The intraday roll-ups (issue 11): 5-minute, 15-minute, hourly and daily bars built level on
//! level from `market.intraday_bars` (migration V12). Tables tiers write them in each file's
//! transaction (`market.refresh_intraday_tables`); the timescale tier refreshes its continuous
//! aggregates here, after the loads commit, over the merged changed ranges, finest level first
//! (each level reads the one below).

use super::Aggregates;
use crate::db::copy;
use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{PgConnection, PgPool};

/// An intraday bar as stored: start time in microseconds since 1970 (UTC). The loader's
/// parse produces it; the roll-ups here take it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: i64,
}

/// Advisory lock taken shared by loaders writing roll-ups ([`write_materialized`]) and
/// exclusively by stockdb's refreshes of them.
pub const ROLLUP_WRITE_LOCK: i64 = 6704158923406787074;

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

/// The exchange's midnight starting `day`.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    // Midnight exists on every New York day (the clocks change at 2:00).
    New_York
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// Windows of whole New York days covering [from, to] (bar start times), cut into up to
/// `pieces` of about equal length.
pub fn windows(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    pieces: usize,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let first = from.with_timezone(&New_York).date_naive();
    let last = to.with_timezone(&New_York).date_naive();
    let days = (last - first).num_days() + 1;
    let pieces = (pieces.max(1) as i64).min(days);
    (0..pieces)
        .map(|i| {
            let start = first + chrono::Days::new((days * i / pieces) as u64);
            let end = first + chrono::Days::new((days * (i + 1) / pieces) as u64);
            (midnight(start), midnight(end))
        })
        .collect()
}

/// Refreshes every level of `levels` over one window, finest first (each level reads the one
/// below): the intraday roll-ups, or the trade bars (`trade_bars.rs`).
pub(super) async fn refresh_window(
    conn: &mut PgConnection,
    levels: &[&str],
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> Result<()> {
    // Without it TimescaleDB aggregates each chunk apart and combines the partial first()
    // and last() states: 48 s against 92 s for the 5-minute level of 10.6M bars.
    sqlx::query("SET timescaledb.enable_chunkwise_aggregation = off")
        .execute(&mut *conn)
        .await?;
    // The hash aggregate of a first load's buckets spills to disk with the default 4 MB
    // (5-minute level of 10.6M bars: 34 s instead of 39 s with 64 MB).
    sqlx::query("SET work_mem = '64MB'")
        .execute(&mut *conn)
        .await?;
    for &level in levels {
        let mut delay = std::time::Duration::from_millis(100);
        let mut waited = std::time::Duration::ZERO;
        loop {
            let result = sqlx::query(include_str!("sql/intraday_refresh.sql"))
                .bind(level)
                .bind(start)
                .bind(end)
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
                        .with_context(|| format!("refreshing {level} from {start} to {end}"));
                }
            }
        }
    }
    sqlx::query("RESET timescaledb.enable_chunkwise_aggregation")
        .execute(&mut *conn)
        .await?;
    sqlx::query("RESET work_mem").execute(&mut *conn).await?;
    Ok(())
}

/// Refreshes every level over [from, to], in two windows at once (separate days, separate
/// connections): the refresh is CPU-bound, and TimescaleDB runs refreshes of windows that
/// do not overlap side by side (5-minute level of 10.6M bars: 33 s instead of 52-68 s).
async fn refresh_levels(pool: &PgPool, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    let windows = windows(from, to, 2);
    // Both connections first: `stockdb refresh` has a pool of two.
    let mut conns = Vec::with_capacity(windows.len());
    for _ in &windows {
        conns.push(pool.acquire().await?);
    }
    let Some(first) = conns.first_mut() else {
        return Ok(());
    };
    if let (Some(start), Some(end)) = (windows.first(), windows.last())
        && windows.len() > 1
    {
        create_chunks(first, start.0, end.1).await?;
    }
    // For both windows, on the first connection: REFRESH_LOCK shared with stockdb's other
    // refreshes (the scheduled job, market.refresh_changed in migrations/V16, takes it
    // exclusively, so the two never refresh at once), then ROLLUP_WRITE_LOCK exclusively, so no
    // loader writes roll-ups meanwhile (write_materialized).
    sqlx::query("SELECT pg_advisory_lock_shared($1)")
        .bind(super::REFRESH_LOCK)
        .execute(&mut **first)
        .await?;
    let locked = sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(ROLLUP_WRITE_LOCK)
        .execute(&mut **first)
        .await;
    let refreshed = match locked {
        Ok(_) => {
            futures_util::stream::iter(conns.iter_mut().zip(windows))
                .map(|(conn, window)| refresh_window(conn, &LEVELS, window))
                .buffer_unordered(2)
                .try_collect::<()>()
                .await
        }
        Err(e) => Err(e.into()),
    };
    let mut first = conns.swap_remove(0);
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1), pg_advisory_unlock_shared($2)")
        .bind(ROLLUP_WRITE_LOCK)
        .bind(super::REFRESH_LOCK)
        .execute(&mut *first)
        .await;
    if unlocked.is_err() {
        // Never back into the pool with a session lock held.
        first.close().await.ok();
    }
    refreshed?;
    unlocked?;
    Ok(())
}

/// Creates the chunks of every level's storage over [start, end) in a transaction of its
/// own, before the windows refresh side by side. TimescaleDB creates a chunk under a lock on
/// its hypertable held to the end of the transaction, so the window that creates one first
/// made the other wait until its whole level was written: on 10.6M bars the 5-minute level's
/// windows took 8.8 s and 17.4 s.
async fn create_chunks(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<()> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    let tables: Vec<String> = sqlx::query_scalar(include_str!("sql/intraday_rollup_storage.sql"))
        .fetch_all(&mut *tx)
        .await?;
    for table in tables {
        // The table names come from the catalog, quoted by format('%I.%I').
        let create = include_str!("sql/intraday_rollup_chunks.sql").replace("{table}", &table);
        sqlx::query(sqlx::AssertSqlSafe(create))
            .bind(start)
            .bind(end)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("creating the chunks of {table}"))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE symbol = ' '"
        )))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One bucket of a roll-up level, as [`RollUps`] builds it in the parse thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub first_ts: i64,
    pub open: f64,
    pub last_ts: i64,
    pub close: f64,
    pub high: f64,
    pub low: f64,
    pub volume: i64,
    pub price_volume: f64,
    pub bars: i64,
}

impl Bucket {
    fn of_bar(bar: &Bar) -> Bucket {
        Bucket {
            first_ts: bar.ts,
            open: bar.open,
            last_ts: bar.ts,
            close: bar.close,
            high: bar.high,
            low: bar.low,
            volume: bar.volume,
            price_volume: (bar.high + bar.low + bar.close) / 3.0 * bar.volume as f64,
            bars: 1,
        }
    }

    fn merge(&mut self, other: &Bucket) {
        if other.first_ts < self.first_ts {
            self.first_ts = other.first_ts;
            self.open = other.open;
        }
        if other.last_ts > self.last_ts {
            self.last_ts = other.last_ts;
            self.close = other.close;
        }
        self.high = self.high.max(other.high);
        self.low = self.low.min(other.low);
        self.volume = self.volume.saturating_add(other.volume);
        self.price_volume += other.price_volume;
        self.bars += other.bars;
    }
}

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Bytes per COPY message of roll-up rows.
const CHUNK: usize = 64 * 1024;

/// The roll-ups of one file's bars (one symbol, one resolution), computed as they stream in,
/// for a symbol's first load at that resolution on the tables tiers: written with COPY
/// instead of recomputed in SQL (the SQL function is the definition; tests compare both).
#[derive(Debug, Default)]
pub struct RollUps {
    /// 5-minute buckets in the bars' order, a bucket merged with the last when they meet
    /// (files are sorted, either way); sorted and merged again at the end.
    five: Vec<(i64, Bucket)>,
    /// The New York day holding the last bar: [start, end) in UTC microseconds, and its start.
    day: Option<(i64, i64)>,
}

impl RollUps {
    /// Adds one bar.
    pub fn push(&mut self, bar: &Bar) {
        let width = 300 * MICROS_PER_SECOND;
        let bucket = bar.ts - bar.ts.rem_euclid(width);
        let b = Bucket::of_bar(bar);
        match self.five.last_mut() {
            Some((k, agg)) if *k == bucket => agg.merge(&b),
            _ => self.five.push((bucket, b)),
        }
    }

    /// The four levels, finest first: (bucket start in UTC microseconds, bucket). Each level
    /// is folded from the one below, as the SQL definition builds it.
    pub fn levels(&mut self) -> [Vec<(i64, Bucket)>; 4] {
        std::array::from_fn(|level| self.step(level).to_vec())
    }

    /// Turns the held buckets into level `level` (0: 5 minutes, sorted and merged; 1: 15
    /// minutes; 2: hourly; 3: the New York day), folded from the level below as
    /// [`Self::levels`] does, in place: a file of many symbols keeps one level at a time.
    fn step(&mut self, level: usize) -> &[(i64, Bucket)] {
        let mut below = std::mem::take(&mut self.five);
        if level == 0 {
            below.sort_by_key(|(k, _)| *k);
        }
        let mut out: Vec<(i64, Bucket)> = Vec::with_capacity(below.len());
        for (start, b) in below {
            let key = match level {
                0 => start,
                1 => start - start.rem_euclid(900 * MICROS_PER_SECOND),
                2 => start - start.rem_euclid(3600 * MICROS_PER_SECOND),
                _ => self.day_start(start),
            };
            match out.last_mut() {
                Some((k, agg)) if *k == key => agg.merge(&b),
                _ => out.push((key, b)),
            }
        }
        self.five = out;
        &self.five
    }

    /// The New York midnight starting the day that holds `t` (UTC microseconds).
    fn day_start(&mut self, t: i64) -> i64 {
        if let Some((start, end)) = self.day
            && (start..end).contains(&t)
        {
            return start;
        }
        let at = DateTime::<Utc>::from_timestamp_micros(t).unwrap_or_default();
        let day = at.with_timezone(&New_York).date_naive();
        let start = midnight(day).timestamp_micros();
        let end = midnight(day + chrono::Days::new(1)).timestamp_micros();
        self.day = Some((start, end));
        start
    }
}

/// Writes a new (symbol, resolution)'s roll-ups with COPY, inside the file's transaction
/// (tables tiers; the symbol had no bars at this resolution, so it has no such rows).
pub async fn write_tables(
    conn: &mut PgConnection,
    symbol: &str,
    resolution: i64,
    rollups: &mut RollUps,
) -> Result<()> {
    copy_levels(conn, &LEVELS, symbol, resolution, rollups).await
}

/// The continuous aggregates' storage of the four levels, finest first, with the locks a
/// loader takes before writing it; None when it is not in the form expected.
async fn writable_storage(conn: &mut PgConnection) -> Result<Option<[String; 4]>> {
    // The columns encode_rollup writes: the aggregates of migrations/V12.
    let columns = [
        "symbol",
        "source_resolution",
        "bucket",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "price_volume",
        "bars",
    ];
    let views = LEVELS.map(|level| level.trim_start_matches("market."));
    let Some(tables) = super::materialization_tables(&mut *conn, "market", views, &columns).await?
    else {
        return Ok(None);
    };
    // A refresh deletes a window's buckets for every symbol, then inserts them again from the
    // bars: a file committing in between would leave its rows beside the refresh's. So stockdb's
    // refreshes of these levels hold ROLLUP_WRITE_LOCK exclusively and the scheduled job holds
    // REFRESH_LOCK exclusively; loaders share both to the end of the file's transaction (one
    // order everywhere: REFRESH_LOCK first), so files still write side by side. A refresh that
    // is not stockdb's fails on the storage's unique index (migrations/V23) instead.
    for lock in [super::REFRESH_LOCK, ROLLUP_WRITE_LOCK] {
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind(lock)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some(tables))
}

/// Writes a new (symbol, resolution)'s roll-ups straight into the continuous aggregates'
/// storage, inside the file's transaction (timescale tier), as [`write_tables`] does for the
/// tables. Returns false (nothing written) when that storage is not in the form expected; the
/// caller then leaves the range to the refresh after commit.
///
/// Why: the refresh of a first load's bars re-read them all and wrote every level through
/// INSERT … SELECT: 16-22 s of a 52-64 s first load of 10.6M one-minute bars. These COPYs
/// make the files 10-16 s slower instead, the load 4-5 s faster in all (BENCHMARKS.md), and
/// the roll-ups are fresh when each file commits. TimescaleDB still counts these buckets as
/// not materialized, so its own refreshes (the scheduled job, `stockdb refresh`) recompute the
/// same rows once.
pub async fn write_materialized(
    conn: &mut PgConnection,
    symbol: &str,
    resolution: i64,
    rollups: &mut RollUps,
) -> Result<bool> {
    let Some(tables) = writable_storage(&mut *conn).await? else {
        return Ok(false);
    };
    for table in &tables {
        // Rows left by bars another writer deleted, not refreshed since, would sit beside the
        // new ones. The table names come from the catalog, quoted by format('%I.%I').
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE symbol = $1 AND source_resolution = $2"
        )))
        .bind(symbol)
        .bind(copy::interval_of(resolution))
        .execute(&mut *conn)
        .await
        .with_context(|| format!("clearing {symbol} in {table}"))?;
    }
    let tables = tables.each_ref().map(String::as_str);
    copy_levels(conn, &tables, symbol, resolution, rollups).await?;
    Ok(true)
}

/// The four levels of a day's roll-ups of many symbols as binary COPY tuples
/// ([`encode_rollup`]), finest first, spooled to temporary files as each symbol's bars end.
pub type DayLevels = [std::fs::File; 4];

/// Writes the roll-ups of one New York day's bars at one resolution, `[from, to)` in UTC
/// microseconds, which had no bars at that resolution before the file: the spooled `levels`,
/// with COPY, into the tables (tables tiers) or the continuous aggregates' storage (timescale
/// tier), inside the file's transaction. Returns false (nothing written) when that storage is
/// not in the form expected; the caller then leaves the day to a refresh.
///
/// Why: the refresh after the load of a month of full-market minute files took 66 of its 132 s
/// on TimescaleDB 2.28, and the same levels built in SQL in each file's transaction 9 s a file;
/// these COPYs take 2.6 s (BENCHMARKS.md, issue 43). Spooled to disk, not held: a
/// 10,000-symbol day has 350,000 5-minute buckets, ~100 MB a file in memory.
pub async fn write_day(
    conn: &mut PgConnection,
    kind: Aggregates,
    resolution: i64,
    (from, to): (i64, i64),
    levels: DayLevels,
) -> Result<bool> {
    let tables: [String; 4] = match kind {
        Aggregates::Tables => LEVELS.map(str::to_string),
        Aggregates::Continuous => match writable_storage(&mut *conn).await? {
            Some(tables) => tables,
            None => return Ok(false),
        },
    };
    let at = |t: i64| DateTime::<Utc>::from_timestamp_micros(t);
    for (table, mut spool) in tables.iter().zip(levels) {
        // Rows of bars another writer deleted, not refreshed since. The names come from the
        // catalog (quoted by format('%I.%I')) or LEVELS.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE source_resolution = $1 AND bucket >= $2 AND bucket < $3"
        )))
        .bind(copy::interval_of(resolution))
        .bind(at(from))
        .bind(at(to))
        .execute(&mut *conn)
        .await
        .with_context(|| format!("clearing the day in {table}"))?;
        let sql = format!(
            "COPY {table} (symbol, source_resolution, bucket, open, high, low, close, volume, \
             price_volume, bars) FROM STDIN (FORMAT binary)"
        );
        let mut copy = conn.copy_in_raw(&sql).await?;
        copy.send(crate::db::copy::HEADER).await?;
        loop {
            let mut buf = vec![0u8; CHUNK];
            let n = std::io::Read::read(&mut spool, &mut buf)?;
            if n == 0 {
                break;
            }
            buf.truncate(n);
            copy.send(buf).await?;
        }
        copy.send(crate::db::copy::TRAILER).await?;
        copy.finish().await?;
    }
    Ok(true)
}

/// COPYs the four levels of one (symbol, resolution)'s roll-ups into `tables`, finest first.
async fn copy_levels(
    conn: &mut PgConnection,
    tables: &[&str; 4],
    symbol: &str,
    resolution: i64,
    rollups: &mut RollUps,
) -> Result<()> {
    for (level, rows) in tables.iter().zip(rollups.levels()) {
        if rows.is_empty() {
            continue;
        }
        let sql = format!(
            "COPY {level} (symbol, source_resolution, bucket, open, high, low, close, volume, \
             price_volume, bars) FROM STDIN (FORMAT binary)"
        );
        let mut copy = conn.copy_in_raw(&sql).await?;
        // Sent in pieces: the connection's write buffer keeps the size of the largest message.
        let mut buf = Vec::with_capacity(CHUNK + 256);
        buf.extend_from_slice(crate::db::copy::HEADER);
        for (bucket, b) in &rows {
            encode_rollup(&mut buf, symbol, resolution, *bucket, b);
            if buf.len() >= CHUNK {
                copy.send(std::mem::take(&mut buf)).await?;
            }
        }
        buf.extend_from_slice(crate::db::copy::TRAILER);
        copy.send(buf).await?;
        copy.finish().await?;
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

/// Appends one row of an intraday roll-up table (symbol, source_resolution, bucket, open,
/// high, low, close, volume, price_volume, bars); times in microseconds since 1970 (UTC).
pub fn encode_rollup(buf: &mut Vec<u8>, symbol: &str, resolution: i64, bucket: i64, b: &Bucket) {
    buf.extend_from_slice(&10i16.to_be_bytes());
    copy::put_text(buf, symbol);
    copy::put_interval(buf, resolution);
    copy::put_i64(buf, bucket - copy::PG_EPOCH_MICROS);
    for v in [b.open, b.high, b.low, b.close] {
        copy::put_f64(buf, v);
    }
    copy::put_i64(buf, b.volume);
    copy::put_f64(buf, b.price_volume);
    copy::put_i64(buf, b.bars);
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

    #[test]
    fn windows_are_whole_new_york_days_and_meet() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 2024-03-08 (EST) to 2024-03-11 (EDT): four days, midnights at 05:00 and 04:00 UTC.
        let w = windows(at("2024-03-08T14:30:00Z"), at("2024-03-11T20:00:00Z"), 2);
        assert_eq!(
            w,
            vec![
                (at("2024-03-08T05:00:00Z"), at("2024-03-10T05:00:00Z")),
                (at("2024-03-10T05:00:00Z"), at("2024-03-12T04:00:00Z")),
            ]
        );
        // A bar after 19:00 New York on a winter day is the next day in UTC, not in New York.
        let w = windows(at("2024-01-03T00:30:00Z"), at("2024-01-03T00:30:00Z"), 2);
        assert_eq!(
            w,
            vec![(at("2024-01-02T05:00:00Z"), at("2024-01-03T05:00:00Z"))]
        );
    }
}
