//! Issue 23 against a real server: files from several sites merged into one database. European
//! spreadsheet files read to the values of the same file saved the US way; every row names the
//! load that last wrote it; `--on-conflict` decides what a second source does to stored days;
//! dividends and splits load beside the prices and give an adjusted close.

mod common;

use common::{TestDb, fresh_db, root};
use serde_json::Value as J;
use sqlx::Row;
use std::path::Path;

/// The one file report of a `--format json` load of one file.
fn only_file(json: &J) -> &J {
    let files = common::files(json);
    assert_eq!(files.len(), 1, "{json}");
    &files[0]
}

/// (inserted, updated, unchanged, kept, overwritten) of a file report.
fn counts(file: &J) -> [u64; 5] {
    ["inserted", "updated", "unchanged", "kept", "overwritten"]
        .map(|k| file[k].as_u64().unwrap_or_else(|| panic!("{k} in {file}")))
}

/// Every stored value of a symbol, as text (exact for doubles), ordered by day.
async fn stored(db: &TestDb, symbol: &str) -> Vec<String> {
    let mut conn = db.conn().await;
    sqlx::query(
        "SELECT format('%s %s %s %s %s %s %s', day, open::text, high::text, low::text,
                       close::text, coalesce(adj_close::text, '-'), volume)
         FROM market.daily_prices WHERE symbol = $1 ORDER BY day",
    )
    .bind(symbol)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.get::<String, _>(0))
    .collect()
}

/// The `market.load_runs` ids of the rows of a symbol, with how many rows name each.
async fn writers(db: &TestDb, symbol: &str) -> Vec<(Option<String>, i64)> {
    let mut conn = db.conn().await;
    sqlx::query(
        "SELECT r.path, count(*) FROM market.daily_prices d
         LEFT JOIN market.load_runs r ON r.id = d.load_run_id
         WHERE d.symbol = $1 GROUP BY r.path ORDER BY r.path",
    )
    .bind(symbol)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn european_spreadsheet_files_read_to_the_values_of_the_us_file() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv", "-q"])
        .expect_code(0);
    let us = stored(&db, "ACME").await;
    assert_eq!(us.len(), 400);
    // German Excel (BOM, CRLF, `;`, `121,052639`, `12.600.905`, `01.06.2022`) and French
    // names with `01/06/2022` (day first: the file's 13/06/2022 says so).
    for (path, format) in [
        (
            "fixtures/sources/european_de/ACME.csv",
            "European spreadsheet (; separated, decimal comma)",
        ),
        (
            "fixtures/sources/european_fr/ACME.csv",
            "European spreadsheet (; separated, decimal comma)",
        ),
    ] {
        let dry = db.run(&["load", path, "--dry-run", "--format", "json"]);
        dry.expect_code(0);
        let file = only_file(&dry.json()).clone();
        assert_eq!(file["format"], format, "{}", dry.describe());
        assert_eq!(
            file["dates"],
            "DD.MM.YYYY or DD/MM/YYYY (day first)",
            "{}",
            dry.describe()
        );
        let run = db.run(&["load", path, "--format", "json"]);
        run.expect_code(0);
        let json = run.json();
        assert_eq!(
            counts(only_file(&json)),
            [0, 0, 400, 0, 0],
            "every day equals the US file's\n{}",
            run.describe()
        );
        assert_eq!(stored(&db, "ACME").await, us);
    }
}

#[tokio::test]
async fn a_european_file_alone_loads_the_same_values() {
    let us = fresh_db().await;
    us.run(&["load", "fixtures/yahoo/ACME.csv", "-q"])
        .expect_code(0);
    let eu = fresh_db().await;
    eu.run(&["load", "fixtures/sources/european_de/ACME.csv", "-q"])
        .expect_code(0);
    assert_eq!(stored(&eu, "ACME").await, stored(&us, "ACME").await);
    // The formats fixture: German names, thousands dots, a BOM and CRLF.
    eu.run(&["load", "fixtures/formats/EURO.csv", "-q"])
        .expect_code(0);
    assert_eq!(
        stored(&eu, "EURO").await,
        [
            "2023-03-13 1234.5 1250 1220.25 1245.75 - 1397057",
            "2023-03-14 1245.75 1260.1 1240 1255 - 998877",
            "2023-03-15 1255 1255 1230.5 1233.33 - 1002003",
        ]
    );
}

