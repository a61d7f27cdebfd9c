//! `stockdb load` against a real PostgreSQL, one database per test, on the project's fixtures.

mod common;

use common::{ALLOW_TRIGGERS, execute_script, fresh_db, root, totals};
use sqlx::Row;
use std::collections::BTreeMap;

/// A price row as the test reads it from a CSV by hand (not with the loader's parser).
#[derive(Debug, PartialEq)]
struct Bar {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    adj_close: Option<f64>,
    volume: i64,
}

/// Reads a clean Date,Open,High,Low,Close,Adj Close,Volume file by splitting lines.
fn read_csv_by_hand(path: &std::path::Path) -> BTreeMap<String, Bar> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.trim_end_matches('\r').split(',').collect();
            let volume = f[6].parse::<f64>().unwrap() as i64;
            (
                f[0].to_string(),
                Bar {
                    open: f[1].parse().unwrap(),
                    high: f[2].parse().unwrap(),
                    low: f[3].parse().unwrap(),
                    close: f[4].parse().unwrap(),
                    adj_close: Some(f[5].parse().unwrap()),
                    volume,
                },
            )
        })
        .collect()
}

async fn table_rows(db: &common::TestDb, symbol: &str) -> BTreeMap<String, Bar> {
    let mut conn = db.conn().await;
    sqlx::query(
        "SELECT day::text, open, high, low, close, adj_close, volume
         FROM market.daily_prices WHERE symbol = $1 ORDER BY day",
    )
    .bind(symbol)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.get::<String, _>(0),
            Bar {
                open: r.get(1),
                high: r.get(2),
                low: r.get(3),
                close: r.get(4),
                adj_close: r.get(5),
                volume: r.get(6),
            },
        )
    })
    .collect()
}

