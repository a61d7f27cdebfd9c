//! Aggregates, moving averages and the shipped reports, checked against reference values
//! computed here from the fixture CSVs (plain Rust, not the SQL under test).

mod common;

use chrono::{Datelike, Days, NaiveDate};
use common::{TestDb, fresh_db, root};
use serde_json::Value as J;
use std::collections::BTreeMap;

/// One day of a fixture, read by hand.
#[derive(Debug, Clone)]
struct Day {
    day: NaiveDate,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    adj_close: f64,
    volume: i64,
}

fn read_days(file: &str) -> Vec<Day> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let mut days: Vec<Day> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Day {
                day: NaiveDate::parse_from_str(f[0], "%Y-%m-%d").unwrap(),
                open: f[1].parse().unwrap(),
                high: f[2].parse().unwrap(),
                low: f[3].parse().unwrap(),
                close: f[4].parse().unwrap(),
                adj_close: f[5].parse().unwrap(),
                volume: f[6].parse::<f64>().unwrap() as i64,
            }
        })
        .collect();
    days.sort_by_key(|d| d.day);
    days
}

const FIXTURES: [(&str, &str); 4] = [
    ("ACME", "fixtures/yahoo/ACME.csv"),
    ("ALFA", "fixtures/kaggle/stocks/ALFA.csv"),
    ("BETA", "fixtures/kaggle/stocks/BETA.csv"),
    ("GAMX", "fixtures/kaggle/etfs/GAMX.csv"),
];

/// The first day of the period holding `d`.
fn bucket(period: &str, d: NaiveDate) -> NaiveDate {
    match period {
        "weekly" => d - Days::new(d.weekday().num_days_from_monday() as u64),
        "monthly" => NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap(),
        "quarterly" => NaiveDate::from_ymd_opt(d.year(), (d.month() - 1) / 3 * 3 + 1, 1).unwrap(),
        "yearly" => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap(),
        _ => unreachable!(),
    }
}

/// Reference period row: trading_days, open, high, low, close, volume, avg_high, avg_low, avg_close, avg_volume.
#[derive(Debug)]
struct Period {
    trading_days: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: i64,
    avg_high: f64,
    avg_low: f64,
    avg_close: f64,
    avg_volume: f64,
}

fn periods(period: &str, days: &[Day]) -> BTreeMap<NaiveDate, Period> {
    let mut groups: BTreeMap<NaiveDate, Vec<&Day>> = BTreeMap::new();
    for d in days {
        groups.entry(bucket(period, d.day)).or_default().push(d);
    }
    groups
        .into_iter()
        .map(|(b, ds)| {
            let n = ds.len() as f64;
            let p = Period {
                trading_days: ds.len() as i64,
                open: ds[0].open,
                high: ds.iter().map(|d| d.high).fold(f64::MIN, f64::max),
                low: ds.iter().map(|d| d.low).fold(f64::MAX, f64::min),
                close: ds[ds.len() - 1].close,
                volume: ds.iter().map(|d| d.volume).sum(),
                avg_high: ds.iter().map(|d| d.high).sum::<f64>() / n,
                avg_low: ds.iter().map(|d| d.low).sum::<f64>() / n,
                avg_close: ds.iter().map(|d| d.close).sum::<f64>() / n,
                avg_volume: ds.iter().map(|d| d.volume as f64).sum::<f64>() / n,
            };
            (b, p)
        })
        .collect()
}

/// Equal up to float summation order (relative error 1e-12, issue 9).
fn close_to(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

fn f(v: &J) -> Option<f64> {
    v.as_f64()
}

fn date(v: &J) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap()
}