#[tokio::test]
async fn every_row_names_the_load_that_last_wrote_it() {
    let db = fresh_db().await;
    let yahoo = "fixtures/yahoo/ACME.csv";
    let nasdaq = "fixtures/sources/nasdaq/ACME.csv";
    db.run(&["load", yahoo, "-q"]).expect_code(0);
    assert_eq!(writers(&db, "ACME").await, [(Some(yahoo.to_string()), 400)]);

    // The Nasdaq.com download of the last 30 days: rounded prices, some volumes off by 300,
    // no Adj Close. Every day differs, and the Yahoo file had written each one.
    let run = db.run(&["load", nasdaq, "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(
        counts(only_file(&json)),
        [0, 30, 0, 0, 30],
        "{}",
        run.describe()
    );
    assert_eq!(json["totals"]["overwritten"], 30);
    assert_eq!(
        writers(&db, "ACME").await,
        [
            (Some(nasdaq.to_string()), 30),
            (Some(yahoo.to_string()), 370)
        ]
    );
    // Adj Close was unknown to the Nasdaq.com file: the Yahoo values stay.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM market.daily_prices WHERE symbol = 'ACME' AND adj_close IS NULL"
        )
        .await,
        0
    );
    // The table summary says it in a line of its own.
    let again = db.run(&["load", yahoo]);
    again.expect_code(0);
    assert!(
        again.stdout().contains(&format!(
            "note: {yahoo} changed 30 day(s) that another file had written"
        )),
        "{}",
        again.describe()
    );
    // A re-load that changes nothing leaves the provenance.
    let run = db.run(&["load", yahoo, "--format", "json"]);
    run.expect_code(0);
    assert_eq!(counts(only_file(&run.json())), [0, 0, 400, 0, 0]);
    assert_eq!(writers(&db, "ACME").await, [(Some(yahoo.to_string()), 400)]);
    let (id, last): (i64, i64) = {
        let mut conn = db.conn().await;
        sqlx::query_as(
            "SELECT max(load_run_id), (SELECT max(id) FROM market.load_runs WHERE status = 'succeeded' AND rows_updated > 0)
             FROM market.daily_prices WHERE symbol = 'ACME'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap()
    };
    assert_eq!(
        id, last,
        "the rows name the load that changed them, not the last one"
    );
    assert_eq!(
        db.count("SELECT rows_overwritten FROM market.load_runs WHERE id = (SELECT max(id) FROM market.load_runs WHERE rows_updated > 0)")
            .await,
        30
    );
}

