//! Intraday bars (issue 11) against a real server: the three source shapes of
//! `fixtures/intraday` load with no flags, the roll-ups equal values computed here from the
//! files, re-loads change nothing, corrections reach the roll-ups, and the reports agree.

mod common;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use common::{TestDb, fresh_db, root};
use serde_json::Value as J;
use std::collections::BTreeMap;

/// A bar as the fixture file says, read here without the loader's parser.
#[derive(Debug, Clone)]
struct Bar {
    symbol: &'static str,
    /// Resolution in seconds, as the fixture was written.
    resolution: i64,
    ts: DateTime<Utc>,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: i64,
}

fn lines(file: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(root().join("fixtures/intraday").join(file))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn new_york(s: &str, fmt: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(s, fmt).unwrap();
    New_York
        .from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Every bar of the fixtures, from the files' known layouts.
fn fixture_bars() -> Vec<Bar> {
    let mut bars = Vec::new();
    let num = |s: &str| s.parse::<f64>().unwrap();
    // Alpha Vantage: timestamp,open,high,low,close,volume; naive New York time, newest first.
    for r in lines("intraday_5min_MSFT.csv").iter().skip(1) {
        bars.push(Bar {
            symbol: "MSFT",
            resolution: 300,
            ts: new_york(&r[0], "%Y-%m-%d %H:%M:%S"),
            open: num(&r[1]),
            high: num(&r[2]),
            low: num(&r[3]),
            close: num(&r[4]),
            volume: r[5].parse().unwrap(),
        });
    }
    // Generic: Time,Date,Close,Open,High,Low,Volume.
    for r in lines("MSFT_1min.csv").iter().skip(1) {
        bars.push(Bar {
            symbol: "MSFT",
            resolution: 60,
            ts: new_york(&format!("{} {}", r[1], r[0]), "%Y-%m-%d %H:%M"),
            open: num(&r[3]),
            high: num(&r[4]),
            low: num(&r[5]),
            close: num(&r[2]),
            volume: r[6].parse().unwrap(),
        });
    }
    // yfinance: three header lines, then Datetime (UTC offset),Close,High,Low,Open,Volume.
    for r in lines("AAPL_1m.csv").iter().skip(3) {
        bars.push(Bar {
            symbol: "AAPL",
            resolution: 60,
            ts: DateTime::parse_from_str(&r[0], "%Y-%m-%d %H:%M:%S%:z")
                .unwrap()
                .with_timezone(&Utc),
            open: num(&r[4]),
            high: num(&r[2]),
            low: num(&r[3]),
            close: num(&r[1]),
            volume: r[5].parse().unwrap(),
        });
    }
    // Generic: datetime,open,high,low,close,volume; across the November DST change.
    for r in lines("SPY_15min.csv").iter().skip(1) {
        bars.push(Bar {
            symbol: "SPY",
            resolution: 900,
            ts: new_york(&r[0], "%Y-%m-%d %H:%M:%S"),
            open: num(&r[1]),
            high: num(&r[2]),
            low: num(&r[3]),
            close: num(&r[4]),
            volume: r[5].parse().unwrap(),
        });
    }
    bars
}

/// A roll-up row: open, high, low, close, volume, VWAP, bars, source resolution (seconds).
#[derive(Debug, Clone, PartialEq)]
struct Rolled {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: i64,
    vwap: Option<f64>,
    bars: i64,
    resolution: i64,
}

/// The reference roll-up of width `width` seconds (0: the New York calendar day): per symbol
/// and bucket, the bars of the finest resolution present there that fits the width.
fn reference(bars: &[Bar], width: i64) -> BTreeMap<(String, String), Rolled> {
    let key = |b: &Bar| -> String {
        if width == 0 {
            b.ts.with_timezone(&New_York).date_naive().to_string()
        } else {
            let t = b.ts.timestamp();
            DateTime::<Utc>::from_timestamp(t - t.rem_euclid(width), 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        }
    };
    let mut groups: BTreeMap<(String, String), Vec<&Bar>> = BTreeMap::new();
    for b in bars.iter().filter(|b| width == 0 || b.resolution <= width) {
        groups
            .entry((b.symbol.to_string(), key(b)))
            .or_default()
            .push(b);
    }
    groups
        .into_iter()
        .map(|(k, mut group)| {
            let finest = group.iter().map(|b| b.resolution).min().unwrap();
            group.retain(|b| b.resolution == finest);
            group.sort_by_key(|b| b.ts);
            let volume: i64 = group.iter().map(|b| b.volume).sum();
            let pv: f64 = group
                .iter()
                .map(|b| (b.high + b.low + b.close) / 3.0 * b.volume as f64)
                .sum();
            let rolled = Rolled {
                open: group[0].open,
                high: group.iter().map(|b| b.high).fold(f64::MIN, f64::max),
                low: group.iter().map(|b| b.low).fold(f64::MAX, f64::min),
                close: group.last().unwrap().close,
                volume,
                vwap: (volume > 0).then(|| pv / volume as f64),
                bars: group.len() as i64,
                resolution: finest,
            };
            (k, rolled)
        })
        .collect()
}

/// symbol, bucket, open, high, low, close, volume, vwap, bars, resolution (seconds).
type StoredRow = (
    String,
    String,
    f64,
    f64,
    f64,
    f64,
    i64,
    Option<f64>,
    i64,
    f64,
);

/// A roll-up view as the server has it, keyed like [`reference`].
async fn stored(db: &TestDb, view: &str) -> BTreeMap<(String, String), Rolled> {
    let mut conn = db.conn().await;
    let bucket = if view == "market.intraday_daily" {
        "bucket::text"
    } else {
        "to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    };
    let rows: Vec<StoredRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT symbol, {bucket}, open, high, low, close, volume, vwap, bars::bigint, \
                    extract(epoch FROM source_resolution)::float8 FROM {view}"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(s, b, open, high, low, close, volume, vwap, bars, res)| {
            let rolled = Rolled {
                open,
                high,
                low,
                close,
                volume,
                vwap,
                bars,
                resolution: res as i64,
            };
            ((s, b), rolled)
        })
        .collect()
}

/// Equal, VWAP within float rounding (the server sums in another order).
fn assert_same(
    view: &str,
    got: &BTreeMap<(String, String), Rolled>,
    want: &BTreeMap<(String, String), Rolled>,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{view}: buckets"
    );
    for (k, w) in want {
        let g = &got[k];
        let vwap_close = match (g.vwap, w.vwap) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs(),
            (a, b) => a == b,
        };
        assert!(
            vwap_close
                && Rolled {
                    vwap: w.vwap,
                    ..g.clone()
                } == *w,
            "{view} {k:?}: got {g:?}, want {w:?}"
        );
    }
}