#[tokio::test]
async fn fixtures_load_with_exact_values_and_metadata() {
    let db = fresh_db().await;
    let run = db.run(&[
        "load",
        "fixtures/yahoo",
        "fixtures/kaggle",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let json = run.json();
    let t = totals(&json);
    assert_eq!(t["files"], 4);
    assert_eq!(t["loaded"], 4);
    assert_eq!(t["accepted"], 1170);
    assert_eq!(t["inserted"], 1170);
    assert_eq!(t["warnings"], 1, "BETA has one zero-volume day");
    assert_eq!(json["symbols_listed"], 4);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        1170
    );

    // Every value in the table is the value in the file, bit for bit.
    for (symbol, file) in [
        ("ACME", "fixtures/yahoo/ACME.csv"),
        ("ALFA", "fixtures/kaggle/stocks/ALFA.csv"),
        ("BETA", "fixtures/kaggle/stocks/BETA.csv"),
        ("GAMX", "fixtures/kaggle/etfs/GAMX.csv"),
    ] {
        let expected = read_csv_by_hand(&root().join(file));
        assert_eq!(table_rows(&db, symbol).await, expected, "{symbol}");
    }
    // Volumes above 2^31 survive.
    assert!(
        db.count("SELECT max(volume) FROM market.daily_prices WHERE symbol = 'GAMX'")
            .await
            > 1 << 31
    );

    let mut conn = db.conn().await;
    let symbols: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT symbol, name, asset_class FROM market.symbols ORDER BY symbol")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let get = |s: &str| symbols.iter().find(|r| r.0 == s).cloned().unwrap();
    assert_eq!(get("GAMX").2.as_deref(), Some("etf"));
    assert_eq!(
        get("ALFA").1.as_deref(),
        Some("Alfa Industries Inc. - Common Stock")
    );
    assert_eq!(
        get("ACME").2,
        None,
        "a Yahoo file outside stocks/ or etfs/ has no class"
    );
    assert_eq!(
        get("DELT").2.as_deref(),
        Some("stock"),
        "listed symbols are kept even without prices"
    );
    let category: Option<String> =
        sqlx::query_scalar("SELECT market_category FROM market.symbols WHERE symbol = 'BETA'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(category, None, "a single-space field is NULL");

    let runs: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT symbol, status, rows_in_table FROM market.load_runs ORDER BY symbol",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r.1 == "succeeded"), "{runs:?}");
    let sha: String =
        sqlx::query_scalar("SELECT sha256 FROM market.load_runs WHERE symbol = 'ACME'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(sha.len(), 64);
}

#[tokio::test]
async fn the_same_load_twice_inserts_nothing_the_second_time() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/kaggle", "-q"]).expect_code(0);
    let run = db.run(&["load", "fixtures/kaggle", "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    let t = totals(&json);
    assert_eq!(t["inserted"], 0);
    assert_eq!(t["updated"], 0);
    assert_eq!(t["unchanged"], 770);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        770
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.load_runs WHERE status = 'succeeded'")
            .await,
        6
    );
}

#[tokio::test]
async fn a_corrected_file_updates_only_the_changed_days() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("fixtures/yahoo/ACME.csv")).unwrap();
    let mut lines: Vec<String> = original.lines().map(String::from).collect();
    let first = dir.path().join("ACME.csv");
    std::fs::write(&first, original.as_bytes()).unwrap();
    db.run(&["load", first.to_str().unwrap(), "-q"])
        .expect_code(0);

    // Change the close of line 11 (a data row) and the volume of line 21, add one day.
    let mut f: Vec<String> = lines[10].split(',').map(String::from).collect();
    f[4] = "999.5".into();
    lines[10] = f.join(",");
    let mut f: Vec<String> = lines[20].split(',').map(String::from).collect();
    f[6] = "123".into();
    lines[20] = f.join(",");
    lines.push("2024-01-02,1,2,0.5,1.5,1.4,100".into());
    let second = dir.path().join("ACME_2024-01-03.csv");
    std::fs::write(&second, lines.join("\n")).unwrap();
    let run = db.run(&["load", second.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    let file = &common::files(&json)[0];
    assert_eq!(
        file["symbol"], "ACME",
        "a dated file name is the same symbol"
    );
    assert_eq!(file["inserted"], 1);
    assert_eq!(file["updated"], 2);
    assert_eq!(file["unchanged"], 398);
    assert_eq!(file["in_table"], 401);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE close = 999.5")
            .await,
        1
    );
}

#[tokio::test]
async fn files_of_one_symbol_load_in_the_order_given_even_in_parallel() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("fixtures/yahoo/ACME.csv")).unwrap();
    // A later download of ACME where every close changed.
    let corrected: Vec<String> = original
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return l.to_string();
            }
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            f[4] = format!("{}", f[4].parse::<f64>().unwrap() + 0.5);
            f.join(",")
        })
        .collect();
    let later = dir.path().join("ACME_2024-01-05.csv");
    std::fs::write(&later, corrected.join("\n")).unwrap();
    let run = db.run(&[
        "load",
        "fixtures/yahoo/ACME.csv",
        later.to_str().unwrap(),
        "fixtures/kaggle",
        "--jobs",
        "4",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let json = run.json();
    let files = common::files(&json);
    assert_eq!(files[0]["inserted"], 400);
    assert_eq!(files[1]["updated"], 400, "the later file is applied second");
    let expected_sum: f64 = corrected[1..]
        .iter()
        .map(|l| l.split(',').nth(4).unwrap().parse::<f64>().unwrap())
        .sum();
    let mut conn = db.conn().await;
    let sum: f64 =
        sqlx::query_scalar("SELECT sum(close) FROM market.daily_prices WHERE symbol = 'ACME'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!((sum - expected_sum).abs() < 1e-6, "{sum} vs {expected_sum}");
}

/// Parses `fixtures/bad/README.md`: (file, message) per row.
fn bad_input_table() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("fixtures/bad/README.md")).unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("| ")
                && [".csv", ".txt", ".jsonl"].iter().any(|e| l.contains(e))
                && l.matches(" | ").count() == 2
        })
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let file = cells[0].trim_start_matches("| ").to_string();
            let message = cells[2]
                .trim_end_matches(" |")
                .trim_matches('`')
                .to_string();
            (file, message)
        })
        .collect()
}