#[tokio::test]
async fn on_conflict_keep_adds_new_days_and_leaves_stored_ones() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv", "-q"])
        .expect_code(0);
    let before = stored(&db, "ACME").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ACME.csv");
    // Two stored days with other values, the last stored day as it is, one new day.
    let same = before.last().unwrap().replace(' ', ",");
    assert!(same.starts_with("2023-12-12,"), "{same}");
    std::fs::write(
        &path,
        format!(
            "Date,Open,High,Low,Close,Adj Close,Volume\n\
             2023-12-08,1,2,0.5,1.5,1.4,100\n\
             2023-12-11,1,2,0.5,1.5,1.4,100\n\
             {same}\n\
             2023-12-13,119.5,121,119,120.5,120.5,30000000\n"
        ),
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let run = db.run(&["load", file, "--on-conflict", "keep", "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(
        counts(only_file(&json)),
        [1, 0, 1, 2, 0],
        "{}",
        run.describe()
    );
    assert_eq!(only_file(&json)["check_passed"], true);
    let after = stored(&db, "ACME").await;
    assert!(after[..400] == before[..], "stored days kept as they were");
    assert_eq!(after.len(), 401);
    assert_eq!(
        db.count("SELECT rows_kept FROM market.load_runs ORDER BY id DESC LIMIT 1")
            .await,
        2
    );
    // The table summary counts them.
    let run = db.run(&["load", file, "--on-conflict", "keep"]);
    run.expect_code(0);
    assert!(
        run.stdout()
            .contains("2 kept as stored (--on-conflict keep)"),
        "{}",
        run.describe()
    );
}

#[tokio::test]
async fn on_conflict_error_refuses_the_file_naming_the_first_differing_day() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv", "-q"])
        .expect_code(0);
    let before = stored(&db, "ACME").await;
    let run = db.run(&[
        "load",
        "fixtures/sources/nasdaq/ACME.csv",
        "--on-conflict",
        "error",
    ]);
    run.expect_code(1);
    let first = before
        .iter()
        .rev()
        .nth(29)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let expected = format!(
        "error: fixtures/sources/nasdaq/ACME.csv: {first} is already stored with other values ("
    );
    assert!(
        run.stderr().lines().any(|l| l.starts_with(&expected)
            && l.contains("Close stored ")
            && l.ends_with("30 stored day(s) differ from the file and --on-conflict error refuses it (file refused, nothing loaded)")),
        "expected a line starting\n{expected}\n{}",
        run.describe()
    );
    assert_eq!(stored(&db, "ACME").await, before, "nothing loaded");
    // A file that only adds days, or repeats them exactly, passes.
    let run = db.run(&["load", "fixtures/yahoo/ACME.csv", "--on-conflict", "error"]);
    run.expect_code(0);
}

#[tokio::test]
async fn intraday_bars_carry_provenance_and_honour_on_conflict() {
    let db = fresh_db().await;
    let original = "fixtures/intraday/SPY_15min.csv";
    db.run(&["load", original, "-q"]).expect_code(0);
    let bars = db
        .count("SELECT count(*) FROM market.intraday_bars WHERE symbol = 'SPY'")
        .await;
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars b JOIN market.load_runs r ON r.id = b.load_run_id WHERE r.path = 'fixtures/intraday/SPY_15min.csv'")
            .await,
        bars
    );
    // Another file with the first bar's close changed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("SPY_15min.csv");
    let text = std::fs::read_to_string(root().join(original)).unwrap();
    let changed = text.replacen(
        "2024-11-01 09:30:00,570.00,570.05,569.90,570.01,160890",
        "2024-11-01 09:30:00,570.00,570.05,569.90,570.02,160890",
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(&path, changed).unwrap();
    let file = path.to_str().unwrap();

    let run = db.run(&["load", file, "--on-conflict", "error"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("the bar at 2024-11-01 13:30:00 UTC is already stored with other values (close stored 570.01, file 570.02)"),
        "{}",
        run.describe()
    );
    let run = db.run(&["load", file, "--on-conflict", "keep", "--format", "json"]);
    run.expect_code(0);
    assert_eq!(counts(only_file(&run.json()))[3], 1, "{}", run.describe());
    let close = "SELECT (close * 100)::bigint FROM market.intraday_bars WHERE symbol = 'SPY' AND ts = '2024-11-01 13:30:00+00'";
    assert_eq!(db.count(close).await, 57001);
    let run = db.run(&["load", file, "--format", "json"]);
    run.expect_code(0);
    assert_eq!(
        counts(only_file(&run.json())),
        [0, 1, bars as u64 - 1, 0, 1]
    );
    assert_eq!(db.count(close).await, 57002);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM market.intraday_bars b JOIN market.load_runs r ON r.id = b.load_run_id WHERE r.path = '{file}'"
        ))
        .await,
        1
    );
}