const VIEWS: [(&str, i64); 4] = [
    ("market.intraday_5min", 300),
    ("market.intraday_15min", 900),
    ("market.intraday_hourly", 3600),
    ("market.intraday_daily", 0),
];

async fn assert_rollups(db: &TestDb, bars: &[Bar]) {
    for (view, width) in VIEWS {
        assert_same(view, &stored(db, view).await, &reference(bars, width));
    }
}

fn load_json(db: &TestDb, args: &[&str]) -> J {
    let mut full = vec!["load"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let run = db.run(&full);
    run.expect_code(0);
    run.json()
}

fn files(json: &J) -> Vec<J> {
    json["files"].as_array().unwrap().clone()
}

#[tokio::test]
async fn three_shapes_load_with_no_flags_and_the_rollups_are_exact() {
    let db = fresh_db().await;
    let json = load_json(&db, &["fixtures/intraday"]);
    let by_file: BTreeMap<String, J> = files(&json)
        .into_iter()
        .map(|f| {
            let name = f["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            (name, f)
        })
        .collect();
    let expect = [
        (
            "intraday_5min_MSFT.csv",
            "MSFT",
            "Alpha Vantage intraday (5 minutes bars)",
            384,
        ),
        (
            "MSFT_1min.csv",
            "MSFT",
            "intraday with a datetime header (1 minute bars)",
            390,
        ),
        (
            "AAPL_1m.csv",
            "AAPL",
            "yfinance intraday (1 minute bars)",
            780,
        ),
        (
            "SPY_15min.csv",
            "SPY",
            "intraday with a datetime header (15 minutes bars)",
            52,
        ),
        ("AAPL_daily.csv", "AAPL", "Yahoo-style header", 2),
    ];
    for (file, symbol, format, rows) in expect {
        let f = &by_file[file];
        assert_eq!(f["symbol"], symbol, "{file}");
        assert_eq!(f["format"], format, "{file}");
        assert_eq!(f["accepted"], rows, "{file}");
        assert_eq!(f["inserted"], rows, "{file}");
        assert_eq!(f["check_passed"], true, "{file}");
    }
    // Two resolutions of one symbol are kept apart.
    assert_eq!(
        db.count(
            "SELECT count(DISTINCT resolution) FROM market.intraday_bars WHERE symbol = 'MSFT'"
        )
        .await,
        2
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        2
    );
    // DST: 09:30 New York is 14:30 UTC on Friday 2024-03-08 and 13:30 UTC on Monday 2024-03-11
    // (clocks went forward on the Sunday), and again 13:30 / 14:30 around 2024-11-03.
    for (symbol, utc) in [
        ("AAPL", "2024-03-08 14:30:00+00"),
        ("AAPL", "2024-03-11 13:30:00+00"),
        ("SPY", "2024-11-01 13:30:00+00"),
        ("SPY", "2024-11-04 14:30:00+00"),
        ("MSFT", "2024-03-08 09:00:00+00"),
    ] {
        let n = db
            .count(&format!(
                "SELECT count(*) FROM market.intraday_bars WHERE symbol = '{symbol}' AND ts = '{utc}'"
            ))
            .await;
        assert_eq!(n, 1, "{symbol} has a bar at {utc}");
    }
    let bars = fixture_bars();
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars").await,
        bars.len() as i64
    );
    assert_rollups(&db, &bars).await;
    // `stockdb status` says the roll-ups are fresh.
    let status = db.run(&["status", "--format", "json"]);
    status.expect_code(0);
    assert_eq!(
        status.json()["intraday_stale_ranges"],
        0,
        "{}",
        status.describe()
    );
    // Loaded bars are never reported as none, analyzed or not.
    assert_ne!(
        status.json()["intraday_estimated_bars"],
        0,
        "{}",
        status.describe()
    );
    // The roll-ups a first load writes as the bars stream in equal the SQL definition
    // (tables tiers) or a full re-materialization (timescale tier): `stockdb refresh` redoes them.
    db.run(&["refresh", "-q"]).expect_code(0);
    assert_rollups(&db, &bars).await;
    // On the timescale tier the roll-ups are continuous aggregates, fresh when load returns.
    if db.has_timescaledb().await
        && db
            .count("SELECT count(*) FROM pg_class WHERE relname = 'intraday_5min_rollup' AND relkind = 'v'")
            .await
            == 1
    {
        assert_eq!(
            db.count("SELECT count(*) FROM market.intraday_stale_ranges").await,
            0
        );
        println!("intraday roll-ups checked as continuous aggregates");
    } else {
        println!("intraday roll-ups checked as tables (no continuous aggregates on this server)");
    }
}

/// The fixture bars after the correction both tests below make: Friday's last 5-minute bar
/// of MSFT (19:55 New York) gets close = low and volume 777, and a 03:55 bar is added.
fn corrected_bars() -> Vec<Bar> {
    let mut bars = fixture_bars();
    for b in bars.iter_mut().filter(|b| {
        b.symbol == "MSFT"
            && b.resolution == 300
            && b.ts == new_york("2024-03-08 19:55:00", "%Y-%m-%d %H:%M:%S")
    }) {
        b.close = b.low;
        b.volume = 777;
    }
    bars.push(Bar {
        symbol: "MSFT",
        resolution: 300,
        ts: new_york("2024-03-08 03:55:00", "%Y-%m-%d %H:%M:%S"),
        open: 405.0,
        high: 405.1,
        low: 404.9,
        close: 405.05,
        volume: 12,
    });
    bars
}

#[tokio::test]
async fn reloading_changes_nothing_and_a_correction_reaches_the_rollups() {
    let db = fresh_db().await;
    load_json(&db, &["fixtures/intraday"]);
    let again = load_json(&db, &["fixtures/intraday"]);
    assert_eq!(again["totals"]["inserted"], 0);
    assert_eq!(again["totals"]["updated"], 0);
    assert_eq!(again["totals"]["unchanged"], 1608);

    // A corrected download: the last bar of Friday (19:55 New York) gets another close and
    // volume, and the file has one bar more (20:00 is off the extended session, but on the grid).
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(root().join("fixtures/intraday/intraday_5min_MSFT.csv")).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push(line.to_string());
            continue;
        }
        if line.starts_with("2024-03-08 19:55:00") {
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            f[4] = f[3].clone(); // close = low: still inside [low, high]
            f[5] = "777".into();
            out.push(f.join(","));
        } else {
            out.push(line.to_string());
        }
    }
    out.push("2024-03-08 03:55:00,405.0000,405.1000,404.9000,405.0500,12".into());
    let corrected = dir.path().join("intraday_5min_MSFT.csv");
    std::fs::write(&corrected, out.join("\n") + "\n").unwrap();
    let json = load_json(&db, &[corrected.to_str().unwrap()]);
    let f = &files(&json)[0];
    assert_eq!(
        (f["inserted"].as_i64(), f["updated"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(f["unchanged"], 383);
    assert_eq!(f["in_table"], 385);

    let bars = corrected_bars();
    assert_rollups(&db, &bars).await;
    let daily = stored(&db, "market.intraday_daily").await;
    let friday = &daily[&("MSFT".to_string(), "2024-03-08".to_string())];
    assert_eq!((friday.open, friday.bars), (405.0, 193));
}

/// A database with `fixtures/intraday` loaded, where the roll-ups are continuous aggregates;
/// None, with the test's skip line, on the tiers that keep them in tables.
async fn fixtures_with_continuous_rollups(test: &str) -> Option<TestDb> {
    let db = fresh_db().await;
    load_json(&db, &["fixtures/intraday"]);
    let continuous = db
        .count("SELECT count(*) FROM pg_class WHERE relname = 'intraday_5min_rollup' AND relkind = 'v'")
        .await;
    if continuous == 0 {
        common::skip(
            test,
            "no continuous aggregates on this tier (the roll-ups are tables written by each load)",
        );
        return None;
    }
    Some(db)
}

/// Issue 25: on the timescale tier a first load writes its roll-ups into the continuous
/// aggregates' storage itself, with no refresh after it; TimescaleDB's own forced refresh then
/// computes the same rows, and a bucket stored twice is refused (migration V23).
#[tokio::test]
async fn a_first_load_writes_the_rollups_a_refresh_computes() {
    let Some(db) =
        fixtures_with_continuous_rollups("a_first_load_writes_the_rollups_a_refresh_computes")
            .await
    else {
        return;
    };
    // No refresh ran: TimescaleDB's invalidation threshold of the bars never moved.
    let refreshed = db
        .count(
            "SELECT count(*) FROM _timescaledb_catalog.continuous_aggs_invalidation_threshold t
             JOIN _timescaledb_catalog.hypertable h ON h.id = t.hypertable_id
             WHERE h.schema_name = 'market' AND h.table_name = 'intraday_bars'
               AND t.watermark > (SELECT (extract(epoch FROM min(ts)) * 1000000)::bigint
                                  FROM market.intraday_bars)",
        )
        .await;
    assert_eq!(refreshed, 0, "the load refreshed the roll-ups");
    let mut written = Vec::new();
    for (view, _) in VIEWS {
        written.push(stored(&db, view).await);
    }
    assert_rollups(&db, &fixture_bars()).await;

    let mut conn = db.conn().await;
    for level in [
        "intraday_5min_rollup",
        "intraday_15min_rollup",
        "intraday_hourly_rollup",
        "intraday_daily_rollup",
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CALL refresh_continuous_aggregate('market.{level}', NULL, NULL, force => true)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        let storage: String = sqlx::query_scalar(
            "SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)
             FROM timescaledb_information.continuous_aggregates WHERE view_name = $1",
        )
        .bind(level)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let twice = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {storage} SELECT * FROM {storage} LIMIT 1"
        )))
        .execute(&mut conn)
        .await
        .unwrap_err();
        assert_eq!(
            twice.as_database_error().and_then(|e| e.code()).as_deref(),
            Some("23505"),
            "{level}: {twice}"
        );
    }
    for ((view, _), before) in VIEWS.iter().zip(&written) {
        assert_same(view, &stored(&db, view).await, before);
    }
}

