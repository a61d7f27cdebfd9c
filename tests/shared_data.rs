//! `stockdb load` on the real public data in `../shared/data` (skipped with a visible line
//! when that folder is absent, as in a user's clone).

mod common;

use common::{fresh_db, shared_data, totals};
use std::collections::HashMap;

#[tokio::test]
async fn fixtures_then_kaggle_by_default_refuses_the_19_files_with_empty_rows() {
    let Some(data) = shared_data("fixtures_then_kaggle_by_default") else {
        return;
    };
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo", "fixtures/kaggle", "-q"])
        .expect_code(0);
    let kaggle = data.join("kaggle");
    let run = db.run(&["load", kaggle.to_str().unwrap(), "--format", "json"]);
    run.expect_code(1);
    let json = run.json();
    let t = totals(&json);
    assert_eq!(t["files"], 187);
    assert_eq!(t["loaded"], 168);
    assert_eq!(t["refused"], 19);
    let refused: Vec<&serde_json::Value> = common::files(&json)
        .iter()
        .filter(|f| f["outcome"] == "refused")
        .collect();
    for f in &refused {
        let error = f["error"].as_str().unwrap();
        assert!(
            error.contains("row has a date but every value is empty")
                && error.contains("--max-bad-rows 1"),
            "{error}"
        );
    }
    // Exactly the loaded files' rows are in the table, besides the fixtures' 1,170.
    let accepted = t["accepted"].as_i64().unwrap();
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        accepted + 1170
    );
    for f in &refused {
        let symbol = f["symbol"].as_str().unwrap();
        let sql = format!("SELECT count(*) FROM market.daily_prices WHERE symbol = '{symbol}'");
        assert_eq!(
            db.count(&sql).await,
            0,
            "{symbol} was refused, so nothing of it is loaded"
        );
    }
}

/// Loads the Kaggle tree accepting one bad row per file, as the numbers assume; the
/// rejects go to a temp dir kept alive by the caller.
fn load_kaggle_with_one_bad_row_each(
    db: &common::TestDb,
    data: &std::path::Path,
) -> (common::Run, tempfile::TempDir) {
    let rejects = tempfile::tempdir().unwrap();
    let kaggle = data.join("kaggle");
    let run = db.run(&[
        "load",
        kaggle.to_str().unwrap(),
        "--max-bad-rows",
        "1",
        "--rejects",
        rejects.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    (run, rejects)
}

#[tokio::test]
async fn kaggle_with_max_bad_rows_1_loads_all_187_files_760373_rows() {
    let Some(data) = shared_data("kaggle_with_max_bad_rows_1") else {
        return;
    };
    let db = fresh_db().await;
    let (run, rejects) = load_kaggle_with_one_bad_row_each(&db, &data);
    run.expect_code(0);
    let json = run.json();
    let t = totals(&json);
    assert_eq!(t["files"], 187);
    assert_eq!(t["loaded"], 187);
    assert_eq!(t["rows_in_file"], 760_392);
    assert_eq!(t["accepted"], 760_373);
    assert_eq!(t["rejected"], 19);
    assert!(
        common::files(&json)
            .iter()
            .all(|f| f["check_passed"] == true)
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        760_373
    );
    assert_eq!(
        db.count("SELECT count(*) FROM (SELECT symbol, day FROM market.daily_prices GROUP BY 1, 2 HAVING count(*) > 1) d").await,
        0
    );
    assert_eq!(std::fs::read_dir(rejects.path()).unwrap().count(), 19);
    // AAPL's volumes above 2^31 are there.
    assert!(
        db.count("SELECT max(volume) FROM market.daily_prices WHERE symbol = 'AAPL'")
            .await
            > 1 << 31
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.symbols WHERE name IS NOT NULL")
            .await,
        187
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM market.load_runs WHERE status = 'succeeded' AND rows_rejected = 1"
        )
        .await,
        19
    );
}

/// Date → (adj close text, volume text), read from the CSV by hand.
fn by_date(path: &std::path::Path) -> HashMap<String, (String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), (f[5].to_string(), f[6].to_string()))
        })
        .collect()
}