/// Runs a report as JSON, asserting success.
fn report(db: &TestDb, args: &[&str]) -> Vec<J> {
    let mut full = vec!["report"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let run = db.run(&full);
    run.expect_code(0);
    run.json().as_array().unwrap().clone()
}

async fn loaded() -> TestDb {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo", "fixtures/kaggle", "-q"])
        .expect_code(0);
    db
}

/// Compares every row of market.<period>_prices with the reference, for every fixture symbol.
async fn assert_periods_match(db: &TestDb, days_of: &dyn Fn(&str) -> Vec<Day>) {
    let mut conn = db.conn().await;
    for period in ["weekly", "monthly", "quarterly", "yearly"] {
        for (symbol, _) in FIXTURES {
            let expected = periods(period, &days_of(symbol));
            let sql = format!(
                "SELECT bucket, trading_days, open, high, low, close, volume, avg_high, avg_low, avg_close, avg_volume
                 FROM market.{period}_prices WHERE symbol = $1 ORDER BY bucket"
            );
            #[allow(clippy::type_complexity)]
            let rows: Vec<(
                NaiveDate,
                i64,
                f64,
                f64,
                f64,
                f64,
                i64,
                f64,
                f64,
                f64,
                f64,
            )> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(symbol)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(
                rows.len(),
                expected.len(),
                "{period} {symbol}: number of buckets"
            );
            for (row, (b, p)) in rows.iter().zip(&expected) {
                let at = format!("{period} {symbol} {b}");
                assert_eq!(row.0, *b, "{at}");
                assert_eq!(row.1, p.trading_days, "{at}");
                assert_eq!(
                    (row.2, row.3, row.4, row.5),
                    (p.open, p.high, p.low, p.close),
                    "{at}"
                );
                assert_eq!(row.6, p.volume, "{at}");
                for (got, want, what) in [
                    (row.7, p.avg_high, "avg_high"),
                    (row.8, p.avg_low, "avg_low"),
                    (row.9, p.avg_close, "avg_close"),
                    (row.10, p.avg_volume, "avg_volume"),
                ] {
                    assert!(close_to(got, want), "{at} {what}: {got} != {want}");
                }
            }
        }
    }
}

fn fixture_days(symbol: &str) -> Vec<Day> {
    let file = FIXTURES.iter().find(|(s, _)| *s == symbol).unwrap().1;
    read_days(file)
}

#[tokio::test]
async fn period_aggregates_match_reference_values() {
    let db = loaded().await;
    assert_periods_match(&db, &fixture_days).await;
}

/// A symbol's first load writes aggregates the loader computed (src/analytics/periods.rs);
/// later loads and `stockdb refresh` recompute them in SQL. Both must give the same rows.
#[tokio::test]
async fn aggregates_from_the_loader_equal_the_sql_recompute() {
    let db = loaded().await;
    let mut conn = db.conn().await;
    let snapshot = |period: &str| {
        format!(
            "SELECT symbol, bucket, trading_days, open, high, low, close, volume, avg_high, avg_low, avg_close, avg_volume
             FROM market.{period}_prices ORDER BY symbol, bucket"
        )
    };
    type Agg = (
        String,
        NaiveDate,
        i64,
        f64,
        f64,
        f64,
        f64,
        i64,
        f64,
        f64,
        f64,
        f64,
    );
    let mut before: BTreeMap<&str, Vec<Agg>> = BTreeMap::new();
    for period in ["weekly", "monthly", "quarterly", "yearly"] {
        let rows: Vec<Agg> = sqlx::query_as(sqlx::AssertSqlSafe(snapshot(period)))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert!(!rows.is_empty(), "{period}");
        before.insert(period, rows);
    }
    let tables = "SELECT count(*) FROM pg_class WHERE relname = 'weekly_prices' AND relkind = 'r'";
    if db.count(tables).await == 0 {
        common::skip(
            "aggregates_from_the_loader_equal_the_sql_recompute",
            "continuous aggregates are computed by TimescaleDB, not by the loader",
        );
        return;
    }
    db.run(&["refresh", "-q"]).expect_code(0);
    for (period, old) in before {
        let new: Vec<Agg> = sqlx::query_as(sqlx::AssertSqlSafe(snapshot(period)))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(old.len(), new.len(), "{period}");
        for (a, b) in old.iter().zip(&new) {
            // Everything but the averages is exact; an average may differ in the last bits,
            // since float sums depend on the order the rows are added in.
            assert_eq!(
                (&a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7),
                (&b.0, b.1, b.2, b.3, b.4, b.5, b.6, b.7),
                "{period}"
            );
            for (x, y) in [(a.8, b.8), (a.9, b.9), (a.10, b.10), (a.11, b.11)] {
                assert!(close_to(x, y), "{period} {a:?} {b:?}");
            }
        }
    }
}

#[tokio::test]
async fn period_average_reports_match_reference_values() {
    let db = loaded().await;
    for (period, unit) in [
        ("weekly", "week"),
        ("monthly", "month"),
        ("quarterly", "quarter"),
        ("yearly", "year"),
    ] {
        // Without --symbol: every symbol.
        let rows = report(&db, &[&format!("{period}_average")]);
        let expected_rows: usize = FIXTURES
            .iter()
            .map(|(s, _)| periods(period, &fixture_days(s)).len())
            .sum();
        assert_eq!(rows.len(), expected_rows, "{period}");
        let rows = report(&db, &[&format!("{period}_average"), "--symbol", "ALFA"]);
        let expected = periods(period, &fixture_days("ALFA"));
        assert_eq!(rows.len(), expected.len());
        for (row, (b, p)) in rows.iter().zip(&expected) {
            assert_eq!(date(&row[unit]), *b);
            assert_eq!(row["trading_days"], p.trading_days);
            assert!(close_to(f(&row["avg_high"]).unwrap(), p.avg_high));
            assert!(close_to(f(&row["avg_low"]).unwrap(), p.avg_low));
            assert!(close_to(f(&row["avg_volume"]).unwrap(), p.avg_volume));
        }
    }
    // --from / --to on period starts.
    let rows = report(
        &db,
        &[
            "monthly_average",
            "--symbol",
            "ACME",
            "--from",
            "2023-01-01",
            "--to",
            "2023-03-01",
        ],
    );
    let months: Vec<String> = rows
        .iter()
        .map(|r| r["month"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(months, ["2023-01-01", "2023-02-01", "2023-03-01"]);
    // Periods overlapping the range are shown: the quarter holding --from, the week holding
    // a mid-week --to (issue 9: `--from 2023-02-22` used to drop 2023 Q1).
    let quarters = report(
        &db,
        &[
            "quarterly_average",
            "--symbol",
            "ACME",
            "--from",
            "2023-02-22",
            "--to",
            "2023-05-10",
        ],
    );
    let quarters: Vec<&str> = quarters
        .iter()
        .map(|r| r["quarter"].as_str().unwrap())
        .collect();
    assert_eq!(quarters, ["2023-01-01", "2023-04-01"]);
    let weeks = report(
        &db,
        &[
            "weekly_average",
            "--symbol",
            "ACME",
            "--from",
            "2023-03-01",
            "--to",
            "2023-03-08",
        ],
    );
    let weeks: Vec<&str> = weeks.iter().map(|r| r["week"].as_str().unwrap()).collect();
    assert_eq!(weeks, ["2023-02-27", "2023-03-06"]);
}

#[tokio::test]
async fn weeks_start_monday_and_quarters_hold_their_months() {
    let db = loaded().await;
    assert_eq!(
        db.count(
            "SELECT count(*) FROM market.weekly_prices WHERE extract(isodow FROM bucket) <> 1"
        )
        .await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.quarterly_prices WHERE extract(month FROM bucket) NOT IN (1, 4, 7, 10) OR extract(day FROM bucket) <> 1").await,
        0
    );
    // A quarter's trading days and volume are exactly those of its three months.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM market.quarterly_prices q
             JOIN (SELECT symbol, date_trunc('quarter', bucket)::date AS quarter, sum(trading_days) AS days, sum(volume) AS volume
                   FROM market.monthly_prices GROUP BY 1, 2) m
               ON m.symbol = q.symbol AND m.quarter = q.bucket
             WHERE m.days <> q.trading_days OR m.volume <> q.volume"
        )
        .await,
        0
    );
    assert_eq!(
        db.count("SELECT (SELECT sum(trading_days) FROM market.quarterly_prices)::bigint - (SELECT count(*) FROM market.daily_prices)").await,
        0
    );
}

/// Reference simple moving average of the last `n` closes, None before the n-th day.
fn sma(values: &[f64], i: usize, n: usize) -> Option<f64> {
    (i + 1 >= n).then(|| values[i + 1 - n..=i].iter().sum::<f64>() / n as f64)
}

#[tokio::test]
async fn moving_averages_match_reference_on_every_day() {
    let db = loaded().await;
    for (symbol, _) in FIXTURES {
        let days = fixture_days(symbol);
        let closes: Vec<f64> = days.iter().map(|d| d.close).collect();
        let rows = report(&db, &["moving_averages", "--symbol", symbol]);
        assert_eq!(rows.len(), days.len(), "{symbol}");
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(date(&row["day"]), days[i].day);
            for (col, n) in [("sma_20", 20), ("sma_30", 30), ("sma_200", 200)] {
                match (f(&row[col]), sma(&closes, i, n)) {
                    (None, None) => {}
                    (Some(got), Some(want)) => assert!(
                        close_to(got, want),
                        "{symbol} {} {col}: {got} != {want}",
                        days[i].day
                    ),
                    (got, want) => panic!(
                        "{symbol} {} {col}: {got:?} vs reference {want:?}",
                        days[i].day
                    ),
                }
            }
        }
    }
    // --from shows later days but the averages still use the days before it.
    let rows = report(
        &db,
        &[
            "moving_averages",
            "--symbol",
            "ACME",
            "--from",
            "2023-12-01",
        ],
    );
    assert!(rows.iter().all(|r| f(&r["sma_200"]).is_some()));
    // The 30-day volume mean of the view.
    let days = fixture_days("BETA");
    let volumes: Vec<f64> = days.iter().map(|d| d.volume as f64).collect();
    let rows = report(&db, &["volume_features", "--symbol", "BETA"]);
    assert_eq!(rows.len(), days.len());
    for (i, row) in rows.iter().enumerate() {
        match (f(&row["volume_mean_30"]), sma(&volumes, i, 30)) {
            (None, None) => {}
            (Some(got), Some(want)) => assert!(close_to(got, want), "day {i}: {got} != {want}"),
            other => panic!("day {i}: {other:?}"),
        }
        // Rolling median of the adjusted close over 30 days.
        let want = (i + 1 >= 30).then(|| {
            let mut w: Vec<f64> = days[i + 1 - 30..=i].iter().map(|d| d.adj_close).collect();
            w.sort_by(f64::total_cmp);
            (w[14] + w[15]) / 2.0
        });
        match (f(&row["adj_close_median_30"]), want) {
            (None, None) => {}
            (Some(got), Some(want)) => {
                assert!(close_to(got, want), "median day {i}: {got} != {want}")
            }
            other => panic!("median day {i}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn one_symbol_moving_averages_read_only_that_symbol() {
    let db = loaded().await;
    let mut conn = db.conn().await;
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT * FROM market.moving_averages WHERE symbol = 'ACME' AND day >= '2023-01-01'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let text = plan.join("\n");
    let window = plan
        .iter()
        .position(|l| l.contains("WindowAgg"))
        .expect(&text);
    let symbol_cond = plan
        .iter()
        .position(|l| l.contains("symbol = 'ACME'"))
        .unwrap_or_else(|| panic!("no symbol condition in\n{text}"));
    assert!(
        symbol_cond > window,
        "the symbol filter must sit below the window:\n{text}"
    );
    // The day filter must not be pushed below the window (it would shorten the averages).
    let day_cond = plan
        .iter()
        .position(|l| l.contains("2023-01-01"))
        .expect(&text);
    assert!(
        day_cond < window,
        "the day filter must stay above the window:\n{text}"
    );
}

#[tokio::test]
async fn returns_crosses_and_quality_match_reference() {
    let db = loaded().await;
    // Daily returns on the adjusted close.
    let days = fixture_days("ALFA");
    let rows = report(&db, &["daily_returns", "--symbol", "ALFA"]);
    assert_eq!(rows.len(), days.len());
    assert!(rows[0]["simple_return"].is_null());
    for i in 1..days.len() {
        let want = days[i].adj_close / days[i - 1].adj_close - 1.0;
        assert!(close_to(f(&rows[i]["simple_return"]).unwrap(), want));
        let want_log = (days[i].adj_close / days[i - 1].adj_close).ln();
        assert!(close_to(f(&rows[i]["log_return"]).unwrap(), want_log));
    }
    // The distribution counts every return once.
    let buckets = report(
        &db,
        &[
            "returns_distribution",
            "--symbol",
            "ALFA",
            "-p",
            "width=0.005",
        ],
    );
    let total: i64 = buckets.iter().map(|b| b["days"].as_i64().unwrap()).sum();
    assert_eq!(total, days.len() as i64 - 1);
    let share: f64 = buckets.iter().map(|b| f(&b["share"]).unwrap()).sum();
    assert!(close_to(share, 1.0));
    assert!(buckets.iter().all(|b| close_to(
        f(&b["bucket_to"]).unwrap() - f(&b["bucket_from"]).unwrap(),
        0.005
    )));

    // Golden and death crosses, from the reference averages.
    let mut expected = Vec::new();
    for (symbol, _) in FIXTURES {
        let closes: Vec<f64> = fixture_days(symbol).iter().map(|d| d.close).collect();
        let days = fixture_days(symbol);
        let mut prev: Option<f64> = None;
        for (i, day) in days.iter().enumerate() {
            let diff = match (sma(&closes, i, 20), sma(&closes, i, 200)) {
                (Some(a), Some(b)) => Some(a - b),
                _ => None,
            };
            if let (Some(p), Some(d)) = (prev, diff) {
                if p <= 0.0 && d > 0.0 {
                    expected.push((symbol.to_string(), day.day, "up"));
                } else if p >= 0.0 && d < 0.0 {
                    expected.push((symbol.to_string(), day.day, "down"));
                }
            }
            prev = diff;
        }
    }
    let rows = report(&db, &["golden_cross"]);
    let got: Vec<(String, NaiveDate, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["symbol"].as_str().unwrap().to_string(),
                date(&r["day"]),
                r["direction"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(!expected.is_empty(), "the fixtures have crosses to find");
    assert_eq!(got, expected);

    // Data quality: BETA's zero-volume day, the listed symbol without prices.
    let rows = report(&db, &["data_quality"]);
    let beta = rows.iter().find(|r| r["symbol"] == "BETA").unwrap();
    assert_eq!(beta["zero_volume"], 1);
    assert_eq!(beta["rows"], 250);
    let delt = rows.iter().find(|r| r["symbol"] == "DELT").unwrap();
    assert_eq!(delt["note"], "listed, no prices");
    // Prices another tool wrote are not counted until `stockdb refresh`, and say so.
    let mut conn = db.conn().await;
    sqlx::query(
        "INSERT INTO market.daily_prices (symbol, day, open, high, low, close, volume)
         VALUES ('DELT', '2023-03-01', 10, 11, 9, 10, 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let rows = report(&db, &["data_quality", "--symbol", "DELT"]);
    assert!(
        rows[0]["note"]
            .as_str()
            .unwrap()
            .contains("run stockdb refresh"),
        "{rows:?}"
    );
    db.run(&["refresh", "-q"]).expect_code(0);
    let rows = report(&db, &["data_quality", "--symbol", "DELT"]);
    assert_eq!(
        (rows[0]["rows"].as_i64(), rows[0]["zero_volume"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(rows[0]["note"], "");
    // Load history.
    let rows = report(&db, &["load_history", "-p", "limit=2"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["status"], "succeeded");
}

#[tokio::test]
async fn suspicious_rows_show_in_data_quality() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/edge/SUSPECT.csv", "-q"])
        .expect_code(0);
    let rows = report(&db, &["data_quality", "--symbol", "SUSPECT"]);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    for (col, n) in [
        ("zero_volume", 1),
        ("price_not_positive", 1),
        // The zero-close row is also below its low.
        ("open_close_outside_range", 2),
        ("high_below_low", 1),
        ("weekend_days", 1),
    ] {
        assert_eq!(r[col], n, "{col}: {r}");
    }
}

#[tokio::test]
async fn a_second_load_changing_old_days_updates_every_aggregate() {
    let db = loaded().await;
    // Rewrite ALFA with new values for its first 30 days and load it again.
    let dir = tempfile::tempdir().unwrap();
    let mut days = fixture_days("ALFA");
    for d in days.iter_mut().take(30) {
        d.high += 10.0;
        d.close += 1.0;
        d.volume *= 2;
    }
    let path = write_days(dir.path(), "ALFA", &days);
    let run = db.run(&["load", path.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    assert_eq!(run.json()["totals"]["updated"], 30);
    let changed = days.clone();
    assert_periods_match(&db, &|symbol| {
        if symbol == "ALFA" {
            changed.clone()
        } else {
            fixture_days(symbol)
        }
    })
    .await;
    let closes: Vec<f64> = days.iter().map(|d| d.close).collect();
    let rows = report(&db, &["moving_averages", "--symbol", "ALFA"]);
    assert!(close_to(
        f(&rows[25]["sma_20"]).unwrap(),
        sma(&closes, 25, 20).unwrap()
    ));
}

/// Writes days as a Yahoo file named `<symbol>.csv` in `dir`.
fn write_days(dir: &std::path::Path, symbol: &str, days: &[Day]) -> std::path::PathBuf {
    let mut text = String::from("Date,Open,High,Low,Close,Adj Close,Volume\n");
    for d in days {
        text.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            d.day, d.open, d.high, d.low, d.close, d.adj_close, d.volume
        ));
    }
    let path = dir.join(format!("{symbol}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn re_loads_changing_the_first_day_of_months_and_quarters_keep_every_aggregate_exact() {
    // Issue 9: TimescaleDB 2.28 left a month stale when a changed day was its first day. The
    // first trading day of every month changes here (every quarter's first day among them),
    // twice, and every column of every aggregate is compared with values computed here.
    let db = loaded().await;
    let dir = tempfile::tempdir().unwrap();
    let mut days = fixture_days("ALFA");
    for round in 1..=2 {
        let mut changed = 0;
        let mut month = None;
        for d in days.iter_mut() {
            let m = (d.day.year(), d.day.month());
            if month != Some(m) {
                month = Some(m);
                d.open += 0.5 * f64::from(round);
                d.high += 1.0 * f64::from(round);
                d.close += 0.25 * f64::from(round);
                d.volume += 1000;
                changed += 1;
            }
        }
        let path = write_days(dir.path(), "ALFA", &days);
        let run = db.run(&["load", path.to_str().unwrap(), "--format", "json"]);
        run.expect_code(0);
        assert_eq!(
            run.json()["totals"]["updated"],
            changed,
            "{}",
            run.describe()
        );
        assert_eq!(
            db.count("SELECT count(*) FROM market.stale_ranges").await,
            0,
            "nothing left stale after the load"
        );
        let now = days.clone();
        assert_periods_match(&db, &|symbol| {
            if symbol == "ALFA" {
                now.clone()
            } else {
                fixture_days(symbol)
            }
        })
        .await;
    }
    // The same file again: nothing changes and nothing is rewritten.
    let path = write_days(dir.path(), "ALFA", &days);
    let run = db.run(&["load", path.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    let totals = &run.json()["totals"];
    assert_eq!(
        (
            &totals["inserted"],
            &totals["updated"],
            &totals["unchanged"]
        ),
        (&J::from(0), &J::from(0), &J::from(days.len())),
        "{}",
        run.describe()
    );
}

#[tokio::test]
async fn parameters_are_bound_never_spliced_and_reports_cannot_write() {
    let db = loaded().await;
    let evil = "x'; drop table market.daily_prices; --";
    for name in [
        "weekly_average",
        "moving_averages",
        "daily_returns",
        "golden_cross",
        "data_quality",
    ] {
        let rows = report(&db, &[name, "--symbol", evil]);
        assert!(rows.is_empty(), "{name}");
    }
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        1170
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("delete.sql");
    std::fs::write(&file, "DELETE FROM market.daily_prices").unwrap();
    let run = db.run(&["report", "--file", file.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("read-only transaction"),
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        1170
    );

    // A plain SQL file runs, with or without a header.
    let file = dir.path().join("count.sql");
    std::fs::write(&file, "-- param: symbol text required\nSELECT count(*) AS n FROM market.daily_prices WHERE symbol = $1").unwrap();
    let run = db.run(&[
        "report",
        "--file",
        file.to_str().unwrap(),
        "--symbol",
        "ACME",
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    assert_eq!(run.stdout().trim(), "n\n400");

    // A `-- setting:` applies to that report's transaction only; a malformed one is refused.
    let file = dir.path().join("setting.sql");
    std::fs::write(
        &file,
        "-- setting: enable_sort = off - why\nSELECT current_setting('enable_sort') AS v",
    )
    .unwrap();
    let run = db.run(&[
        "report",
        "--file",
        file.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    assert_eq!(run.stdout().trim(), "v\noff");
    let file = dir.path().join("plain.sql");
    std::fs::write(&file, "SELECT current_setting('enable_sort') AS v").unwrap();
    let run = db.run(&[
        "report",
        "--file",
        file.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(run.stdout().trim(), "v\non");
    std::fs::write(&file, "-- setting: enable_sort = off; RESET ALL\nSELECT 1").unwrap();
    let run = db.run(&["report", "--file", file.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("expected `-- setting: NAME = VALUE`"),
        "{}",
        run.describe()
    );
}

/// CSV and JSON stream (issue 13): every row of a market-wide report, in the query's order,
/// the same in both formats, and a header or `[]` when there is no row.
#[tokio::test]
async fn market_wide_csv_and_json_stream_every_row_in_order() {
    let db = loaded().await;
    let mut conn = db.conn().await;
    let expected: Vec<(String, NaiveDate, i64)> = sqlx::query_as(
        "SELECT symbol, bucket, trading_days::bigint FROM market.weekly_prices ORDER BY symbol, bucket",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(expected.len() > 100, "fixtures span many weeks");
    let run = db.run(&["report", "weekly_average", "--format", "csv", "--timing"]);
    run.expect_code(0);
    assert!(run.stderr().contains("first row"), "{}", run.stderr());
    let text = run.stdout();
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..3], ["symbol", "week", "trading_days"]);
    let from_csv: Vec<(String, NaiveDate, i64)> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_csv, expected);
    let from_json: Vec<(String, NaiveDate, i64)> = report(&db, &["weekly_average"])
        .iter()
        .map(|o| {
            let symbol = o["symbol"].as_str().unwrap().to_string();
            (
                symbol,
                date(&o["week"]),
                o["trading_days"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_json, expected);
    let none = ["report", "weekly_average", "--symbol", "NOPE", "--format"];
    let run = db.run(&[&none[..], &["json"]].concat());
    run.expect_code(0);
    assert_eq!(run.stdout().trim(), "[]");
    let run = db.run(&[&none[..], &["csv"]].concat());
    run.expect_code(0);
    assert_eq!(
        run.stdout().trim(),
        "symbol,week,trading_days,avg_high,avg_low,avg_volume"
    );
}

#[tokio::test]
async fn report_errors_and_the_catalog() {
    let db = loaded().await;
    let run = db.run(&["report", "list"]);
    run.expect_code(0);
    // Every report of the catalog (parsed independently by the library) is listed.
    for report in stockdb::report::catalog::load(None).unwrap() {
        assert!(
            run.stdout().contains(&report.name),
            "{} not listed\n{}",
            report.name,
            run.describe()
        );
    }
    let run = db.run(&["report", "no_such_report"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("unknown report \"no_such_report\""),
        "{}",
        run.describe()
    );
    let run = db.run(&["report", "moving_averages"]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("report moving_averages needs --symbol"),
        "{}",
        run.describe()
    );
    let run = db.run(&[
        "report",
        "moving_averages",
        "--symbol",
        "ACME",
        "--from",
        "yesterday",
    ]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("parameter from: \"yesterday\" is not a date"),
        "{}",
        run.describe()
    );
    let run = db.run(&["report", "load_history", "-p", "colour=red"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("has no parameter colour"),
        "{}",
        run.describe()
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.sql"),
        "-- name: broken\nSELECT no_such_column FROM market.daily_prices",
    )
    .unwrap();
    let run = db.run(&[
        "report",
        "broken",
        "--queries",
        dir.path().to_str().unwrap(),
    ]);
    run.expect_code(1);
    assert!(run.stderr().contains("report broken"), "{}", run.describe());
    assert!(
        run.stderr().contains("no_such_column"),
        "{}",
        run.describe()
    );

    // --queries overrides a shipped report by name.
    std::fs::write(
        dir.path().join("mine.sql"),
        "-- name: load_history\n-- description: mine\nSELECT 42 AS answer",
    )
    .unwrap();
    let run = db.run(&[
        "report",
        "load_history",
        "--queries",
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    assert_eq!(run.stdout().trim(), "answer\n42");
    // Markdown and table formats.
    let run = db.run(&[
        "report",
        "yearly_average",
        "--symbol",
        "ACME",
        "--format",
        "markdown",
    ]);
    run.expect_code(0);
    assert!(
        run.stdout()
            .starts_with("| symbol | year | trading_days | avg_high | avg_low | avg_volume |"),
        "{}",
        run.describe()
    );
    let run = db.run(&["report", "yearly_average", "--symbol", "ACME"]);
    assert!(run.stdout().contains("(2 rows)"), "{}", run.describe());
}

#[tokio::test]
async fn stale_aggregates_are_reported_not_hidden() {
    let db = loaded().await;
    let mut conn = db.conn().await;
    sqlx::query("INSERT INTO market.stale_ranges (symbol, from_day, to_day) VALUES ('ACME', '2023-01-02', '2023-02-01')")
        .execute(&mut conn)
        .await
        .unwrap();
    let run = db.run(&["report", "monthly_average", "--symbol", "ACME"]);
    run.expect_code(0);
    assert!(
        run.stderr()
            .contains("warning: the period aggregates lag the prices"),
        "{}",
        run.describe()
    );
    let status = db.run(&["status"]);
    assert!(
        status.stdout().contains("STALE: 1 loaded range(s)"),
        "{}",
        status.describe()
    );
    let refresh = db.run(&["refresh"]);
    refresh.expect_code(0);
    assert!(
        refresh
            .stdout()
            .contains("refreshed 4 aggregates from 2022-06-01 to 2023-12-12"),
        "{}",
        refresh.describe()
    );
    let run = db.run(&["report", "monthly_average", "--symbol", "ACME"]);
    assert!(!run.stderr().contains("warning"), "{}", run.describe());
    assert_periods_match(&db, &fixture_days).await;
}

/// A refresh into empty aggregates (the first load) runs without their storage's indexes
/// (bucket; symbol and bucket; the monthly ones by quarter and by year) and builds them after,
/// in one pass each (src/analytics/bulk.rs): after the first load every one is there as it was
/// made; one missing, as a refresh stopped midway would leave it, is built by the next refresh.
#[tokio::test]
async fn the_aggregates_indexes_are_there_after_a_first_load() {
    let db = loaded().await;
    if !db.has_columnstore().await {
        common::skip(
            "the_aggregates_indexes_are_there_after_a_first_load",
            "no continuous aggregates on this tier",
        );
        return;
    }
    let sql =
        std::fs::read_to_string(root().join("src/analytics/sql/aggregate_indexes.sql")).unwrap();
    let present = format!("SELECT count(*) FROM ({sql}) i WHERE present AND has_chunks");
    assert_eq!(db.count(&present).await, 10);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = '_timescaledb_internal'
             AND indexname ~ '^_materialized_hypertable_[0-9]+_bucket_idx$' AND indexdef LIKE '%(bucket DESC)'"
        )
        .await,
        4
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = '_timescaledb_internal'
             AND indexname ~ '^_materialized_hypertable_[0-9]+_symbol_bucket_idx$'
             AND indexdef LIKE '%(symbol, bucket DESC)'"
        )
        .await,
        4
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = '_timescaledb_internal'
             AND indexname IN ('monthly_quarter_idx', 'monthly_year_idx') AND indexdef LIKE '%(time_bucket(%, bucket))'"
        )
        .await,
        2
    );
    let mut conn = db.conn().await;
    let weekly: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT index FROM ({sql}) i LIMIT 1"
    )))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX {weekly}")))
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(db.count(&present).await, 9);
    db.run(&["refresh"]).expect_code(0);
    assert_eq!(db.count(&present).await, 10);
}

#[tokio::test]
async fn continuous_aggregates_on_the_timescale_tier() {
    let db = loaded().await;
    let license = db
        .count("SELECT CASE WHEN current_setting('timescaledb.license', true) = 'timescale' THEN 1 ELSE 0 END::bigint")
        .await;
    if license == 0 {
        common::skip(
            "continuous_aggregates_on_the_timescale_tier",
            "this server has no TimescaleDB with the Timescale License (continuous aggregates); the period aggregates are tables here",
        );
        return;
    }
    assert_eq!(
        db.count("SELECT count(*) FROM timescaledb_information.continuous_aggregates WHERE view_schema = 'market_agg' AND materialized_only").await,
        4
    );
    // The loader refreshed them after commit: nothing stale, values right (checked in full above).
    assert_eq!(
        db.count("SELECT count(*) FROM market.stale_ranges").await,
        0
    );
    assert_eq!(
        db.count("SELECT sum(trading_days)::bigint FROM market.yearly_prices")
            .await,
        1170
    );
    let status = db.run(&["status"]);
    assert!(
        status.stdout().contains("refreshed 20") && status.stdout().contains("not scheduled"),
        "{}",
        status.describe()
    );

    // A corrected file (old days changed, spread out) rewrites its own symbol's buckets in its
    // transaction: no refresh after commit, no bucket written twice, every value exact.
    let refreshed = "SELECT count(*) FROM market.aggregate_refreshes WHERE refreshed_at < (SELECT min(started_at) FROM market.load_runs WHERE id = (SELECT max(id) FROM market.load_runs))";
    let dir = tempfile::tempdir().unwrap();
    let mut days = fixture_days("ALFA");
    for d in days.iter_mut().step_by(37) {
        d.close += 0.5;
        d.high += 1.0;
        d.volume += 10;
    }
    let path = write_days(dir.path(), "ALFA", &days);
    let run = db.run(&["load", path.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    assert!(
        run.json()["totals"]["updated"].as_u64().unwrap() > 5,
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count(refreshed).await,
        4,
        "every aggregate's last refresh is older than this load: nothing refreshed after it"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.stale_ranges").await,
        0
    );
    for level in ["weekly", "monthly", "quarterly", "yearly"] {
        let sql = format!(
            "SELECT count(*) FROM (SELECT symbol, bucket FROM market_agg.{level} GROUP BY 1, 2 HAVING count(*) > 1) d"
        );
        assert_eq!(db.count(&sql).await, 0, "{level}: a bucket written twice");
    }
    let now = days.clone();
    assert_periods_match(&db, &|symbol| {
        if symbol == "ALFA" {
            now.clone()
        } else {
            fixture_days(symbol)
        }
    })
    .await;
    // TimescaleDB's own refresh (as a policy runs it) of the same days agrees, and still
    // writes no bucket twice.
    db.run(&["refresh", "-q"]).expect_code(0);
    assert_periods_match(&db, &|symbol| {
        if symbol == "ALFA" {
            now.clone()
        } else {
            fixture_days(symbol)
        }
    })
    .await;

    // A row written by another tool reaches every level after `stockdb refresh`.
    let mut conn = db.conn().await;
    sqlx::raw_sql(
        "INSERT INTO market.daily_prices (symbol, day, open, high, low, close, adj_close, volume)
         VALUES ('ACME', '2030-01-02', 1, 2, 0.5, 1.5, 1.5, 7)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    db.run(&["refresh", "-q"]).expect_code(0);
    for period in ["weekly", "monthly", "quarterly", "yearly"] {
        let sql = format!(
            "SELECT volume FROM market.{period}_prices WHERE symbol = 'ACME' AND bucket <= '2030-01-02' AND bucket > '2029-01-01'"
        );
        assert_eq!(db.count(&sql).await, 7, "{period}");
    }

    // The scheduled refresh (issue 24): stockdb's job, shown by status, exact for another
    // writer's UPDATE of days on the first of a month and of a quarter (TimescaleDB 2.28's own
    // policies can leave those buckets stale), removed with `--schedule off`. A bad interval
    // changes nothing.
    let run = db.run(&["refresh", "--schedule", "1h"]);
    run.expect_code(0);
    let bad = db.run(&["refresh", "--schedule", "banana"]);
    bad.expect_code(1);
    assert!(
        bad.stderr()
            .contains("--schedule \"banana\" is not an interval"),
        "{}",
        bad.describe()
    );
    let job = "SELECT job_id::bigint FROM timescaledb_information.jobs WHERE proc_schema = 'market' AND proc_name = 'refresh_changed'";
    let job_id = db.count(job).await;
    assert_eq!(
        db.count("SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'").await,
        0
    );
    let status = db.run(&["status"]);
    assert!(
        status.stdout().contains("scheduled every 01:00:00"),
        "{}",
        status.describe()
    );
    sqlx::raw_sql(
        "UPDATE market.daily_prices SET close = close + 2, high = high + 2
         WHERE symbol = 'ACME' AND day IN ('2022-07-01', '2023-03-01', '2022-09-01')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let sql = std::fs::read_to_string(root().join("scripts/check_aggregates.sql")).unwrap();
    let mismatches = |rows: Vec<(String, i64, i64)>| rows.iter().map(|r| r.2).sum::<i64>();
    let stale: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(
        mismatches(stale) > 0,
        "the UPDATE is not in the aggregates yet"
    );
    // What TimescaleDB's scheduler runs, run now (simple protocol: the job commits).
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CALL run_job({job_id})")))
        .execute(&mut conn)
        .await
        .unwrap();
    let fresh: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(fresh.len(), 4);
    assert_eq!(
        mismatches(fresh),
        0,
        "every level equals a GROUP BY after the job"
    );
    // Nothing changed since: the next run refreshes nothing stale and stays exact.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CALL run_job({job_id})")))
        .execute(&mut conn)
        .await
        .unwrap();
    db.run(&["refresh", "--schedule", "off"]).expect_code(0);
    assert_eq!(
        db.count("SELECT count(*) FROM timescaledb_information.jobs WHERE proc_schema = 'market'")
            .await,
        0
    );
}

#[tokio::test]
async fn refresh_policies_are_refused_clearly_on_the_table_tiers() {
    let db = loaded().await;
    let tables = "SELECT count(*) FROM pg_class WHERE relname = 'weekly_prices' AND relkind = 'r'";
    if db.count(tables).await == 0 {
        common::skip(
            "refresh_policies_are_refused_clearly_on_the_table_tiers",
            "continuous aggregates here: policies are tested in continuous_aggregates_on_the_timescale_tier",
        );
        return;
    }
    let run = db.run(&["refresh", "--schedule", "1h"]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("refresh policies are for continuous aggregates"),
        "{}",
        run.describe()
    );
}

/// Rows (over every symbol) whose stored 30-day median differs, even in the last bit, from
/// the SQL definition (percentile_cont over the last 30 adjusted closes), and rows that have
/// a median at all.
async fn median_mismatches(db: &TestDb) -> (i64, i64) {
    let definition = "SELECT symbol, day,
               CASE WHEN n = 30 THEN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x)
                                      FROM (SELECT unnest(last_30) AS x) v) END AS median
        FROM (SELECT symbol, day, count(*) OVER w AS n,
                     array_agg(coalesce(adj_close, close)) OVER w AS last_30
              FROM market.daily_prices
              WINDOW w AS (PARTITION BY symbol ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)) w";
    let wrong = db
        .count(&format!(
            "SELECT count(*) FROM market.daily_prices d JOIN ({definition}) m USING (symbol, day)
             WHERE d.adj_close_median_30 IS DISTINCT FROM m.median"
        ))
        .await;
    let stored = db
        .count("SELECT count(*) FROM market.daily_prices WHERE adj_close_median_30 IS NOT NULL")
        .await;
    (wrong, stored)
}

/// Writes `lines` (a Yahoo header and rows, in any order) as `<symbol>.csv` in `dir`.
fn write_lines(
    dir: &std::path::Path,
    symbol: &str,
    header: &str,
    lines: &[&str],
) -> std::path::PathBuf {
    let path = dir.join(format!("{symbol}.csv"));
    std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    path
}

/// Symbols whose stored quality counts (market.symbol_stats) differ from the definition (the
/// counts over their rows, as data_quality computed them before they were stored), symbols with
/// prices but no counts, and the sum of the suspicious counts.
async fn quality_mismatches(db: &TestDb) -> (i64, i64) {
    let definition = "SELECT symbol,
               count(*) FILTER (WHERE volume = 0) AS zero_volume,
               count(*) FILTER (WHERE least(open, high, low, close) <= 0) AS price_not_positive,
               count(*) FILTER (WHERE high >= low AND (open NOT BETWEEN low AND high OR close NOT BETWEEN low AND high)) AS open_close_outside_range,
               count(*) FILTER (WHERE high < low) AS high_below_low,
               count(*) FILTER (WHERE extract(isodow FROM day) > 5) AS weekend_days,
               count(*) FILTER (WHERE day - prev_day > 7 AND
                   (SELECT count(*) FROM generate_series(prev_day + 1, day - 1, interval '1 day') g
                    WHERE extract(isodow FROM g) < 6) > 5) AS gaps_over_5_weekdays
        FROM (SELECT *, lag(day) OVER (PARTITION BY symbol ORDER BY day) AS prev_day
              FROM prices) d
        GROUP BY symbol";
    // The prices read once (on Citus, gathered from the workers: it runs no correlated
    // subquery over a distributed table), then counted by the definition.
    let prices = "WITH prices AS MATERIALIZED (SELECT * FROM market.daily_prices)";
    let wrong = db
        .count(&format!(
            "{prices} SELECT count(*) FROM ({definition}) c FULL JOIN market.symbol_stats s USING (symbol)
             WHERE (s.zero_volume, s.price_not_positive, s.open_close_outside_range,
                    s.high_below_low, s.weekend_days, s.gaps_over_5_weekdays)
                   IS DISTINCT FROM
                   (c.zero_volume, c.price_not_positive, c.open_close_outside_range,
                    c.high_below_low, c.weekend_days, c.gaps_over_5_weekdays)"
        ))
        .await;
    let flagged = db
        .count(
            "SELECT sum(zero_volume + price_not_positive + open_close_outside_range
                        + high_below_low + weekend_days + gaps_over_5_weekdays)::bigint
             FROM market.symbol_stats",
        )
        .await;
    (wrong, flagged)
}

/// Crosses stored in market.moving_average_crosses that differ from the definition (the query
/// golden_cross ran over market.moving_averages before they were stored) or are missing, plus
/// symbols whose stored running sums differ from the view's; and the number of crosses stored.
async fn cross_mismatches(db: &TestDb) -> (i64, i64) {
    let definition =
        "SELECT symbol, day, CASE WHEN diff > 0 THEN 'up' ELSE 'down' END AS direction,
               close, sma_20, sma_200
        FROM (SELECT symbol, day, close, sma_20, sma_200, sma_20 - sma_200 AS diff,
                     lag(sma_20 - sma_200) OVER (PARTITION BY symbol ORDER BY day) AS prev_diff
              FROM market.moving_averages) s
        WHERE (prev_diff <= 0 AND diff > 0) OR (prev_diff >= 0 AND diff < 0)";
    let stored = "SELECT symbol, day, direction, close, sma_20, sma_200
        FROM market.moving_average_crosses";
    let sums = "SELECT symbol, array_agg(running ORDER BY day) AS sums
        FROM (SELECT symbol, day, running,
                     row_number() OVER (PARTITION BY symbol ORDER BY day DESC) AS back
              FROM (SELECT symbol, day,
                           sum(close) OVER (PARTITION BY symbol ORDER BY day ROWS UNBOUNDED PRECEDING) AS running
                    FROM market.daily_prices) r) n
        WHERE back <= 201 GROUP BY symbol";
    let wrong = db
        .count(&format!(
            "SELECT (SELECT count(*) FROM ({definition} EXCEPT {stored}) a)
                  + (SELECT count(*) FROM ({stored} EXCEPT {definition}) b)
                  + (SELECT count(*) FROM ({sums}) d FULL JOIN market.symbol_stats s USING (symbol)
                     WHERE d.sums IS DISTINCT FROM s.close_running_sums)"
        ))
        .await;
    let found = db
        .count("SELECT count(*) FROM market.moving_average_crosses")
        .await;
    (wrong, found)
}

/// (symbol, quarter, return bucket) counts in market.daily_return_counts that differ from the
/// definition (the returns returns_distribution computed before they were stored) or are
/// missing; and the days counted.
async fn return_count_mismatches(db: &TestDb) -> (i64, i64) {
    let definition = "SELECT symbol, date_trunc('quarter', day::timestamp)::date AS quarter,
               floor((price / prev - 1) / 0.01::float8) AS return_bucket, count(*)::integer AS days
        FROM (SELECT symbol, day, coalesce(adj_close, close) AS price,
                     lag(coalesce(adj_close, close)) OVER (PARTITION BY symbol ORDER BY day) AS prev
              FROM market.daily_prices) p
        WHERE prev > 0
        GROUP BY 1, 2, 3";
    let wrong = db
        .count(&format!(
            "SELECT count(*) FROM ({definition}) d
             FULL JOIN (SELECT c.symbol, c.quarter, b.return_bucket, b.days
                        FROM market.daily_return_counts c,
                             unnest(c.return_buckets, c.days) AS b (return_bucket, days)) s
             USING (symbol, quarter, return_bucket)
             WHERE d.days IS DISTINCT FROM s.days"
        ))
        .await;
    let days = db
        .count(
            "SELECT coalesce(sum(n), 0)::bigint FROM market.daily_return_counts, unnest(days) AS n",
        )
        .await;
    (wrong, days)
}

/// returns_distribution's rows (from the kept counts and the prices) differ from the query it
/// was before the counts were kept, for one set of parameters; panics with both on a mismatch.
async fn assert_returns_distribution(
    db: &TestDb,
    symbol: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    width: f64,
) {
    let definition = "WITH priced AS (
            SELECT symbol, day, coalesce(adj_close, close) AS price,
                   lag(coalesce(adj_close, close)) OVER (PARTITION BY symbol ORDER BY day) AS prev
            FROM market.daily_prices
            WHERE ($1::text IS NULL OR symbol = $1)),
        returns AS (
            SELECT price / prev - 1 AS r FROM priced
            WHERE prev > 0 AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day <= $3))
        SELECT floor(r / $4::float8) * $4::float8, (floor(r / $4::float8) + 1) * $4::float8,
               count(*), count(*)::float8 / sum(count(*)) OVER ()
        FROM returns GROUP BY floor(r / $4::float8) ORDER BY 1";
    let report = include_str!("../queries/returns_distribution.sql");
    let mut conn = db.conn().await;
    let mut rows = Vec::new();
    for sql in [definition, report] {
        let got: Vec<(f64, f64, i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(symbol)
            .bind(from)
            .bind(to)
            .bind(width)
            .fetch_all(&mut conn)
            .await
            .unwrap();
        rows.push(got);
    }
    assert!(
        !rows[0].is_empty(),
        "{symbol:?} {from:?} {to:?}: no returns"
    );
    assert_eq!(
        rows[1], rows[0],
        "returns_distribution {symbol:?} {from:?} {to:?} width {width}"
    );
}

/// On the timescale tier, every chunk of market.daily_prices is wholly in the columnstore, so
/// the write that follows goes into converted chunks (issue 24). Elsewhere there is none.
async fn assert_converted(db: &TestDb, before: &str) {
    if !db.has_columnstore().await {
        return;
    }
    let (all, converted) = db.columnstore_chunks("daily_prices").await;
    assert!(all > 1, "{all} chunks");
    assert_eq!(converted, all, "chunks in the columnstore before {before}");
}

/// The stored medians, quality counts, moving-average crosses and return counts equal their
/// definitions, and so does returns_distribution over whole and partial quarters.
async fn assert_stored_features(db: &TestDb, after: &str) {
    assert_eq!(
        return_count_mismatches(db).await.0,
        0,
        "daily-return counts, after {after}"
    );
    let d = |y, m, n| NaiveDate::from_ymd_opt(y, m, n);
    for (from, to) in [
        (None, None),
        (d(2005, 1, 1), d(2014, 12, 31)),
        (d(2005, 2, 14), d(2014, 11, 30)),
        (d(2009, 3, 31), None),
        (None, d(2010, 4, 1)),
        (d(2012, 5, 2), d(2012, 6, 29)),
    ] {
        assert_returns_distribution(db, None, from, to, 0.01).await;
    }
    assert_returns_distribution(db, None, d(2005, 2, 14), None, 0.025).await;
    assert_eq!(median_mismatches(db).await.0, 0, "medians, after {after}");
    assert_eq!(
        cross_mismatches(db).await.0,
        0,
        "moving-average crosses, after {after}"
    );
    assert_eq!(
        quality_mismatches(db).await.0,
        0,
        "quality counts, after {after}"
    );
}

/// Yahoo lines of weekdays from 2020-01-06 to 2020-04-30 with a two-week gap in February, a
/// Saturday, a zero volume, a high below its low, an open above its high and a price of 0.
fn odd_lines() -> Vec<String> {
    let mut day = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
    let gap = (
        NaiveDate::from_ymd_opt(2020, 2, 10).unwrap(),
        NaiveDate::from_ymd_opt(2020, 2, 21).unwrap(),
    );
    let saturday = NaiveDate::from_ymd_opt(2020, 1, 11).unwrap();
    let mut lines = Vec::new();
    let mut i = 0;
    while day <= NaiveDate::from_ymd_opt(2020, 4, 30).unwrap() {
        let weekday = day.weekday().number_from_monday() < 6;
        if (weekday && !(gap.0..=gap.1).contains(&day)) || day == saturday {
            let p = 10.0 + (i % 7) as f64;
            let (open, high, low, close, volume) = match i {
                3 => (p, p + 1.0, p - 1.0, p, 0),
                10 => (p, p - 1.0, p + 1.0, p, 100),
                12 => (p + 5.0, p + 1.0, p - 1.0, p, 100),
                20 => (0.0, p + 1.0, 0.0, p, 100),
                _ => (p, p + 1.0, p - 1.0, p + 0.5, 1000 + i),
            };
            lines.push(format!(
                "{day},{open},{high},{low},{close},{close},{volume}"
            ));
            i += 1;
        }
        day = day.succ_opt().unwrap();
    }
    lines
}

#[tokio::test]
async fn stored_features_equal_their_definitions_after_every_kind_of_write() {
    let db = fresh_db().await;
    let tree = tempfile::tempdir().unwrap();
    let out = tree.path().join("tree");
    db.run(&[
        "generate",
        "--symbols",
        "40",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect_code(0);
    let header = "Date,Open,High,Low,Close,Adj Close,Volume";
    let odd = odd_lines();
    let odd: Vec<&str> = odd.iter().map(String::as_str).collect();
    write_lines(&out.join("stocks"), "ODD", header, &odd);
    // A first load: medians and counts streamed in with the rows.
    db.run(&["load", out.to_str().unwrap(), "-q"])
        .expect_code(0);
    assert_stored_features(&db, "the first load").await;
    let (_, stored) = median_mismatches(&db).await;
    assert!(stored > 10_000, "only {stored} rows have a median");
    let (_, flagged) = quality_mismatches(&db).await;
    assert!(
        flagged >= 6,
        "only {flagged} suspicious rows or gaps counted"
    );
    let (_, crosses) = cross_mismatches(&db).await;
    assert!(crosses > 40, "only {crosses} moving-average crosses");
    let (_, days) = return_count_mismatches(&db).await;
    assert!(days > 10_000, "only {days} daily returns counted");

    assert_converted(&db, "new symbols").await;
    // Files newest day first (Nasdaq and Investing.com order), as new symbols: the medians and
    // counts are computed in SQL before commit.
    let longest = std::fs::read_dir(out.join("stocks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let text = std::fs::read_to_string(&longest).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(0);
    let edits = tempfile::tempdir().unwrap();
    for (symbol, rows) in [("DESC", &lines), ("ODDR", &odd)] {
        let mut newest_first = rows.to_vec();
        newest_first.reverse();
        let path = write_lines(edits.path(), symbol, header, &newest_first);
        db.run(&["load", path.to_str().unwrap(), "-q"])
            .expect_code(0);
    }
    assert_stored_features(&db, "newest-first files").await;
    assert!(db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'DESC' AND adj_close_median_30 IS NOT NULL").await > 0);
    assert_eq!(
        db.count("SELECT gaps_over_5_weekdays + weekend_days + zero_volume FROM market.symbol_stats WHERE symbol = 'ODDR'").await,
        3
    );

    // A corrected re-load: closes and adjusted closes changed on scattered days (which moves
    // the averages and so the crosses from the first of them on), and a volume set to 0.
    let symbol = longest.file_stem().unwrap().to_str().unwrap().to_string();
    let crosses_of = format!(
        "SELECT hashtext(string_agg(concat_ws(' ', day, direction, sma_20, sma_200), ',' ORDER BY day))::bigint
         FROM market.moving_average_crosses WHERE symbol = '{symbol}'"
    );
    let crosses_before = db.count(&crosses_of).await;
    let mut corrected: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for line in corrected.iter_mut().skip(300).step_by(97) {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        f[4] = format!("{}", f[4].parse::<f64>().unwrap() * 1.5);
        f[5] = format!("{}", f[5].parse::<f64>().unwrap() * 1.5);
        f[6] = "0".into();
        *line = f.join(",");
    }
    let refs: Vec<&str> = corrected.iter().map(String::as_str).collect();
    let path = write_lines(edits.path(), &symbol, header, &refs);
    assert_converted(&db, "a corrected re-load").await;
    let run = db.run(&["load", path.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    assert!(
        run.json()["totals"]["updated"].as_u64().unwrap() > 10,
        "{}",
        run.describe()
    );
    assert_stored_features(&db, "a corrected re-load").await;
    let d = |y, m, n| NaiveDate::from_ymd_opt(y, m, n);
    for (from, width) in [(None, 0.01), (d(2008, 8, 8), 0.01), (None, 0.005)] {
        assert_returns_distribution(&db, Some(&symbol), from, None, width).await;
    }
    assert_ne!(
        db.count(&crosses_of).await,
        crosses_before,
        "the corrections moved the crosses"
    );
    assert_converted(&db, "appended days").await;
    // Appended days: counted as they stream, the first gap measured from the last day before.
    let appended = [refs.as_slice(), &["2031-01-02,10,11,9,10.5,10.5,1000"]].concat();
    let path = write_lines(edits.path(), &symbol, header, &appended);
    db.run(&["load", path.to_str().unwrap(), "-q"])
        .expect_code(0);
    let after_gap = [odd.as_slice(), &["2020-05-16,10,11,9,10.5,10.5,0"]].concat();
    let path = write_lines(edits.path(), "ODD", header, &after_gap);
    db.run(&["load", path.to_str().unwrap(), "-q"])
        .expect_code(0);
    assert_stored_features(&db, "appended days").await;

    // Rows written by another tool: wrong until `stockdb refresh`.
    assert_converted(&db, "another tool's writes").await;
    let mut conn = db.conn().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "UPDATE market.daily_prices SET adj_close = adj_close * 3 WHERE symbol = '{symbol}'
           AND day = (SELECT day FROM market.daily_prices WHERE symbol = '{symbol}' ORDER BY day OFFSET 500 LIMIT 1);
         INSERT INTO market.daily_prices (symbol, day, open, high, low, close, adj_close, volume)
         SELECT 'DESC', day + 1, open, high, low, close, adj_close, 0
         FROM market.daily_prices WHERE symbol = 'DESC' ORDER BY day DESC LIMIT 1"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    assert!(
        median_mismatches(&db).await.0 > 0,
        "the other tool's rows are not counted yet"
    );
    assert!(quality_mismatches(&db).await.0 > 0);
    assert!(cross_mismatches(&db).await.0 > 0);
    assert!(return_count_mismatches(&db).await.0 > 0);
    db.run(&["refresh", "-q"]).expect_code(0);
    assert_stored_features(&db, "stockdb refresh").await;
    // The other tool's writes left chunks partial; the refresh converted them again.
    assert_converted(&db, "the end").await;
}

/// Issue 24: `latest`, every symbol's last bar and its change, equals a scan of the prices.
#[tokio::test]
async fn latest_gives_every_symbols_last_bar_and_change() {
    let db = loaded().await;
    let rows = report(&db, &["latest"]);
    let mut conn = db.conn().await;
    // The reference, computed the slow way: a window over every price.
    let want: Vec<(String, String, f64, i64, Option<f64>)> = sqlx::query_as(
        "SELECT symbol, day::text, close, volume, prev FROM (
             SELECT symbol, day, close, volume,
                    lag(close) OVER (PARTITION BY symbol ORDER BY day) AS prev,
                    row_number() OVER (PARTITION BY symbol ORDER BY day DESC) AS n
             FROM market.daily_prices) t
         WHERE n = 1 ORDER BY symbol",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(want.len(), 4, "{want:?}");
    assert_eq!(rows.len(), want.len());
    for (r, (symbol, day, close, volume, prev)) in rows.iter().zip(&want) {
        assert_eq!(r["symbol"], symbol.as_str());
        assert_eq!(r["day"], day.as_str(), "{symbol}");
        assert_eq!(f(&r["close"]), Some(*close), "{symbol}");
        assert_eq!(r["volume"].as_i64(), Some(*volume), "{symbol}");
        assert_eq!(f(&r["previous_close"]), *prev, "{symbol}");
        if let Some(p) = prev {
            let change = f(&r["change"]).unwrap();
            assert!((change - (close - p)).abs() < 1e-9, "{symbol}");
            let pct = f(&r["change_percent"]).unwrap();
            assert!((pct - (close / p - 1.0) * 100.0).abs() < 1e-9, "{symbol}");
        }
    }
    let one = report(&db, &["latest", "--symbol", "ACME"]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["symbol"], "ACME");
    // A symbol with a single day has no previous close, and no change; one without prices
    // is not listed.
    sqlx::raw_sql(
        "INSERT INTO market.symbols (symbol) VALUES ('ONEDAY'), ('NODAYS');
         INSERT INTO market.daily_prices (symbol, day, open, high, low, close, volume)
         VALUES ('ONEDAY', '2024-01-02', 1, 2, 0.5, 1.5, 7)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let single = report(&db, &["latest", "--symbol", "ONEDAY"]);
    assert_eq!(single.len(), 1);
    assert_eq!(single[0]["day"], "2024-01-02");
    assert_eq!(f(&single[0]["close"]), Some(1.5));
    assert!(single[0]["previous_close"].is_null(), "{single:?}");
    assert!(single[0]["change"].is_null(), "{single:?}");
    assert!(report(&db, &["latest", "--symbol", "NODAYS"]).is_empty());
}