/// Issue 24: another writer's UPDATE and INSERT of bars reach every roll-up level through
/// stockdb's scheduled job (`refresh --schedule`), which force-refreshes the New York days
/// holding them (TimescaleDB 2.28's unforced refresh can skip a window's last bucket).
#[tokio::test]
async fn another_writers_bars_reach_the_rollups_through_the_scheduled_job() {
    let Some(db) = fixtures_with_continuous_rollups(
        "another_writers_bars_reach_the_rollups_through_the_scheduled_job",
    )
    .await
    else {
        return;
    };
    db.run(&["refresh", "--schedule", "1h"]).expect_code(0);
    let job_id = db
        .count("SELECT job_id::bigint FROM timescaledb_information.jobs WHERE proc_schema = 'market' AND proc_name = 'refresh_changed'")
        .await;
    let mut conn = db.conn().await;
    // The same change as the corrected file above, made by another writer in SQL: the last
    // bar of Friday gets close = low and volume 777, and a 03:55 bar is added.
    sqlx::raw_sql(
        "UPDATE market.intraday_bars SET close = low, volume = 777
         WHERE symbol = 'MSFT' AND resolution = '5 minutes'
           AND ts = '2024-03-08 19:55:00 America/New_York';
         INSERT INTO market.intraday_bars (symbol, resolution, ts, open, high, low, close, volume)
         VALUES ('MSFT', '5 minutes', '2024-03-08 03:55:00 America/New_York', 405.0, 405.1, 404.9, 405.05, 12)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let friday_bars = "SELECT bars FROM market.intraday_daily WHERE symbol = 'MSFT' AND bucket = '2024-03-08' AND source_resolution = '5 minutes'";
    assert_eq!(db.count(friday_bars).await, 192, "not refreshed yet");
    // What TimescaleDB's scheduler runs, run now (simple protocol: the job commits).
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CALL run_job({job_id})")))
        .execute(&mut conn)
        .await
        .unwrap();
    let bars = corrected_bars();
    assert_rollups(&db, &bars).await;
    assert_eq!(db.count(friday_bars).await, 193);
    db.run(&["refresh", "--schedule", "off"]).expect_code(0);
}

fn report(db: &TestDb, args: &[&str]) -> Vec<J> {
    let mut full = vec!["report"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let run = db.run(&full);
    run.expect_code(0);
    run.json().as_array().unwrap().clone()
}

#[tokio::test]
async fn intraday_reports_agree_with_the_files() {
    let db = fresh_db().await;
    load_json(&db, &["fixtures/intraday"]);
    let bars = fixture_bars();

    // intraday_bars: one symbol-day at its finest resolution, in exchange time.
    let rows = report(
        &db,
        &[
            "intraday_bars",
            "--symbol",
            "MSFT",
            "--from",
            "2024-03-11",
            "--to",
            "2024-03-11",
        ],
    );
    assert_eq!(rows.len(), 390);
    assert_eq!(rows[0]["exchange_time"], "2024-03-11T09:30:00");
    assert_eq!(rows[0]["resolution"], "00:01:00");
    let rows = report(
        &db,
        &[
            "intraday_bars",
            "--symbol",
            "MSFT",
            "--from",
            "2024-03-11",
            "--to",
            "2024-03-11",
            "-p",
            "resolution=5 minutes",
        ],
    );
    assert_eq!(rows.len(), 192);
    assert_eq!(rows[0]["exchange_time"], "2024-03-11T04:00:00");

    // vwap_daily: the daily reference.
    let want = reference(&bars, 0);
    let rows = report(&db, &["vwap_daily"]);
    assert_eq!(rows.len(), want.len());
    for r in &rows {
        let k = (
            r["symbol"].as_str().unwrap().to_string(),
            r["day"].as_str().unwrap().to_string(),
        );
        let w = &want[&k];
        assert_eq!(r["close"].as_f64(), Some(w.close), "{k:?}");
        assert_eq!(r["volume"].as_i64(), Some(w.volume), "{k:?}");
        let vwap = r["vwap"].as_f64().unwrap();
        assert!((vwap - w.vwap.unwrap()).abs() < 1e-9 * vwap, "{k:?}");
    }

    // intraday_vs_daily: AAPL's daily file agrees on Friday and is 2% off on Monday.
    let last_monday = bars
        .iter()
        .filter(|b| {
            b.symbol == "AAPL"
                && b.ts.with_timezone(&New_York).date_naive()
                    == NaiveDate::from_ymd_opt(2024, 3, 11).unwrap()
        })
        .max_by_key(|b| b.ts)
        .unwrap()
        .close;
    let rows = report(&db, &["intraday_vs_daily"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["symbol"], "AAPL");
    assert_eq!(rows[0]["day"], "2024-03-11");
    assert_eq!(rows[0]["intraday_close"].as_f64(), Some(last_monday));
    assert_eq!(rows[0]["last_bar"], "15:59:00");
    // A tolerance above 2% lists no day.
    assert!(report(&db, &["intraday_vs_daily", "-p", "tolerance=0.05"]).is_empty());
}

#[tokio::test]
async fn bad_bars_go_to_the_rejects_file_within_max_bad_rows() {
    let db = fresh_db().await;
    let rejects = tempfile::tempdir().unwrap();
    let run = db.run(&[
        "load",
        "fixtures/bad/intraday_duplicate_time.csv",
        "fixtures/bad/intraday_off_grid.csv",
        "--max-bad-rows",
        "1",
        "--rejects",
        rejects.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["totals"]["accepted"], 3 + 4);
    assert_eq!(json["totals"]["rejected"], 2);
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars").await,
        7
    );
    let text =
        std::fs::read_to_string(rejects.path().join("bad_intraday_off_grid.csv.rejects.csv"))
            .unwrap();
    assert!(
        text.contains("is off the file's grid of 1 minute"),
        "{text}"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM market.load_runs WHERE status = 'succeeded' AND rows_rejected = 1"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn dry_run_says_what_each_intraday_file_is() {
    let run = common::run_with(
        &["load", "fixtures/intraday", "--dry-run", "--format", "json"],
        &[],
        root(),
    );
    run.expect_code(0);
    let json = run.json();
    let formats: Vec<String> = files(&json)
        .iter()
        .map(|f| f["format"].as_str().unwrap().to_string())
        .collect();
    assert!(
        formats.contains(&"yfinance intraday (1 minute bars)".to_string()),
        "{formats:?}"
    );
    assert!(
        formats.contains(&"Alpha Vantage intraday (5 minutes bars)".to_string()),
        "{formats:?}"
    );
}

/// Issue 24: `-p fill=locf` gives one row per bar slot of the session, a slot without a bar
/// carrying the last close forward with volume 0 (across days too); bars outside the session
/// stay; without the parameter the bars come as stored.
#[tokio::test]
async fn gap_filling_gives_every_session_slot() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GAPS_5min.csv");
    std::fs::write(
        &path,
        "datetime,open,high,low,close,volume\n\
         2024-11-01 09:30:00,10,11,9,10.5,100\n\
         2024-11-01 09:35:00,10.5,11,10,10.7,50\n\
         2024-11-01 09:50:00,10.7,11,10.2,10.4,70\n\
         2024-11-01 15:55:00,10.4,10.6,10.3,10.5,20\n\
         2024-11-01 16:05:00,10.5,10.5,10.5,10.5,5\n\
         2024-11-04 09:40:00,10.6,10.8,10.5,10.8,30\n",
    )
    .unwrap();
    db.run(&["load", path.to_str().unwrap(), "-q"])
        .expect_code(0);
    let plain = report(&db, &["intraday_bars", "--symbol", "GAPS"]);
    assert_eq!(plain.len(), 6);
    let rows = report(
        &db,
        &["intraday_bars", "--symbol", "GAPS", "-p", "fill=locf"],
    );
    // 78 five-minute slots from 09:30 to 15:55 on each of the two days, and the 16:05 bar.
    assert_eq!(rows.len(), 2 * 78 + 1);
    let at = |time: &str| {
        rows.iter()
            .find(|r| r["exchange_time"] == time)
            .unwrap_or_else(|| panic!("no row at {time}"))
    };
    let ohlcv = |r: &J| {
        (
            r["open"].as_f64().unwrap(),
            r["high"].as_f64().unwrap(),
            r["low"].as_f64().unwrap(),
            r["close"].as_f64().unwrap(),
            r["volume"].as_i64().unwrap(),
        )
    };
    assert_eq!(
        ohlcv(at("2024-11-01T09:35:00")),
        (10.5, 11.0, 10.0, 10.7, 50)
    );
    assert_eq!(
        ohlcv(at("2024-11-01T09:40:00")),
        (10.7, 10.7, 10.7, 10.7, 0)
    );
    assert_eq!(
        ohlcv(at("2024-11-01T15:50:00")),
        (10.4, 10.4, 10.4, 10.4, 0)
    );
    assert_eq!(ohlcv(at("2024-11-01T16:05:00")).4, 5);
    // Monday before its first bar: Friday's last close.
    assert_eq!(
        ohlcv(at("2024-11-04T09:30:00")),
        (10.5, 10.5, 10.5, 10.5, 0)
    );
    assert_eq!(ohlcv(at("2024-11-04T09:40:00")).4, 30);
    assert_eq!(ohlcv(at("2024-11-04T15:55:00")).3, 10.8);
    // Slots in order, each once.
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["exchange_time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(times, sorted);
    // One day: its slots only, the first carrying the close before the range.
    let monday = report(
        &db,
        &[
            "intraday_bars",
            "--symbol",
            "GAPS",
            "--from",
            "2024-11-04",
            "-p",
            "fill=locf",
        ],
    );
    assert_eq!(monday.len(), 78);
    assert_eq!(monday[0]["close"].as_f64(), Some(10.5));
    // Anything else than locf is refused.
    let run = db.run(&[
        "report",
        "intraday_bars",
        "--symbol",
        "GAPS",
        "-p",
        "fill=zero",
    ]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("fill must be locf, not zero"),
        "{}",
        run.describe()
    );
}
