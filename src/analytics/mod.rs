//! Period aggregates and their freshness (DESIGN.md §5): continuous aggregates refreshed
//! after a load commits (timescale tier), or tables written inside each file's
//! transaction (apache and postgres tiers).

mod bulk;
pub mod crosses;
pub mod features;
mod freshness;
pub mod intraday;
pub mod periods;
pub mod returns;
mod schedule;
pub mod trade_bars;

pub use freshness::{Freshness, estimated_rows, freshness, staleness_warning};
pub use schedule::schedule;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{Connection, PgConnection, PgPool};

/// The period aggregates, finest first.
pub const PERIODS: [&str; 4] = [
    "weekly_prices",
    "monthly_prices",
    "quarterly_prices",
    "yearly_prices",
];

pub use crate::db::aggregates::{Aggregates, detect};

/// Runs a stored feature's SQL definition for one symbol from a day on (None: every day):
/// `sql` takes the symbol as $1 and the day as $2; `doing` names it in errors.
async fn recompute_symbol(
    conn: &mut PgConnection,
    sql: &'static str,
    symbol: &str,
    from: Option<NaiveDate>,
    doing: &str,
) -> Result<()> {
    sqlx::query(sql)
        .bind(symbol)
        .bind(from)
        .execute(conn)
        .await
        .with_context(|| format!("{doing} of {symbol}"))?;
    Ok(())
}

/// Inside a load transaction, given the days the load inserted or updated and the symbol's
/// last day before the load: recompute the tables over the periods they touch; on the
/// timescale tier, rewrite the symbol's own rows of the continuous aggregates when an old day
/// changed ([`rematerialize`]), or else record the days (as runs) for the refresh after
/// commit, since continuous aggregates cannot refresh in a transaction.
pub async fn changed(
    conn: &mut PgConnection,
    kind: Aggregates,
    symbol: &str,
    days: &[NaiveDate],
    last_before: Option<NaiveDate>,
) -> Result<()> {
    let runs = day_runs(days);
    let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
        return Ok(());
    };
    match kind {
        // One symbol's periods over the changed span: a few hundred rows at most.
        Aggregates::Tables => sqlx::query("SELECT market.refresh_period_tables($1, $2, $3)")
            .bind(symbol)
            .bind(first.0)
            .bind(last.1)
            .execute(conn)
            .await
            .map(drop),
        Aggregates::Continuous => {
            if last_before.is_some_and(|l| first.0 <= l)
                && rematerialize(&mut *conn, symbol, days).await?
            {
                return Ok(());
            }
            let (from, to): (Vec<NaiveDate>, Vec<NaiveDate>) = runs.into_iter().unzip();
            sqlx::query(
                "INSERT INTO market.stale_ranges (symbol, from_day, to_day) \
                 SELECT $1, f, t FROM unnest($2::date[], $3::date[]) AS r(f, t)",
            )
            .bind(symbol)
            .bind(from)
            .bind(to)
            .execute(conn)
            .await
            .map(drop)
        }
    }
    .context("refreshing the period aggregates")
}

/// Rewrites one symbol's rows of the four continuous aggregates for the buckets holding
/// `days`, inside the load's transaction, from the aggregates' own definitions. Returns false
/// (nothing done) when the materialization tables are not in the form expected.
///
/// Why: a refresh recomputes a bucket for every symbol. A corrected file whose 60 days are
/// spread over 10 years touched ~160 buckets, ~6.7 s of refreshes on 2,642 symbols (issue 9);
/// one symbol's buckets take milliseconds. Appends (new days past the symbol's last) are left
/// to the refresh after commit: there every symbol's new days share the same few buckets.
/// TimescaleDB's own invalidation log still records the change, so its refreshes (policies,
/// `stockdb refresh`) recompute the same values.
async fn rematerialize(conn: &mut PgConnection, symbol: &str, days: &[NaiveDate]) -> Result<bool> {
    // The columns rematerialize_from_*.sql write: the aggregates of migrations/V3.
    let columns = [
        "symbol",
        "bucket",
        "trading_days",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "sum_high",
        "sum_low",
        "sum_close",
    ];
    let views = ["weekly", "monthly", "quarterly", "yearly"];
    let Some([weekly, monthly, quarterly, yearly]) =
        materialization_tables(&mut *conn, "market_agg", views, &columns).await?
    else {
        return Ok(false);
    };
    // A refresh (policy or another loader) deletes and re-inserts whole buckets under
    // RowExclusiveLock: waiting for it here, and it for us, keeps a bucket from being written
    // twice. Locked in one statement, in one order, by every loader.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {weekly}, {monthly}, {quarterly}, {yearly} IN SHARE ROW EXCLUSIVE MODE"
    )))
    .execute(&mut *conn)
    .await?;
    let from_daily = include_str!("sql/rematerialize_from_daily.sql");
    let from_monthly = include_str!("sql/rematerialize_from_monthly.sql");
    for (table, sql, width) in [
        (&weekly, from_daily, "1 week"),
        (&monthly, from_daily, "1 month"),
        (&quarterly, from_monthly, "3 months"),
        (&yearly, from_monthly, "1 year"),
    ] {
        // The table names come from the catalog, quoted by format('%I.%I').
        let sql = sql.replace("{table}", table).replace("{monthly}", &monthly);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(symbol)
            .bind(days)
            .bind(width)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("rewriting {symbol} in {table}"))?;
    }
    Ok(true)
}