#[tokio::test]
async fn msft_then_its_corrected_download_updates_772_days() {
    let Some(data) = shared_data("msft_then_its_corrected_download") else {
        return;
    };
    let db = fresh_db().await;
    let first = data.join("msft/MSFT.csv");
    let second = data.join("msft/MSFT_2023-06-20.csv");
    db.run(&["load", first.to_str().unwrap(), "-q"])
        .expect_code(0);
    let run = db.run(&["load", second.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    let f = &common::files(&json)[0];
    assert_eq!(f["symbol"], "MSFT");
    assert_eq!(f["inserted"], 2);
    assert_eq!(f["updated"], 772);
    assert_eq!(f["unchanged"], 486);
    assert_eq!(f["in_table"], 1260);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        1260
    );

    // Independently: 771 adj-close corrections and one volume change between the files.
    let (a, b) = (by_date(&first), by_date(&second));
    let adj = a.iter().filter(|(d, v)| b[*d].0 != v.0).count();
    let vol = a.iter().filter(|(d, v)| b[*d].1 != v.1).count();
    assert_eq!((adj, vol), (771, 1));
    // The table holds the second file's values.
    let mut conn = db.conn().await;
    let rows: Vec<(String, f64, i64)> = sqlx::query_as(
        "SELECT day::text, adj_close, volume FROM market.daily_prices WHERE symbol = 'MSFT'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (day, adj_close, volume) in rows {
        let (adj_text, vol_text) = &b[&day];
        assert_eq!(adj_close, adj_text.parse::<f64>().unwrap(), "{day}");
        assert_eq!(volume, vol_text.parse::<i64>().unwrap(), "{day}");
    }
}

#[tokio::test]
async fn moving_averages_from_running_sums_match_the_direct_averages_on_aapl() {
    let Some(data) = shared_data("moving_averages_from_running_sums_on_aapl") else {
        return;
    };
    let db = fresh_db().await;
    let aapl = data.join("kaggle/stocks/AAPL.csv");
    db.run(&["load", aapl.to_str().unwrap(), "-q"])
        .expect_code(0);
    let mut conn = db.conn().await;
    // 10,000+ days of real prices: the view's differenced running sums against avg() over a
    // frame of n rows, the textbook definition.
    for n in [20, 30, 200] {
        let sql = format!(
            "SELECT count(*), max(abs(m.sma_{n} - d.direct) / d.direct)
             FROM market.moving_averages m
             JOIN (SELECT day, avg(close) OVER (ORDER BY day ROWS {} PRECEDING) AS direct,
                          row_number() OVER (ORDER BY day) AS k
                   FROM market.daily_prices WHERE symbol = 'AAPL') d USING (day)
             WHERE m.symbol = 'AAPL' AND d.k >= {n}",
            n - 1
        );
        let (days, max_rel_err): (i64, f64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(days > 9000, "{days}");
        assert!(
            max_rel_err < 1e-12,
            "sma_{n}: max relative error {max_rel_err}"
        );
    }
    assert_eq!(
        db.count(
            "SELECT count(*) FROM market.moving_averages WHERE symbol = 'AAPL' AND sma_200 IS NULL"
        )
        .await,
        199
    );
}

#[tokio::test]
async fn every_report_runs_on_the_kaggle_tree_and_quarters_match_a_reference() {
    let Some(data) = shared_data("every_report_runs_on_the_kaggle_tree") else {
        return;
    };
    let db = fresh_db().await;
    let (run, _rejects) = load_kaggle_with_one_bad_row_each(&db, &data);
    run.expect_code(0);
    let kaggle = data.join("kaggle");
    for args in [
        vec!["weekly_average", "--symbol", "AAPL"],
        vec!["monthly_average"],
        vec!["quarterly_average", "--symbol", "AAPL"],
        vec!["yearly_average"],
        vec![
            "moving_averages",
            "--symbol",
            "AAPL",
            "--from",
            "2020-01-01",
        ],
        vec!["golden_cross", "--symbol", "AAPL"],
        vec!["daily_returns", "--symbol", "AAPL"],
        vec!["returns_distribution"],
        vec!["volume_features", "--symbol", "AAPL"],
        vec!["load_history"],
        vec!["data_quality"],
    ] {
        let mut full = vec!["report"];
        full.extend(&args);
        full.extend(["--format", "json"]);
        let run = db.run(&full);
        run.expect_code(0);
        assert!(
            !run.json().as_array().unwrap().is_empty(),
            "{args:?} returned no rows"
        );
    }

    // AAPL's quarterly averages, computed here from the CSV.
    let text = std::fs::read_to_string(kaggle.join("stocks/AAPL.csv")).unwrap();
    let mut quarters: std::collections::BTreeMap<String, (f64, f64, f64, u32)> = Default::default();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (year, month) = (&f[0][0..4], f[0][5..7].parse::<u32>().unwrap());
        let key = format!("{year}-{:02}-01", (month - 1) / 3 * 3 + 1);
        let q = quarters.entry(key).or_default();
        q.0 += f[2].parse::<f64>().unwrap();
        q.1 += f[3].parse::<f64>().unwrap();
        q.2 += f[6].parse::<f64>().unwrap();
        q.3 += 1;
    }
    let run = db.run(&[
        "report",
        "quarterly_average",
        "--symbol",
        "AAPL",
        "--format",
        "json",
    ]);
    let rows = run.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), quarters.len());
    for (row, (quarter, (high, low, volume, n))) in rows.iter().zip(&quarters) {
        assert_eq!(row["quarter"], quarter.as_str());
        assert_eq!(row["trading_days"], *n);
        let near = |got: &serde_json::Value, want: f64| {
            let got = got.as_f64().unwrap();
            (got - want).abs() <= 1e-9 * want.abs().max(1.0)
        };
        let n = f64::from(*n);
        assert!(near(&row["avg_high"], high / n), "{quarter}");
        assert!(near(&row["avg_low"], low / n), "{quarter}");
        assert!(near(&row["avg_volume"], volume / n), "{quarter}");
    }
}
