//! Vendor bar files (issue 43) against a real server: Polygon/Massive minute aggregates and
//! Databento OHLCV-1m (raw with symbology.json, and pretty) written by `stockdb generate`, read
//! here with a parser of our own and compared with the table; the vendor quirks (repeats, a
//! cut gzip), `--from`/`--to`, and one symbol for a share class whoever wrote it.

mod common;

use common::{TestDb, files, fresh_db, totals};
use sqlx::Row;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn generate(dir: &Path, layout: &str, symbols: &str, days: &str) -> PathBuf {
    let out = dir.join(layout);
    let run = common::run_with(
        &[
            "generate",
            "--vendor",
            layout,
            "--symbols",
            symbols,
            "--days",
            days,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
        common::root(),
    );
    run.expect_code(0);
    out
}

fn load(db: &TestDb, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["load"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let run = db.run(&full);
    run.expect_code(0);
    run.json()
}

type Key = (String, i64);
type Values = (u64, u64, u64, u64, i64, Option<i64>);

/// The bars of Polygon minute files, read here: (symbol, start µs) → values as bit patterns.
fn polygon_bars(dir: &Path) -> BTreeMap<Key, Values> {
    let mut bars = BTreeMap::new();
    for (_, text) in common::texts_under(dir) {
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| f[i].parse::<f64>().unwrap().to_bits();
            let ns: i64 = f[6].parse().unwrap();
            bars.insert(
                (f[0].to_string(), ns / 1000),
                (
                    num(2),
                    num(4),
                    num(5),
                    num(3),
                    f[1].parse().unwrap(),
                    f[7].parse().ok(),
                ),
            );
        }
    }
    bars
}

async fn stored_bars(db: &TestDb) -> BTreeMap<Key, Values> {
    let mut conn = db.conn().await;
    let rows = sqlx::query(
        "SELECT symbol, (extract(epoch FROM ts) * 1000000)::bigint AS us, open, high, low, close, volume, transactions
         FROM market.intraday_bars WHERE resolution = interval '1 minute'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            let bits = |c: &str| r.get::<f64, _>(c).to_bits();
            (
                (r.get("symbol"), r.get("us")),
                (
                    bits("open"),
                    bits("high"),
                    bits("low"),
                    bits("close"),
                    r.get("volume"),
                    r.get("transactions"),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn polygon_and_databento_minutes_load_exactly_and_meet() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let polygon = generate(dir.path(), "polygon-minute", "80", "2");
    let json = load(&db, &[polygon.to_str().unwrap()]);
    let reports = files(&json);
    assert_eq!(reports.len(), 2);
    for f in reports {
        assert_eq!(f["write_path"], "copy", "{f}");
        let format = f["format"].as_str().unwrap();
        assert!(format.contains("minute_aggs_v1"), "{format}");
    }
    let expected = polygon_bars(&polygon);
    assert!(expected.len() > 10_000, "{} bars", expected.len());
    assert_eq!(
        stored_bars(&db).await,
        expected,
        "every bar as the file has it"
    );
    // The same bars from Databento, raw and pretty, without trade counts: nothing changes,
    // and the counts Polygon gave stay (unknown is not NULL).
    for layout in ["databento-raw", "databento-pretty"] {
        let out = generate(dir.path(), layout, "80", "2");
        let json = load(&db, &[out.to_str().unwrap()]);
        let t = totals(&json);
        assert_eq!(t["inserted"], 0, "{layout}: {t}");
        assert_eq!(t["updated"], 0, "{layout}: {t}");
        assert_eq!(
            t["accepted"].as_u64(),
            Some(expected.len() as u64),
            "{layout}"
        );
        assert_eq!(stored_bars(&db).await, expected, "{layout}");
    }
    // A re-load of the Polygon files writes nothing and says so.
    let json = load(&db, &[polygon.to_str().unwrap()]);
    for f in files(&json) {
        assert_eq!(f["write_path"], "unchanged", "{f}");
    }
    assert_rollups_fresh(&db).await;
    // Databento alone: its day is in time order, so its roll-ups are refreshed, not spooled.
    let alone = fresh_db().await;
    let out = dir.path().join("databento-raw");
    load(&alone, &[out.to_str().unwrap()]);
    assert_rollups_fresh(&alone).await;
}

/// The 5-minute and daily roll-ups hold each bucket's volume and bar count as the bars sum up.
async fn assert_rollups_fresh(db: &TestDb) {
    let mut conn = db.conn().await;
    for (view, bucket) in [
        (
            "intraday_5min",
            "to_timestamp(floor(extract(epoch FROM ts) / 300) * 300)",
        ),
        (
            "intraday_daily",
            "(ts AT TIME ZONE 'America/New_York')::date",
        ),
    ] {
        let differ: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM (
                 SELECT symbol, {bucket} AS bucket, sum(volume) AS v, count(*) AS n
                 FROM market.intraday_bars GROUP BY 1, 2) b
             FULL JOIN (SELECT symbol, bucket, volume AS v, bars AS n FROM market.{view}) r
                 USING (symbol, bucket)
             WHERE b.v IS DISTINCT FROM r.v OR b.n IS DISTINCT FROM r.n"
        )))
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(differ, 0, "{view}: buckets that differ from the bars");
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const HEADER: &str = "ticker,volume,open,close,high,low,window_start,transactions\n";

#[tokio::test(flavor = "multi_thread")]
async fn repeats_load_once_or_are_bad_rows_and_a_cut_gzip_is_refused() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("minute_aggs_v1/2024-03-08.csv");
    write(
        &day,
        &format!(
            "{HEADER}\
             AAA,100,10,10.5,10.6,9.9,1709908200000000000,4\n\
             AAA,100,10,10.5,10.6,9.9,1709908200000000000,4\n\
             BBB,50,20,20,20,20,1709908200000000000,1\n\
             BBB,51,20,20,20,20,1709908200000000000,1\n\
             CCC,7,5,5,5,5,1709908260000000000,2\n"
        ),
    );
    let run = db.run(&["load", day.to_str().unwrap(), "--format", "json"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains(":5:") && run.stderr().contains("second bar for BBB"),
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars").await,
        0
    );
    let json = load(&db, &[day.to_str().unwrap(), "--max-bad-rows", "1"]);
    let t = totals(&json);
    assert_eq!(
        (t["rows_in_file"].as_u64(), t["rejected"].as_u64()),
        (Some(5), Some(1)),
        "{t}"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars").await,
        3
    );
    assert_eq!(
        db.count("SELECT volume FROM market.intraday_bars WHERE symbol = 'BBB'")
            .await,
        50,
        "the first of two differing bars stays"
    );

    // A cut gzip: refused with its file and line, nothing loaded.
    let mut text = String::from(HEADER);
    for m in 0..20_000i64 {
        text.push_str(&format!(
            "DDD,1,1,1,1,1,{},1\n",
            1_709_900_000_000_000_000 + m * 60_000_000_000
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let cut = dir.path().join("cut/2024-03-07.csv.gz");
    std::fs::create_dir_all(cut.parent().unwrap()).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let run = db.run(&["load", cut.to_str().unwrap()]);
    run.expect_code(1);
    let err = run.stderr();
    assert!(
        err.contains("2024-03-07.csv.gz:") && err.contains("ends early"),
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars WHERE symbol = 'DDD'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn from_and_to_take_day_files_by_name_and_share_classes_meet() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let polygon = generate(dir.path(), "polygon-minute", "20", "3");
    let json = load(
        &db,
        &[
            polygon.to_str().unwrap(),
            "--from",
            "2024-01-03",
            "--to",
            "2024-01-03",
        ],
    );
    assert_eq!(files(&json).len(), 1);
    let days = db
        .count("SELECT count(DISTINCT (ts AT TIME ZONE 'America/New_York')::date) FROM market.intraday_bars")
        .await;
    assert_eq!(days, 1);
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars WHERE (ts AT TIME ZONE 'America/New_York')::date <> '2024-01-03'")
            .await,
        0
    );
    // Yahoo writes BRK-A, Polygon BRK.A, TAQ BRK A: one symbol.
    let yahoo = dir.path().join("yahoo/BRK-A.csv");
    write(
        &yahoo,
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-03-07,1,1,1,1,1,10\n2024-03-08,1,1,1,1,1,10\n",
    );
    let bars = dir.path().join("long/bars_1min.csv");
    write(
        &bars,
        "symbol,timestamp,open,high,low,close,volume\nBRK A,2024-03-08 09:30:00,1,1,1,1,1\nBRK/A,2024-03-08 09:31:00,1,1,1,1,1\n",
    );
    load(&db, &[yahoo.to_str().unwrap(), bars.to_str().unwrap()]);
    assert_eq!(
        db.count("SELECT count(*) FROM market.symbols WHERE symbol LIKE 'BRK%'")
            .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'BRK.A'")
            .await,
        2
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars WHERE symbol = 'BRK.A'")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn databento_without_symbols_says_what_it_needs() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("xnas-itch-20240308.ohlcv-1m.csv");
    write(
        &file,
        "ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume\n1709908200000000000,33,2,7,1000000000,1000000000,1000000000,1000000000,5\n",
    );
    let run = db.run(&["load", file.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("symbology.json"),
        "{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn polygon_day_aggregates_load_as_daily_bars_with_their_periods() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let days = generate(dir.path(), "polygon-day", "40", "3");
    let json = load(&db, &[days.to_str().unwrap()]);
    assert_eq!(totals(&json)["inserted"], 120, "{}", totals(&json));
    let format = files(&json)[0]["format"].as_str().unwrap().to_string();
    assert!(format.contains("day_aggs_v1"), "{format}");
    // Each row as the file has it: the day of its midnight New York stamp, its trade count.
    let mut expected = BTreeMap::new();
    for (key, v) in polygon_bars(&days) {
        let day = chrono::DateTime::from_timestamp_micros(key.1)
            .unwrap()
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive();
        expected.insert((key.0, day.to_string()), v);
    }
    let mut conn = db.conn().await;
    let rows = sqlx::query(
        "SELECT symbol, day::text AS day, open, high, low, close, volume, transactions FROM market.daily_prices",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let stored: BTreeMap<(String, String), Values> = rows
        .iter()
        .map(|r| {
            let bits = |c: &str| r.get::<f64, _>(c).to_bits();
            (
                (r.get("symbol"), r.get("day")),
                (
                    bits("open"),
                    bits("high"),
                    bits("low"),
                    bits("close"),
                    r.get("volume"),
                    r.get("transactions"),
                ),
            )
        })
        .collect();
    assert_eq!(stored, expected);
    // The monthly period average is the GROUP BY of the days.
    let off: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT symbol, avg(close) AS c FROM market.daily_prices GROUP BY symbol) d
         FULL JOIN (SELECT symbol, avg_close AS c FROM market.monthly_prices) m USING (symbol)
         WHERE abs(d.c - m.c) > 1e-9 * abs(d.c) OR d.c IS NULL OR m.c IS NULL",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(off, 0, "monthly averages that differ from the days'");
    let again = load(&db, &[days.to_str().unwrap()]);
    assert_eq!(totals(&again)["unchanged"], 120);

    // Polygon's day aggregates of 2019-08-13 repeat rows whole: loaded once, with a warning.
    let quirk = dir.path().join("day_aggs_v1/2019/08/2019-08-13.csv");
    write(
        &quirk,
        &format!(
            "{HEADER}\
             ZZA,100,10,10.5,10.6,9.9,1565668800000000000,4\n\
             ZZA,100,10,10.5,10.6,9.9,1565668800000000000,4\n\
             ZZB,50,20,20,20,20,1565668800000000000,1\n"
        ),
    );
    let json = load(&db, &[quirk.to_str().unwrap()]);
    let t = totals(&json);
    assert_eq!(
        (t["rows_in_file"].as_u64(), t["inserted"].as_u64()),
        (Some(3), Some(2)),
        "{t}"
    );
    assert!(t["warnings"].as_u64().unwrap() >= 1, "{t}");
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE day = '2019-08-13'")
            .await,
        2
    );
}