/// The tables holding the continuous aggregates `views` of `schema` (their materialization
/// hypertables), in that order and quoted, when each has exactly `columns`; None when one is
/// missing or in another form (the caller then leaves the rows to a refresh).
pub async fn materialization_tables<const N: usize>(
    conn: &mut PgConnection,
    schema: &str,
    views: [&str; N],
    columns: &[&str],
) -> Result<Option<[String; N]>> {
    let tables: Vec<String> = sqlx::query_scalar(include_str!("sql/materialization_tables.sql"))
        .bind(schema)
        .bind(&views[..])
        .bind(columns)
        .fetch_all(conn)
        .await?;
    Ok(<[String; N]>::try_from(tables).ok())
}

/// The days as runs [first, last] of days no more than a week apart (a week can hold no other
/// trading day, so a run maps onto consecutive buckets of every period).
pub fn day_runs(days: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    merge_runs(days.iter().map(|&d| (d, d)).collect(), 7)
}

/// Ranges sorted and merged where one starts at most `gap` days after the previous ends.
fn merge_runs(mut ranges: Vec<(NaiveDate, NaiveDate)>, gap: i64) -> Vec<(NaiveDate, NaiveDate)> {
    ranges.sort_unstable();
    let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for (start, end) in ranges {
        match runs.last_mut() {
            Some(run) if (start - run.1).num_days() <= gap => run.1 = run.1.max(end),
            _ => runs.push((start, end)),
        }
    }
    runs
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
        let mut buf = crate::db::copy::HEADER.to_vec();
        for (bucket, b) in rows {
            let volume = b
                .volume()
                .context("a period's volume does not fit bigint")?;
            periods::encode_period_row(&mut buf, symbol, *bucket, b, volume);
        }
        buf.extend_from_slice(crate::db::copy::TRAILER);
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

/// The continuous aggregate behind each period view (migrations/V3), with its period.
const CONTINUOUS: [(&str, periods::Period); 4] = [
    ("market_agg.weekly", periods::Period::Week),
    ("market_agg.monthly", periods::Period::Month),
    ("market_agg.quarterly", periods::Period::Quarter),
    ("market_agg.yearly", periods::Period::Year),
];

/// stockdb's refresh lock: its own refreshes hold it shared, the scheduled job
/// (`market.refresh_changed`, migrations/V15 and V16) exclusively.
pub const REFRESH_LOCK: i64 = 6704158923406787073;

/// Connections refreshing at the same time.
const REFRESH_CONNECTIONS: usize = 2;

/// The windows [start, end) to refresh in one aggregate for the changed day ranges: the
/// buckets holding them, merged where they touch or overlap, never widened further.
pub fn bucket_runs(
    period: periods::Period,
    ranges: &[(NaiveDate, NaiveDate)],
) -> Vec<(NaiveDate, NaiveDate)> {
    // Windows are half-open: one starting where the previous ends touches it (gap 0).
    let windows = ranges
        .iter()
        .map(|&(from, to)| (period.bucket(from), period.next(to)))
        .collect();
    merge_runs(windows, 0)
}

/// One refresh call: an aggregate (index into [`CONTINUOUS`]) over a window.
type Piece = (usize, NaiveDate, NaiveDate);

/// Refreshes the continuous aggregates over exactly the buckets holding the changed day
/// ranges. Each window is refreshed with `force` (TimescaleDB 2.28 can skip a month or
/// quarter whose first day is a chunk's last invalidated value; issue 9) in one batch
/// (`buckets_per_batch` 0: the default of 10 buckets per batch rescans whole chunks for
/// every batch). Two connections share the windows ([`RefreshPlan`]): monthly and the
/// levels built on it on one, weekly (cut into a few parts by row weight) on both. Each
/// aggregate's refreshed span is recorded once at the end, for `stockdb status`. Into empty
/// aggregates it runs without their storage's indexes ([`bulk`]). Must run outside a
/// transaction.
async fn refresh_continuous(pool: &PgPool, ranges: &[(NaiveDate, NaiveDate)]) -> Result<()> {
    let aside = bulk::set_aside(pool).await?;
    let refreshed = refresh_windows(pool, ranges).await;
    let restored = bulk::restore(pool, aside).await;
    refreshed.and(restored)
}

/// The refresh of [`refresh_continuous`], on two connections.
async fn refresh_windows(pool: &PgPool, ranges: &[(NaiveDate, NaiveDate)]) -> Result<()> {
    let plan = std::sync::Mutex::new(RefreshPlan::new(ranges));
    let worker = || async {
        let mut conn = pool.acquire().await?;
        // A month of every symbol (~55k rows) overflows the default 4 MB into an on-disk sort:
        // 125 ms against 74 ms per monthly window, measured. Reset when the worker is done.
        sqlx::query("SET work_mem = '64MB'")
            .execute(&mut *conn)
            .await?;
        // Shared with the other worker and other loaders; the scheduled job
        // (market.refresh_changed) takes it exclusively, so the two never overlap. Released
        // when the worker is done, or with the connection when the command ends.
        sqlx::query("SELECT pg_advisory_lock_shared($1)")
            .bind(REFRESH_LOCK)
            .execute(&mut *conn)
            .await?;
        loop {
            // The lock is never held across an await; poisoning needs a panic inside it.
            let next = plan.lock().expect("plan lock").next();
            match next {
                Next::Refresh(piece) => {
                    refresh_window(&mut conn, piece).await?;
                    plan.lock().expect("plan lock").done(piece);
                }
                // Quarterly and yearly wait for the other connection's monthly windows.
                Next::Wait => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                Next::Finished => {
                    sqlx::query("RESET work_mem").execute(&mut *conn).await?;
                    sqlx::query("SELECT pg_advisory_unlock_shared($1)")
                        .bind(REFRESH_LOCK)
                        .execute(&mut *conn)
                        .await?;
                    return Ok::<(), anyhow::Error>(());
                }
            }
        }
    };
    let workers: Vec<_> = (0..REFRESH_CONNECTIONS).map(|_| worker()).collect();
    futures_util::future::try_join_all(workers).await?;
    for (name, period) in CONTINUOUS {
        let runs = bucket_runs(period, ranges);
        if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
            sqlx::query(include_str!("sql/refresh_recorded.sql"))
                .bind(name)
                .bind(first.0)
                .bind(last.1)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// Parts a long weekly run is cut into. In row storage each cut cost one more scan of the chunk
/// it falls in (4-year pieces, 15 per run: a full refresh 62.6 s against 52.4 s). Converted
/// chunks read only the batches whose days meet the window, so 8 parts now even out the two
/// connections' ends better than 4: a first load's refresh of 9.2M rows 13.2-16.5 s against
/// 15.2-19.4 s, `stockdb refresh` of everything 82-83 s against 78-83 s (BENCHMARKS.md).
const WEEKLY_PARTS: usize = 8;

/// Below this many buckets a run is refreshed whole.
const MIN_BUCKETS_TO_CUT: usize = 104;

/// A run cut into `parts` windows on bucket starts, each holding about the same number of
/// rows, estimated from the changed ranges: a bucket weighs as many ranges as cover it (for a
/// load, about the number of symbols trading then; recent years hold most of the rows).
fn split_by_weight(
    period: periods::Period,
    (start, end): (NaiveDate, NaiveDate),
    ranges: &[(NaiveDate, NaiveDate)],
    parts: usize,
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut buckets = vec![start];
    while let Some(&last) = buckets.last() {
        let next = period.next(last);
        if next >= end {
            break;
        }
        buckets.push(next);
    }
    if buckets.len() < MIN_BUCKETS_TO_CUT || parts < 2 {
        return vec![(start, end)];
    }
    // Covering ranges per bucket, by a difference array over the bucket index.
    let mut diff = vec![0i64; buckets.len() + 1];
    for &(from, to) in ranges {
        let (from, to) = (period.bucket(from).max(start), period.bucket(to));
        if from >= end || to < start {
            continue;
        }
        let a = buckets.partition_point(|&b| b < from);
        let b = buckets.partition_point(|&b| b <= to);
        diff[a] += 1;
        diff[b] -= 1;
    }
    let mut weight = 0i64;
    let weights: Vec<i64> = diff[..buckets.len()]
        .iter()
        .map(|d| {
            weight += d;
            weight.max(1)
        })
        .collect();
    let total: i64 = weights.iter().sum();
    let mut out = Vec::new();
    let (mut from, mut acc, mut k) = (start, 0i64, 1);
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if k < parts && acc * parts as i64 >= total * k as i64 && i + 1 < buckets.len() {
            let cut = buckets[i + 1];
            out.push((from, cut));
            from = cut;
            k += 1;
        }
    }
    out.push((from, end));
    out
}

/// What a refresh connection does next.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Refresh(Piece),
    Wait,
    Finished,
}

/// The windows still to refresh. Quarterly and yearly read the monthly aggregate, so they
/// start once every monthly window is done; monthly windows go first (that chain is the
/// critical path) while the other connection takes weekly, which reads the most rows.
#[derive(Debug)]
struct RefreshPlan {
    /// Weekly and monthly, popped from the end.
    daily: Vec<Piece>,
    /// Quarterly and yearly, popped from the end once `monthly_left` is 0.
    on_monthly: Vec<Piece>,
    monthly_left: usize,
}

impl RefreshPlan {
    fn new(ranges: &[(NaiveDate, NaiveDate)]) -> Self {
        let windows = |i: usize| -> Vec<Piece> {
            bucket_runs(CONTINUOUS[i].1, ranges)
                .into_iter()
                .map(|(s, e)| (i, s, e))
                .collect()
        };
        // Weekly reads the most rows and nothing waits on it: its long runs are cut so that
        // both connections share it once monthly and what hangs on it are done.
        let weekly = windows(0)
            .into_iter()
            .flat_map(|(i, s, e)| {
                split_by_weight(CONTINUOUS[i].1, (s, e), ranges, WEEKLY_PARTS)
                    .into_iter()
                    .map(move |(s, e)| (i, s, e))
            })
            .collect::<Vec<_>>();
        // Popped from the end: monthly first, then the longest windows first.
        let mut daily: Vec<Piece> = weekly.into_iter().chain(windows(1)).collect();
        daily.sort_by_key(|&(i, start, end)| (i, (end - start).num_days()));
        let mut on_monthly: Vec<Piece> = windows(2).into_iter().chain(windows(3)).collect();
        on_monthly.sort_by_key(|&(_, start, end)| (end - start).num_days());
        let monthly_left = daily.iter().filter(|p| p.0 == 1).count();
        RefreshPlan {
            daily,
            on_monthly,
            monthly_left,
        }
    }

    fn next(&mut self) -> Next {
        if self.monthly_left == 0
            && let Some(piece) = self.on_monthly.pop()
        {
            return Next::Refresh(piece);
        }
        match self.daily.pop() {
            Some(piece) => Next::Refresh(piece),
            None if self.monthly_left > 0 => Next::Wait,
            None => Next::Finished,
        }
    }

    fn done(&mut self, piece: Piece) {
        if piece.0 == 1 {
            self.monthly_left -= 1;
        }
    }
}

/// One forced refresh of one window. TimescaleDB refuses a refresh whose window overlaps one
/// in progress (another loader, or a refresh policy): wait and try again.
async fn refresh_window(conn: &mut PgConnection, (i, start, end): Piece) -> Result<()> {
    let name = CONTINUOUS[i].0;
    let mut delay = std::time::Duration::from_millis(100);
    let mut waited = std::time::Duration::ZERO;
    loop {
        let result = sqlx::query(include_str!("sql/refresh_window.sql"))
            .bind(name)
            .bind(start)
            .bind(end)
            .execute(&mut *conn)
            .await;
        match result {
            Ok(_) => return Ok(()),
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55P03")
                    && waited < std::time::Duration::from_secs(600) =>
            {
                tracing::info!("{name}: a concurrent refresh overlaps [{start}, {end}); waiting");
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("refreshing {name} from {start} to {end}"));
            }
        }
    }
}