/// A symbol's rows of `market.corporate_actions`: (day, dividend, split ratio), by day.
async fn actions_of(db: &TestDb, symbol: &str) -> Vec<(String, Option<f64>, Option<f64>)> {
    let mut conn = db.conn().await;
    sqlx::query_as(
        "SELECT day::text, dividend, split_ratio FROM market.corporate_actions
         WHERE symbol = $1 ORDER BY day",
    )
    .bind(symbol)
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

/// The adjusted closes `market.adjusted_prices` gives a symbol, by day.
async fn adjusted(db: &TestDb, symbol: &str) -> Vec<(String, f64, String, f64)> {
    let mut conn = db.conn().await;
    sqlx::query(
        "SELECT day::text, adj_close, adj_close_source, split_factor
         FROM market.adjusted_prices WHERE symbol = $1 ORDER BY day",
    )
    .bind(symbol)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

#[tokio::test]
async fn dividends_and_splits_load_with_the_prices_and_adjust_the_close() {
    let db = fresh_db().await;
    let path = "fixtures/formats/YFHIST.csv";
    let dry = db.run(&["load", path, "--dry-run", "--format", "json"]);
    dry.expect_code(0);
    let file = only_file(&dry.json()).clone();
    assert_eq!(
        file["format"],
        "yfinance Ticker.history() (dividends and splits)"
    );
    assert!(
        file["columns"]
            .as_str()
            .unwrap()
            .ends_with("Dividend=Dividends, Split=Stock Splits"),
        "{file}"
    );
    let run = db.run(&["load", path, "--format", "json"]);
    run.expect_code(0);
    assert_eq!(only_file(&run.json())["actions"], 2, "{}", run.describe());
    let actions = actions_of(&db, "YFHIST").await;
    assert_eq!(
        actions,
        [
            ("2020-08-07".to_string(), Some(0.82), None),
            ("2020-08-31".to_string(), None, Some(4.0)),
        ]
    );
    // Yahoo's method, computed here: closes before the ex-date times 1 - 0.82 / 455.61 (the
    // close of the day before); splits are in the closes already and show in split_factor.
    let factor = 1.0 - 0.82 / 455.61;
    let want = [
        ("2020-08-05", 440.25 * factor, 4.0),
        ("2020-08-06", 455.61 * factor, 4.0),
        ("2020-08-07", 444.45, 4.0),
        ("2020-08-10", 450.91, 4.0),
        ("2020-08-27", 500.04, 4.0),
        ("2020-08-28", 499.23, 4.0),
        ("2020-08-31", 129.04, 1.0),
        ("2020-09-01", 134.18, 1.0),
    ];
    let got = adjusted(&db, "YFHIST").await;
    assert_eq!(got.len(), want.len());
    for ((day, adj, source, split), (want_day, want_adj, want_split)) in got.iter().zip(want) {
        assert_eq!(day, want_day);
        assert!(
            (adj - want_adj).abs() < 1e-9,
            "{day}: {adj} against {want_adj}"
        );
        assert_eq!(source, "computed");
        assert!(
            (split - want_split).abs() < 1e-12,
            "{day}: split factor {split}"
        );
    }
    // The report lists them with the close before each ex-date.
    let report = db.run(&[
        "report",
        "corporate_actions",
        "--symbol",
        "YFHIST",
        "--format",
        "json",
    ]);
    report.expect_code(0);
    let rows: J = report.json();
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{}", report.describe());
    assert_eq!(rows[0]["prior_close"], 455.61);
    // A re-load changes nothing.
    let again = db.run(&["load", path, "--format", "json"]);
    again.expect_code(0);
    assert_eq!(counts(only_file(&again.json())), [0, 0, 8, 0, 0]);

    // A file without the Stock Splits column, with a dividend on another day: the split stays.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("YFHIST.csv");
    std::fs::write(
        &other,
        "Date,Open,High,Low,Close,Volume,Dividends\n\
         2020-08-31,127.58,131.00,126.00,129.04,225702700,0\n\
         2020-09-01,132.76,134.80,130.53,134.18,151948100,0.2\n",
    )
    .unwrap();
    db.run(&["load", other.to_str().unwrap(), "-q"])
        .expect_code(0);
    let actions = actions_of(&db, "YFHIST").await;
    assert_eq!(
        actions,
        [
            ("2020-08-07".to_string(), Some(0.82), None),
            ("2020-08-31".to_string(), None, Some(4.0)),
            ("2020-09-01".to_string(), Some(0.2), None),
        ]
    );
}

/// Yahoo's Adj Close against the one computed from the dividends, on a real Yahoo file: MSFT
/// 2018-06-18..2023-06-15 and its 20 quarterly dividends in that time (public record; each
/// also shows in the file as the step of Adj Close / Close on its ex-date).
#[tokio::test]
async fn yahoo_adj_close_and_the_computed_one_agree_on_real_msft() {
    let Some(data) = common::shared_data("yahoo_adj_close_and_the_computed_one_agree_on_real_msft")
    else {
        return;
    };
    let db = fresh_db().await;
    let msft = data.join("msft/MSFT.csv");
    db.run(&["load", msft.to_str().unwrap(), "-q"])
        .expect_code(0);
    let dividends = [
        ("2018-08-15", 0.42),
        ("2018-11-14", 0.46),
        ("2019-02-20", 0.46),
        ("2019-05-15", 0.46),
        ("2019-08-14", 0.46),
        ("2019-11-20", 0.51),
        ("2020-02-19", 0.51),
        ("2020-05-20", 0.51),
        ("2020-08-19", 0.51),
        ("2020-11-18", 0.56),
        ("2021-02-17", 0.56),
        ("2021-05-19", 0.56),
        ("2021-08-18", 0.56),
        ("2021-11-17", 0.62),
        ("2022-02-16", 0.62),
        ("2022-05-18", 0.62),
        ("2022-08-17", 0.62),
        ("2022-11-16", 0.68),
        ("2023-02-15", 0.68),
        ("2023-05-17", 0.68),
    ];
    let mut conn = db.conn().await;
    for (day, dividend) in dividends {
        // As another writer would: the table is plain SQL.
        sqlx::query("INSERT INTO market.corporate_actions (symbol, day, dividend) VALUES ('MSFT', $1::date, $2)")
            .bind(day)
            .bind(dividend)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let (rows, max_abs, max_rel): (i64, f64, f64) = sqlx::query_as(
        "SELECT count(*), max(abs(computed_adj_close - file_adj_close)),
                max(abs(computed_adj_close / file_adj_close - 1))
         FROM market.adjusted_prices WHERE symbol = 'MSFT'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows, 1258);
    // Yahoo rounds to 6 decimals: the two agree to 0.0001 and a relative 1e-6.
    assert!(max_abs < 1e-4, "largest difference {max_abs}");
    assert!(max_rel < 1e-6, "largest relative difference {max_rel}");
    // Shown in every run (libtest captures print!), as the number the docs quote.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "MSFT computed vs Yahoo Adj Close: largest difference {max_abs:.2e}, relative {max_rel:.2e}"
    );
    // The view gives the file's value where there is one.
    assert_eq!(
        db.count("SELECT count(*) FROM market.adjusted_prices WHERE symbol = 'MSFT' AND adj_close_source = 'file' AND adj_close = file_adj_close")
            .await,
        1258
    );
}

/// Issue 23's "done when": a re-load of every fixture changes nothing.
#[tokio::test]
async fn a_reload_of_every_fixture_changes_nothing() {
    let db = fresh_db().await;
    let sets = [
        "fixtures/yahoo",
        "fixtures/kaggle",
        "fixtures/formats",
        "fixtures/edge",
        "fixtures/intraday",
        "fixtures/events",
        "fixtures/sources/european_de",
        "fixtures/sources/european_fr",
    ];
    for set in sets {
        assert!(Path::new(&root().join(set)).is_dir(), "{set}");
    }
    let mut args = vec!["load"];
    args.extend(sets);
    args.extend(["--format", "json"]);
    db.run(&args).expect_code(0);
    let run = db.run(&args);
    run.expect_code(0);
    let json = run.json();
    for file in common::files(&json) {
        let changed = file["inserted"].as_u64().unwrap() + file["updated"].as_u64().unwrap();
        assert_eq!(changed, 0, "{file}");
    }
    assert!(
        common::files(&json).len() >= 35,
        "{}",
        common::files(&json).len()
    );
}
