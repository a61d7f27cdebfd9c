//! The citus tier (issue 46) against a Citus cluster (`../shared/tools/citus-dev`, then
//! `STOCKDB_TEST_DATABASE_URL` at its coordinator): how migrate distributes the tables, what
//! `status` says, and that a one-symbol report runs on one shard and a market-wide one on
//! every worker. Elsewhere each test prints a skip line. The rest of the suite, run against
//! the same cluster, checks that loads, merges, checks and reports give the same results as
//! on plain PostgreSQL.

mod common;

use common::{TestDb, fresh_db, root};
use std::collections::BTreeSet;

/// A fresh database on a Citus coordinator, or None with a skip line.
async fn citus_db(test: &str) -> Option<TestDb> {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    if db.has_citus().await {
        Some(db)
    } else {
        common::skip(
            test,
            "this server has no citus extension (not the citus tier)",
        );
        None
    }
}

#[tokio::test]
async fn migrate_distributes_the_market_tables_by_symbol_in_two_colocation_groups() {
    let Some(db) = citus_db("migrate_distributes_the_market_tables_by_symbol").await else {
        return;
    };
    let mut conn = db.conn().await;
    let tables: Vec<(String, String, String, i32)> = sqlx::query_as(
        "SELECT table_name::text, citus_table_type, distribution_column, colocation_id
         FROM citus_tables WHERE table_name::text LIKE 'market.%' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let of = |kind: &str| -> BTreeSet<String> {
        tables
            .iter()
            .filter(|t| t.1 == kind)
            .map(|t| t.0.trim_start_matches("market.").to_string())
            .collect()
    };
    assert_eq!(
        of("reference"),
        BTreeSet::from(["exchanges".to_string(), "symbols".to_string()])
    );
    let distributed = of("distributed");
    for table in [
        "daily_prices",
        "weekly_prices",
        "monthly_prices",
        "quarterly_prices",
        "yearly_prices",
        "moving_average_crosses",
        "symbol_stats",
        "intraday_bars",
        "intraday_daily_rollup",
        "trades",
        "quotes",
        "event_daily",
    ] {
        assert!(distributed.contains(table), "{table} in {tables:?}");
    }
    assert!(
        tables
            .iter()
            .filter(|t| t.1 == "distributed")
            .all(|t| t.2 == "symbol")
    );
    let group = |name: &str| tables.iter().find(|t| t.0 == name).unwrap().3;
    assert_eq!(
        group("market.daily_prices"),
        group("market.yearly_prices"),
        "prices co-located"
    );
    assert_eq!(group("market.daily_prices"), group("market.intraday_bars"));
    assert_eq!(group("market.trades"), group("market.event_daily"));
    // The bookkeeping stays in the coordinator's own tables.
    assert!(!tables.iter().any(|t| t.0 == "market.load_runs"));

    let status = db.run(&["status"]);
    status.expect_code(0);
    let out = status.stdout();
    assert!(
        out.contains("tier:     citus (citus "),
        "{}",
        status.describe()
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("worker:")).count(),
        2,
        "{}",
        status.describe()
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("table:    market.daily_prices")
                && l.contains("distributed by symbol")
                && l.contains("32 shards")),
        "{}",
        status.describe()
    );
    let json = db.run(&["status", "--format", "json"]);
    json.expect_code(0);
    let nodes = json.json()["citus"]["nodes"].as_array().unwrap().clone();
    assert_eq!(
        nodes.iter().filter(|n| n["coordinator"] == false).count(),
        2
    );
}

/// The EXPLAIN of a shipped report (its Citus form where it has one) with these parameters.
async fn explain(db: &TestDb, report: &str, symbol: Option<&str>) -> String {
    let variant = root().join(format!("queries/citus/{report}.sql"));
    let path = if variant.exists() {
        variant
    } else {
        root().join(format!("queries/{report}.sql"))
    };
    let sql = std::fs::read_to_string(path).unwrap();
    let sql = sql.trim().trim_end_matches(';');
    let params = sql.matches("$3").next().map_or(1, |_| 3);
    let mut conn = db.conn().await;
    // Every task with its node, not the first one only.
    sqlx::raw_sql("SET citus.explain_all_tasks TO on")
        .execute(&mut conn)
        .await
        .unwrap();
    let explain = format!("EXPLAIN (VERBOSE) {sql}");
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(explain)).bind(symbol);
    for _ in 1..params {
        query = query.bind(None::<chrono::NaiveDate>);
    }
    query.fetch_all(&mut conn).await.unwrap().join("\n")
}

#[tokio::test]
async fn a_one_symbol_report_runs_on_one_shard_and_a_market_wide_one_on_every_worker() {
    let Some(db) = citus_db("a_one_symbol_report_runs_on_one_shard").await else {
        return;
    };
    db.run(&["load", "fixtures/kaggle", "fixtures/yahoo", "-q"])
        .expect_code(0);
    for report in [
        "moving_averages",
        "weekly_average",
        "daily_returns",
        "volume_features",
    ] {
        let plan = explain(&db, report, Some("ACME")).await;
        assert!(plan.contains("Task Count: 1"), "{report}:\n{plan}");
    }
    let mut conn = db.conn().await;
    let workers: Vec<i32> = sqlx::query_scalar(
        "SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 AND isactive ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for report in ["weekly_average", "latest", "yearly_average"] {
        let plan = explain(&db, report, None).await;
        assert!(plan.contains("Task Count: 32"), "{report}:\n{plan}");
        for port in &workers {
            assert!(
                plan.contains(&format!("port={port}")),
                "{report}: no task on the worker at {port}:\n{plan}"
            );
        }
    }
}