/// After loads commit: refresh the continuous aggregates over the recorded stale ranges and
/// clear them. Returns the span refreshed, if any. Nothing to do for tables.
pub async fn refresh_pending(
    pool: &PgPool,
    kind: Aggregates,
) -> Result<Option<(NaiveDate, NaiveDate)>> {
    if kind == Aggregates::Tables {
        return Ok(None);
    }
    let last: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM market.stale_ranges")
        .fetch_one(pool)
        .await?;
    let Some(last) = last else {
        return Ok(None);
    };
    let ranges: Vec<(NaiveDate, NaiveDate)> =
        sqlx::query_as("SELECT from_day, to_day FROM market.stale_ranges WHERE id <= $1")
            .bind(last)
            .fetch_all(pool)
            .await?;
    refresh_continuous(pool, &ranges).await?;
    // Only what this refresh covered: a load committing meanwhile keeps its own ranges.
    sqlx::query("DELETE FROM market.stale_ranges WHERE id <= $1")
        .bind(last)
        .execute(pool)
        .await?;
    let from = ranges.iter().map(|r| r.0).min();
    let to = ranges.iter().map(|r| r.1).max();
    Ok(from.zip(to))
}

/// `stockdb refresh`: recompute every aggregate over [from, to] (default: all loaded days)
/// and clear the stale ranges it covers; recount the symbols, their quality counts and their
/// stored medians (from `from` on). Returns the range.
pub async fn refresh(
    pool: &PgPool,
    kind: Aggregates,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, NaiveDate)>> {
    // A median's window reaches 29 days back, so those are redone from `from` to the end.
    let medians_from = from;
    let (min, max): (Option<NaiveDate>, Option<NaiveDate>) =
        sqlx::query_as("SELECT min(day), max(day) FROM market.daily_prices")
            .fetch_one(pool)
            .await?;
    let (Some(from), Some(to)) = (from.or(min), to.or(max)) else {
        return Ok(None);
    };
    match kind {
        Aggregates::Continuous => refresh_continuous(pool, &[(from, to)]).await?,
        Aggregates::Tables => {
            sqlx::query("SELECT market.refresh_period_tables(NULL, $1, $2)")
                .bind(from)
                .bind(to)
                .execute(pool)
                .await?;
        }
    }
    sqlx::query("DELETE FROM market.stale_ranges WHERE from_day >= $1 AND to_day <= $2")
        .bind(from)
        .bind(to)
        .execute(pool)
        .await?;
    sqlx::query(include_str!("sql/recount_symbols.sql"))
        .execute(pool)
        .await?;
    let symbols: Vec<String> =
        sqlx::query_scalar("SELECT symbol FROM market.symbol_stats ORDER BY symbol")
            .fetch_all(pool)
            .await?;
    features::recount_quality(pool, &symbols).await?;
    // What the loader keeps per symbol, recomputed with the definitions, two symbols at a time.
    futures_util::stream::iter(&symbols)
        .map(|symbol| async move {
            let mut conn = pool.acquire().await?;
            // The medians are stored in market.daily_prices, a hypertable a load may convert.
            let mut tx = conn
                .begin_with(crate::db::columnstore::BEGIN_WRITING)
                .await?;
            features::refresh_medians(&mut tx, symbol, medians_from).await?;
            tx.commit().await?;
            crosses::refresh(&mut conn, symbol, None).await?;
            returns::refresh(&mut conn, symbol, None).await
        })
        .buffer_unordered(2)
        .try_collect::<()>()
        .await?;
    Ok(Some((from, to)))
}