#[tokio::test]
async fn each_bad_input_is_refused_with_its_location_and_nothing_is_loaded() {
    let db = fresh_db().await;
    let table = bad_input_table();
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("fixtures/bad"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = table.iter().map(|(f, _)| f.clone()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every bad fixture has a row in fixtures/bad/README.md"
    );
    assert!(table.len() >= 30, "at least 30 kinds of bad input");

    for (file, message) in &table {
        let path = format!("fixtures/bad/{file}");
        let run = db.run(&["load", &path, "-q"]);
        run.expect_code(1);
        let expected = format!("error: {path}:{message}").replace("\\|", "|");
        assert!(
            run.stderr().lines().any(|l| l == expected),
            "expected the line\n{expected}\n{}",
            run.describe()
        );
    }
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.intraday_bars").await,
        0
    );
    assert_eq!(
        db.count(
            "SELECT (SELECT count(*) FROM market.trades) + (SELECT count(*) FROM market.quotes)"
        )
        .await,
        0
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM market.load_runs WHERE status = 'failed' AND error IS NOT NULL"
        )
        .await,
        table.len() as i64
    );
}

#[tokio::test]
async fn a_refused_file_does_not_stop_the_others() {
    let db = fresh_db().await;
    let run = db.run(&[
        "load",
        "fixtures/bad/duplicate_date.csv",
        "fixtures/yahoo/ACME.csv",
        "--format",
        "json",
    ]);
    run.expect_code(1);
    let json = run.json();
    assert_eq!(totals(&json)["loaded"], 1);
    assert_eq!(totals(&json)["refused"], 1);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        400
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'DUPLICATE_DATE'")
            .await,
        0
    );
}