#[cfg(test)]
mod tests {
    use super::periods::Period;
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn changed_days_become_runs_a_week_apart_at_most() {
        let days = [
            d("2021-01-05"),
            d("2021-01-04"),
            d("2021-01-12"),
            d("2021-03-01"),
        ];
        assert_eq!(
            day_runs(&days),
            [
                (d("2021-01-04"), d("2021-01-12")),
                (d("2021-03-01"), d("2021-03-01"))
            ]
        );
        assert!(day_runs(&[]).is_empty());
    }

    #[test]
    fn windows_are_the_buckets_of_the_changed_days_merged_where_they_touch() {
        let ranges = [
            (d("2011-11-01"), d("2011-11-01")),
            (d("2011-11-30"), d("2011-12-02")),
            (d("2015-06-10"), d("2015-06-10")),
        ];
        assert_eq!(
            bucket_runs(Period::Month, &ranges),
            [
                (d("2011-11-01"), d("2012-01-01")),
                (d("2015-06-01"), d("2015-07-01"))
            ]
        );
        assert_eq!(
            bucket_runs(Period::Quarter, &ranges),
            [
                (d("2011-10-01"), d("2012-01-01")),
                (d("2015-04-01"), d("2015-07-01"))
            ]
        );
        // 2011-11-01 is a Tuesday: its week starts Monday 2011-10-31.
        assert_eq!(
            bucket_runs(Period::Week, &ranges)[0],
            (d("2011-10-31"), d("2011-11-07"))
        );
    }

    #[test]
    fn quarterly_and_yearly_wait_for_every_monthly_window() {
        let ranges = [
            (d("2011-11-01"), d("2011-11-01")),
            (d("2015-06-10"), d("2015-06-10")),
        ];
        let mut plan = RefreshPlan::new(&ranges);
        let mut order = Vec::new();
        let mut running = Vec::new();
        // Two connections: each takes what it can; a monthly window finishes after each step.
        for _ in 0..40 {
            match plan.next() {
                Next::Refresh(p) => {
                    order.push(p.0);
                    running.push(p);
                }
                Next::Wait | Next::Finished => {}
            }
            if let Some(p) = running.pop() {
                plan.done(p);
            }
        }
        assert_eq!(plan.next(), Next::Finished);
        assert_eq!(
            order.len(),
            8,
            "2 windows in each of 4 aggregates: {order:?}"
        );
        assert_eq!(&order[..2], &[1, 1], "monthly first: {order:?}");
        let last_monthly = order.iter().rposition(|&i| i == 1).unwrap();
        let first_upper = order.iter().position(|&i| i >= 2).unwrap();
        assert!(last_monthly < first_upper, "{order:?}");
    }

    #[test]
    fn a_connection_waits_while_monthly_is_still_running() {
        let mut plan = RefreshPlan::new(&[(d("2011-11-01"), d("2011-11-01"))]);
        let monthly = plan.next();
        assert!(matches!(monthly, Next::Refresh((1, _, _))));
        assert!(
            matches!(plan.next(), Next::Refresh((0, _, _))),
            "weekly meanwhile"
        );
        assert_eq!(plan.next(), Next::Wait, "quarterly must wait for monthly");
        let Next::Refresh(p) = monthly else {
            unreachable!()
        };
        plan.done(p);
        assert!(matches!(plan.next(), Next::Refresh((2 | 3, _, _))));
    }

    #[test]
    fn long_weekly_runs_are_cut_where_the_rows_are() {
        // 10 symbols listed in 1990, 90 more in 2015: most rows are recent.
        let mut ranges = vec![(d("1990-01-02"), d("2020-12-31")); 10];
        ranges.extend(vec![(d("2015-01-02"), d("2020-12-31")); 90]);
        let run = bucket_runs(Period::Week, &ranges)[0];
        let parts = split_by_weight(Period::Week, run, &ranges, 4);
        assert_eq!(parts.len(), 4);
        assert_eq!((parts[0].0, parts[3].1), run);
        for w in parts.windows(2) {
            assert_eq!(w[0].1, w[1].0, "contiguous");
            assert_eq!(Period::Week.bucket(w[0].1), w[0].1, "cut on a Monday");
        }
        let years = |(s, e): (NaiveDate, NaiveDate)| (e - s).num_days() / 365;
        assert!(
            years(parts[0]) > 15 && years(parts[3]) < 3,
            "sparse old years in one part, the busy recent ones cut finer: {parts:?}"
        );
        // A short run stays whole.
        let short = (d("2020-01-06"), d("2020-03-02"));
        assert_eq!(split_by_weight(Period::Week, short, &ranges, 4), [short]);
    }
}