#[tokio::test]
async fn max_bad_rows_skips_rows_and_writes_a_rejects_file() {
    let db = fresh_db().await;
    let rejects = tempfile::tempdir().unwrap();
    let run = db.run(&[
        "load",
        "fixtures/bad/empty_values_row.csv",
        "--max-bad-rows",
        "1",
        "--rejects",
        rejects.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let json = run.json();
    let file = &common::files(&json)[0];
    assert_eq!(file["rows_in_file"], 3);
    assert_eq!(file["accepted"], 2);
    assert_eq!(file["rejected"], 1);
    assert_eq!(file["check_passed"], true);
    let rejects_file = rejects.path().join("bad_empty_values_row.csv.rejects.csv");
    let text = std::fs::read_to_string(&rejects_file).unwrap();
    assert_eq!(
        text,
        "line,column,reason,original\n4,2,row has a date but every value is empty,\"2023-03-03,,,,,,\"\n"
    );
    assert_eq!(
        db.count("SELECT rows_rejected FROM market.load_runs").await,
        1
    );

    // One bad row more than allowed refuses the file.
    let run = db.run(&[
        "load",
        "fixtures/bad/duplicate_date.csv",
        "--max-bad-rows",
        "0",
        "-q",
    ]);
    run.expect_code(1);
}

#[tokio::test]
async fn suspicious_rows_load_with_warnings_and_strict_refuses_them() {
    let db = fresh_db().await;
    let run = db.run(&["load", "fixtures/edge/SUSPECT.csv", "--strict", "-q"]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("SUSPECT.csv:3:7: zero volume (suspicious; refused because of --strict)"),
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        0
    );

    let run = db.run(&["load", "fixtures/edge/SUSPECT.csv", "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(totals(&json)["warnings"], 5);
    assert_eq!(totals(&json)["accepted"], 7);
}

#[tokio::test]
async fn edge_formats_load_the_same_values() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/edge", "-q"]).expect_code(0);
    db.run(&[
        "load",
        "fixtures/dateformat/EUDATES.csv",
        "--date-format",
        "%d.%m.%Y",
        "-q",
    ])
    .expect_code(0);
    // The same 30 days, written with a BOM and CRLF, US dates, gzip, snake_case headers and
    // European dates, are the same rows in the table.
    let reference = table_rows(&db, "SNAKE").await;
    assert_eq!(reference.len(), 30);
    for symbol in ["BOMCRLF", "USDATES", "GZIP", "EUDATES"] {
        assert_eq!(table_rows(&db, symbol).await, reference, "{symbol}");
    }
    // No Adj Close column: NULL, other values equal.
    let no_adj = table_rows(&db, "NOADJ").await;
    assert_eq!(no_adj.len(), 30);
    assert!(no_adj.values().all(|b| b.adj_close.is_none()));
    assert!(no_adj.iter().all(|(d, b)| b.close == reference[d].close));
    // A header-only file loads 0 rows and says so.
    assert_eq!(
        db.count("SELECT rows_in_file FROM market.load_runs WHERE symbol = 'HEADERONLY'")
            .await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.load_runs WHERE status <> 'succeeded'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_failed_sanity_check_rolls_the_file_back_and_exits_3() {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    // A trigger that alters values on the way in: the rows are in the table, but not with
    // the file's values, which is exactly what the check exists to catch.
    let mut conn = db.conn().await;
    execute_script(
        &mut conn,
        &(ALLOW_TRIGGERS.to_string()
            + "CREATE FUNCTION public.tamper() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN NEW.close := NEW.close + 0.01; RETURN NEW; END $$;
         CREATE TRIGGER tamper BEFORE INSERT ON market.daily_prices
           FOR EACH ROW WHEN (NEW.symbol = 'ALFA') EXECUTE FUNCTION public.tamper();"),
    )
    .await
    .unwrap();
    let run = db.run(&["load", "fixtures/kaggle", "--format", "json"]);
    run.expect_code(3);
    assert!(
        run.stderr().contains("ALFA.csv: sanity check failed: only 0 of 300 accepted rows are in market.daily_prices with identical values; the file was rolled back"),
        "{}",
        run.describe()
    );
    let json = run.json();
    assert_eq!(totals(&json)["rolled_back"], 1);
    assert_eq!(totals(&json)["loaded"], 2, "the other files still load");
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'ALFA'")
            .await,
        0
    );
    let (status, error): (String, String) =
        sqlx::query_as("SELECT status, error FROM market.load_runs WHERE symbol = 'ALFA'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(status, "rolled_back");
    assert!(error.contains("sanity check failed"), "{error}");
}

/// The same check on the other path: a re-load merges through the staging table.
#[tokio::test]
async fn a_failed_sanity_check_of_a_reload_rolls_it_back() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv", "-q"])
        .expect_code(0);
    let before = db
        .count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'ACME'")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("fixtures/yahoo/ACME.csv")).unwrap();
    let corrected = format!("{}\n2024-01-02,1,2,0.5,1.5,1.4,100\n", original.trim_end());
    let path = dir.path().join("ACME.csv");
    std::fs::write(&path, corrected).unwrap();
    let mut conn = db.conn().await;
    execute_script(
        &mut conn,
        &(ALLOW_TRIGGERS.to_string()
            + "CREATE FUNCTION public.tamper() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN NEW.volume := NEW.volume + 1; RETURN NEW; END $$;
         CREATE TRIGGER tamper BEFORE INSERT ON market.daily_prices
           FOR EACH ROW EXECUTE FUNCTION public.tamper();"),
    )
    .await
    .unwrap();
    let run = db.run(&["load", path.to_str().unwrap()]);
    run.expect_code(3);
    assert!(
        // The 400 unchanged rows are verified by digest and not rewritten; the tampered new
        // day is the one that fails.
        run.stderr().contains("sanity check failed: only 400 of 401 accepted rows are in market.daily_prices with identical values"),
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'ACME'")
            .await,
        before,
        "the new day was rolled back"
    );
}

#[tokio::test]
async fn dry_run_validates_without_touching_any_table() {
    let db = fresh_db().await;
    let run = db.run(&[
        "load",
        "fixtures/yahoo",
        "fixtures/kaggle",
        "--dry-run",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(totals(&json)["accepted"], 1170);
    assert_eq!(json["dry_run"], true);
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'market'")
            .await,
        0,
        "a dry run creates nothing"
    );
    // It finds bad rows just the same.
    let run = db.run(&[
        "load",
        "fixtures/bad/fractional_volume.csv",
        "--dry-run",
        "-q",
    ]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("fractional_volume.csv:4:7:"),
        "{}",
        run.describe()
    );
}

#[tokio::test]
async fn parallel_jobs_give_the_same_result() {
    let db = fresh_db().await;
    let run = db.run(&[
        "load",
        "fixtures/yahoo",
        "fixtures/kaggle",
        "fixtures/edge",
        "--jobs",
        "4",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(totals(&json)["files"], 11);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        totals(&json)["accepted"].as_i64().unwrap()
    );
    // Files are reported in path order whatever order they finished in.
    let paths = |json: &serde_json::Value| -> Vec<String> {
        common::files(json)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    let sequential = db.run(&[
        "load",
        "fixtures/yahoo",
        "fixtures/kaggle",
        "fixtures/edge",
        "--jobs",
        "1",
        "--format",
        "json",
    ]);
    sequential.expect_code(0);
    assert_eq!(paths(&json), paths(&sequential.json()));
    assert_eq!(paths(&json)[0], "fixtures/yahoo/ACME.csv");
    assert_eq!(
        totals(&sequential.json())["unchanged"],
        totals(&json)["accepted"]
    );
}

#[tokio::test]
async fn symbol_flag_and_its_checks() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv", "--symbol", "msft", "-q"])
        .expect_code(0);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'MSFT'")
            .await,
        400
    );
    let run = db.run(&["load", "fixtures/yahoo/ACME.csv", "--symbol", " "]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("the symbol is empty"),
        "{}",
        run.describe()
    );
    let long = "X".repeat(33);
    let run = db.run(&["load", "fixtures/yahoo/ACME.csv", "--symbol", &long]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("longer than 32 characters"),
        "{}",
        run.describe()
    );
    let run = db.run(&["load", "fixtures/kaggle", "--symbol", "X"]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("--symbol names the symbol of one file"),
        "{}",
        run.describe()
    );
}

#[tokio::test]
async fn missing_paths_and_empty_directories_are_clear_errors() {
    let db = fresh_db().await;
    let run = db.run(&["load", "no/such/file.csv"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("no/such/file.csv: cannot read"),
        "{}",
        run.describe()
    );
    let empty = tempfile::tempdir().unwrap();
    let run = db.run(&["load", empty.path().to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("no price files"),
        "{}",
        run.describe()
    );
    let run = db.run(&["load"]);
    run.expect_code(2);
}

#[tokio::test]
async fn table_summary_shows_counts_and_checks() {
    let db = fresh_db().await;
    let run = db.run(&["load", "fixtures/kaggle"]);
    run.expect_code(0);
    let out = run.stdout();
    for needle in [
        "│ file",
        "result",
        // Relative to the folder given.
        "│ stocks/ALFA.csv",
        "✓",
        "rows/s",
        "3 files: 3 loaded",
    ] {
        assert!(
            out.contains(needle),
            "missing {needle:?}\n{}",
            run.describe()
        );
    }
    // Rows come back as a string of the table's row values.
    let row = out.lines().find(|l| l.contains("ALFA.csv")).unwrap();
    let cells: Vec<&str> = row.split('┆').map(str::trim).collect();
    assert_eq!(cells[1], "ALFA");
    assert_eq!(cells[3], "300");
    assert_eq!(cells[4], "300 new");
}

/// Issue 10: every format fixture loads with no flags, under the symbol it names, and every
/// value is the one written in the file (expected rows typed here from the files).
#[tokio::test]
async fn every_format_fixture_loads_with_no_flags_and_exact_values() {
    let db = fresh_db().await;
    let run = db.run(&["load", "fixtures/formats", "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    // A file naming a symbol on each row reports its symbols as `LNGA, LNGB`.
    let formats: BTreeMap<String, String> = common::files(&json)
        .iter()
        .flat_map(|f| {
            let format = f["format"].as_str().unwrap().to_string();
            f["symbol"]
                .as_str()
                .unwrap()
                .split(", ")
                .map(|s| (s.to_string(), format.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let bar = |o: f64, h: f64, l: f64, c: f64, a: Option<f64>, v: i64| Bar {
        open: o,
        high: h,
        low: l,
        close: c,
        adj_close: a,
        volume: v,
    };
    type Expected<'a> = Vec<(&'a str, &'a str, Vec<(&'a str, Bar)>)>;
    #[rustfmt::skip]
    let expected: Expected = vec![
        ("NDQA", "Nasdaq.com", vec![
            ("2025-07-03", bar(1070.0, 1080.25, 1065.5, 1075.0, None, 1000)),
            ("2025-07-07", bar(74.0, 75.8, 73.95, 75.4, None, 998877)),
            ("2025-07-08", bar(75.5, 76.9, 75.1, 76.18, None, 1234567)),
        ]),
        ("INVC", "Investing.com", vec![
            ("2018-12-28", bar(1219.0, 1229.5, 1215.0, 1225.0, None, 1_200_000_000)),
            ("2018-12-31", bar(1230.0, 1232.0, 1220.0, 1226.58, None, 0)),
            ("2019-01-02", bar(1200.0, 1225.0, 1195.0, 1220.2, None, 870_500)),
            ("2019-01-03", bar(1220.0, 1240.75, 1210.25, 1234.5, None, 20_580_000)),
        ]),
        ("STQA", "Stooq", vec![
            ("2024-01-02", bar(187.15, 188.44, 183.885, 185.64, None, 82488674)),
            ("2024-01-03", bar(184.22, 185.88, 183.43, 184.25, None, 58414460)),
            ("2024-01-04", bar(182.15, 183.0872, 180.88, 181.91, None, 71983570)),
        ]),
        ("YFIN", "yfinance", vec![
            ("2025-01-02", bar(425.5299987792969, 426.07000732421875, 414.8500061035156, 418.5799865722656, None, 16896500)),
            ("2025-01-03", bar(421.0799865722656, 423.6000061035156, 419.0799865722656, 423.3500061035156, None, 16662900)),
        ]),
        ("YFAD", "yfinance", vec![
            ("2024-12-30", bar(252.23, 253.5, 250.75, 252.2, Some(250.42), 35557500)),
            ("2024-12-31", bar(252.44, 253.28, 249.43, 250.42, Some(248.5), 39480700)),
        ]),
        ("HDLS", "headerless symbol-first rows", vec![
            ("2018-01-19", bar(12.65, 12.97, 12.0, 12.39, Some(10.97), 68187400)),
            ("2018-01-22", bar(12.4, 12.5, 12.1, 12.3, Some(10.9), 5000000)),
        ]),
        ("LNGA", "header with a symbol column", vec![
            ("2013-02-08", bar(15.07, 15.12, 14.63, 14.75, None, 8407500)),
            ("2013-02-11", bar(14.89, 15.01, 14.26, 14.46, None, 8882000)),
            ("2013-02-12", bar(14.45, 14.51, 14.1, 14.27, None, 8126000)),
        ]),
        ("LNGB", "header with a symbol column", vec![
            ("2013-02-08", bar(67.7142, 68.4014, 66.8928, 67.8542, None, 158168416)),
            ("2013-02-11", bar(68.0714, 69.2771, 67.6071, 68.5614, None, 129029425)),
        ]),
        ("YFA", "yfinance", vec![
            ("2025-01-02", bar(248.93, 249.1, 241.82, 243.85, None, 55740700)),
            ("2025-01-03", bar(243.36, 244.18, 241.89, 243.36, None, 40244100)),
        ]),
        ("YFB", "yfinance", vec![
            ("2025-01-02", bar(425.53, 426.07, 414.85, 418.58, None, 16896500)),
        ]),
        ("ALPH", "Alpha Vantage", vec![
            ("2024-01-03", bar(184.22, 185.88, 183.43, 184.25, None, 58414460)),
            ("2024-01-04", bar(182.15, 183.0872, 180.88, 181.91, None, 71983570)),
        ]),
        ("USUS", "Yahoo-style header", vec![
            ("2017-11-09", bar(43.52, 43.6, 43.08, 43.25, None, 1022510)),
            ("2017-11-10", bar(43.25, 43.4, 43.1, 43.3, None, 812000)),
        ]),
        // Issue 23: a date column named `datetime` or `time` holding whole days is daily.
        ("DTDY", "Yahoo-style header", vec![
            ("2019-02-15", bar(108.25, 108.99, 107.33, 108.22, None, 26606886)),
            ("2019-02-19", bar(107.79, 108.66, 107.78, 108.17, None, 18038460)),
            ("2019-02-20", bar(107.86, 107.94, 106.29, 107.15, None, 21607671)),
        ]),
        ("TMDY", "Yahoo-style header", vec![
            ("2019-02-15", bar(50.1, 50.9, 49.8, 50.6, None, 120000)),
            ("2019-02-19", bar(50.6, 51.2, 50.2, 51.0, None, 98000)),
        ]),
        // Issue 23: a German spreadsheet's file (BOM, CRLF, `;`, `1.234,50`, `13.03.2023`).
        ("EURO", "European spreadsheet (; separated, decimal comma)", vec![
            ("2023-03-13", bar(1234.5, 1250.0, 1220.25, 1245.75, None, 1_397_057)),
            ("2023-03-14", bar(1245.75, 1260.1, 1240.0, 1255.0, None, 998_877)),
            ("2023-03-15", bar(1255.0, 1255.0, 1230.5, 1233.33, None, 1_002_003)),
        ]),
        // A yfinance Ticker.history() export with its Dividends and Stock Splits columns.
        ("YFHIST", "yfinance Ticker.history() (dividends and splits)", vec![
            ("2020-08-05", bar(437.51, 441.57, 435.59, 440.25, None, 30498000)),
            ("2020-08-06", bar(441.62, 457.65, 439.19, 455.61, None, 50607200)),
            ("2020-08-07", bar(452.82, 454.70, 441.17, 444.45, None, 49511400)),
            ("2020-08-10", bar(450.40, 455.10, 440.00, 450.91, None, 53100900)),
            ("2020-08-27", bar(508.57, 509.94, 495.33, 500.04, None, 38888100)),
            ("2020-08-28", bar(504.05, 505.77, 498.31, 499.23, None, 46907500)),
            ("2020-08-31", bar(127.58, 131.00, 126.00, 129.04, None, 225702700)),
            ("2020-09-01", bar(132.76, 134.80, 130.53, 134.18, None, 151948100)),
        ]),
    ];
    assert_eq!(formats.len(), expected.len(), "{formats:?}");
    for (symbol, format, rows) in expected {
        assert_eq!(
            formats.get(symbol).map(String::as_str),
            Some(format),
            "{symbol}"
        );
        let want: BTreeMap<String, Bar> =
            rows.into_iter().map(|(d, b)| (d.to_string(), b)).collect();
        assert_eq!(table_rows(&db, symbol).await, want, "{symbol}");
    }
}

#[tokio::test]
async fn dry_run_names_format_columns_and_dates() {
    let db = fresh_db().await;
    let run = db.run(&["load", "--dry-run", "fixtures/formats/NDQA.csv"]);
    run.expect_code(0);
    let out = run.stdout();
    for part in [
        "Nasdaq.com",
        "Close=Close/Last",
        "YYYY-MM-DD or M/D/YYYY",
        "2025-07-03",
        "2025-07-08",
    ] {
        assert!(out.contains(part), "{part}\n{}", run.describe());
    }
}

#[tokio::test]
async fn symbol_flag_disagreeing_with_the_ticker_line_is_refused() {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    let run = db.run(&["load", "fixtures/formats/yfin.csv", "--symbol", "MSFT"]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("--symbol MSFT disagrees with the symbol the file names, YFIN"),
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        0
    );
}

/// Issue 10: a file holding several symbols is one transaction with a sanity check per
/// symbol: all its symbols load, a re-load changes nothing, a bad row refuses all of them,
/// and a correction of one symbol updates that symbol and its aggregates only.
#[tokio::test]
async fn a_file_of_several_symbols_is_one_transaction() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all_stocks.csv");
    let original =
        std::fs::read_to_string(root().join("fixtures/formats/all_stocks_1yr.csv")).unwrap();
    std::fs::write(&path, &original).unwrap();
    let p = path.to_str().unwrap();

    let first = db.run(&["load", p, "--format", "json"]);
    first.expect_code(0);
    let t = common::totals(&first.json()).clone();
    assert_eq!(
        (t["inserted"].as_u64(), t["updated"].as_u64()),
        (Some(5), Some(0))
    );
    assert_eq!(common::files(&first.json())[0]["symbol"], "LNGA, LNGB");
    assert_eq!(
        db.count("SELECT count(*) FROM market.load_runs WHERE symbol = 'LNGA, LNGB' AND status = 'succeeded'")
            .await,
        1
    );

    let again = db.run(&["load", p, "--format", "json"]);
    again.expect_code(0);
    assert_eq!(common::totals(&again.json())["unchanged"].as_u64(), Some(5));

    // A correction of LNGB plus a bad LNGA row: refused whole, nothing of either changes.
    let corrected = original.replace("68.5614", "70.25");
    std::fs::write(&path, format!("{corrected}2013-02-13,abc,1,1,1,1,LNGA\n")).unwrap();
    db.run(&["load", p, "-q"]).expect_code(1);
    assert_eq!(lngb_close(&db).await, 68.5614);

    std::fs::write(&path, &corrected).unwrap();
    let fixed = db.run(&["load", p, "--format", "json"]);
    fixed.expect_code(0);
    let t = common::totals(&fixed.json()).clone();
    assert_eq!(
        (t["updated"].as_u64(), t["unchanged"].as_u64()),
        (Some(1), Some(4))
    );
    assert_eq!(lngb_close(&db).await, 70.25);
    let mut conn = db.conn().await;
    let monthly: f64 = sqlx::query_scalar(
        "SELECT close FROM market.monthly_prices WHERE symbol = 'LNGB' AND bucket = '2013-02-01'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(monthly, 70.25, "the aggregates follow the corrected symbol");
}

/// LNGB's close on 2013-02-11.
async fn lngb_close(db: &common::TestDb) -> f64 {
    let mut conn = db.conn().await;
    sqlx::query_scalar(
        "SELECT close FROM market.daily_prices WHERE symbol = 'LNGB' AND day = '2013-02-11'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

/// Issue 23: a column the file does not have is unknown, not NULL. A Nasdaq.com file (no Adj
/// Close) over Yahoo days keeps their adj_close, changes only what it does say, and a re-load
/// of it changes nothing; a file that has the column and leaves it empty does set NULL.
#[tokio::test]
async fn a_file_without_adj_close_keeps_the_stored_adj_close() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let yahoo = dir.path().join("ADJK.csv");
    std::fs::write(
        &yahoo,
        "Date,Open,High,Low,Close,Adj Close,Volume\n\
         2024-01-02,10,11,9,10.5,10.25,1000\n\
         2024-01-03,10.5,11.5,10,11,10.75,1100\n\
         2024-01-04,11,12,10.5,11.5,11.25,1200\n",
    )
    .unwrap();
    db.run(&["load", yahoo.to_str().unwrap(), "-q"])
        .expect_code(0);

    // The Nasdaq.com download of the same days: newest first, `$` prices, US dates, no Adj
    // Close; the close of 2024-01-03 differs, and one day is new.
    let nasdaq_dir = dir.path().join("nasdaq");
    std::fs::create_dir(&nasdaq_dir).unwrap();
    let nasdaq = nasdaq_dir.join("ADJK.csv");
    std::fs::write(
        &nasdaq,
        "Date,Close/Last,Volume,Open,High,Low\n\
         01/05/2024,$11.75,1300,$11.50,$12.25,$11.00\n\
         01/04/2024,$11.50,1200,$11.00,$12.00,$10.50\n\
         01/03/2024,$11.10,1100,$10.50,$11.50,$10.00\n\
         01/02/2024,$10.50,1000,$10.00,$11.00,$9.00\n",
    )
    .unwrap();
    for (attempt, (inserted, updated, unchanged)) in [(1, 1, 2), (0, 0, 4)].into_iter().enumerate()
    {
        let run = db.run(&["load", nasdaq.to_str().unwrap(), "--format", "json"]);
        run.expect_code(0);
        let json = run.json();
        let file = &common::files(&json)[0];
        assert_eq!(
            (&file["inserted"], &file["updated"], &file["unchanged"]),
            (&inserted.into(), &updated.into(), &unchanged.into()),
            "load {} of the Nasdaq.com file\n{}",
            attempt + 1,
            run.describe()
        );
        assert_eq!(file["check_passed"], true, "{}", run.describe());
    }
    let rows = table_rows(&db, "ADJK").await;
    let adj: Vec<(&str, Option<f64>, f64)> = rows
        .iter()
        .map(|(d, b)| (d.as_str(), b.adj_close, b.close))
        .collect();
    assert_eq!(
        adj,
        [
            ("2024-01-02", Some(10.25), 10.5),
            ("2024-01-03", Some(10.75), 11.1),
            ("2024-01-04", Some(11.25), 11.5),
            ("2024-01-05", None, 11.75),
        ]
    );

    // A Yahoo file that has the column and leaves 2024-01-02 empty says it is not known.
    std::fs::write(
        &yahoo,
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,11,9,10.5,,1000\n",
    )
    .unwrap();
    let run = db.run(&["load", yahoo.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    assert_eq!(common::files(&run.json())[0]["updated"], 1);
    assert_eq!(table_rows(&db, "ADJK").await["2024-01-02"].adj_close, None);
}
