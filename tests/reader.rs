//! BI access as a reader would have it: a read-only login over TCP with a password, the
//! documented schema, the Grafana dashboard's queries, and the compose file.

mod common;

use common::{TestDb, fresh_db, root};
use sqlx::{Connection, PgConnection};

/// A role name unique to this test's database (roles are cluster-wide).
fn role(db: &TestDb, base: &str) -> String {
    format!("{base}_{}", db.name)
}

async fn loaded_with_reader(password: &str, extra: &[&str]) -> (TestDb, String) {
    let db = fresh_db().await;
    db.run(&[
        "load",
        "fixtures/yahoo",
        "fixtures/kaggle",
        "fixtures/intraday",
        "fixtures/events",
        "-q",
    ])
    .expect_code(0);
    let name = role(&db, "reader");
    let mut args = vec!["grant-reader", name.as_str(), "--password-env", "READER_PW"];
    args.extend_from_slice(extra);
    let run = common::run_with(
        &args,
        &[("DATABASE_URL", db.url.as_str()), ("READER_PW", password)],
        root(),
    );
    run.expect_code(0);
    assert!(
        run.stdout().contains("created read-only role"),
        "{}",
        run.describe()
    );
    assert!(
        !run.stdout().contains(password) && !run.stderr().contains(password),
        "{}",
        run.describe()
    );
    (db, name)
}

const READABLE: [&str; 28] = [
    "market.symbols",
    "market.daily_prices",
    "market.moving_averages",
    "market.weekly_prices",
    "market.monthly_prices",
    "market.quarterly_prices",
    "market.yearly_prices",
    "market.stale_ranges",
    "market.moving_average_crosses",
    "market.daily_return_counts",
    "market.intraday_bars",
    "market.intraday_5min",
    "market.intraday_15min",
    "market.intraday_hourly",
    "market.intraday_daily",
    "market.intraday_stale_ranges",
    "market.trades",
    "market.quotes",
    "market.event_daily",
    "market.trade_analytics",
    "market.quote_analytics",
    "market.corporate_actions",
    "market.adjusted_prices",
    "market.exchanges",
    "market.trade_bars_1min",
    "market.trade_bars_5min",
    "market.trade_bars_hourly",
    "market.trade_bars_daily",
];

async fn try_sql(conn: &mut PgConnection, sql: &str) -> Result<(), String> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_reader_reads_every_documented_relation_and_writes_nothing() {
    let password = "Corr3ct-horse";
    let (db, name) = loaded_with_reader(password, &[]).await;
    let mut conn = PgConnection::connect(&db.tcp_url(&name, password))
        .await
        .expect("the reader logs in over TCP with its password");
    for relation in READABLE {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {relation}"
        )))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("reading {relation}: {e}"));
        // The fixtures loaded here carry no dividends or splits.
        if !relation.ends_with("stale_ranges") && relation != "market.corporate_actions" {
            assert!(n > 0, "{relation} is empty");
        }
    }
    // Provenance (issue 23): every loaded row names its load, and the reader sees the column.
    let unnamed: i64 = sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE load_run_id IS NULL) FROM market.daily_prices",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(unnamed, 0);
    // Denied by privileges, not only by the read-only default: switch that off first.
    try_sql(&mut conn, "SET default_transaction_read_only = off")
        .await
        .unwrap();
    for sql in [
        "INSERT INTO market.symbols (symbol) VALUES ('EVIL')",
        "UPDATE market.daily_prices SET close = 0",
        "DELETE FROM market.daily_prices",
        "TRUNCATE market.daily_prices",
        "CREATE TABLE market.mine (x int)",
        "CREATE TABLE public.mine (x int)",
        "SELECT count(*) FROM market.load_runs",
        "DROP VIEW market.moving_averages",
    ] {
        let err = try_sql(&mut conn, sql).await.expect_err(sql);
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{sql}: {err}"
        );
    }
    conn.close().await.ok();
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        1172
    );

    // A wrong password is refused.
    assert!(
        PgConnection::connect(&db.tcp_url(&name, "wrong"))
            .await
            .is_err()
    );

    // Revoke: the login is gone.
    db.run(&["revoke-reader", &name]).expect_code(0);
    assert!(
        PgConnection::connect(&db.tcp_url(&name, password))
            .await
            .is_err()
    );
    let again = db.run(&["revoke-reader", &name]);
    again.expect_code(1);
    assert!(
        again.stderr().contains("there is no role"),
        "{}",
        again.describe()
    );
}

#[tokio::test]
async fn load_history_is_readable_only_when_granted_and_grants_can_be_updated() {
    let (db, name) = loaded_with_reader("first-pw", &["--with-load-history"]).await;
    let mut conn = PgConnection::connect(&db.tcp_url(&name, "first-pw"))
        .await
        .unwrap();
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM market.load_runs")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(runs, 15);
    conn.close().await.ok();
    // Granting again updates the password and drops the load history.
    let run = common::run_with(
        &["grant-reader", &name, "--password-env", "PW"],
        &[("DATABASE_URL", db.url.as_str()), ("PW", "second-pw")],
        root(),
    );
    run.expect_code(0);
    assert!(
        run.stdout().contains("updated read-only role"),
        "{}",
        run.describe()
    );
    assert!(
        PgConnection::connect(&db.tcp_url(&name, "first-pw"))
            .await
            .is_err()
    );
    let mut conn = PgConnection::connect(&db.tcp_url(&name, "second-pw"))
        .await
        .unwrap();
    assert!(
        try_sql(&mut conn, "SELECT count(*) FROM market.load_runs")
            .await
            .is_err()
    );
    // Objects created after the grant (a later migration) are readable too.
    let mut owner = db.conn().await;
    try_sql(&mut owner, "CREATE VIEW market.later_view AS SELECT 1 AS x")
        .await
        .unwrap();
    try_sql(&mut conn, "SELECT x FROM market.later_view")
        .await
        .unwrap();
    // A missing password variable is a clear error.
    let run = db.run(&[
        "grant-reader",
        &name,
        "--password-env",
        "NO_SUCH_VARIABLE_SET",
    ]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("NO_SUCH_VARIABLE_SET: the variable is not set"),
        "{}",
        run.describe()
    );
}

#[tokio::test]
async fn every_relation_and_column_is_documented_with_bi_friendly_types() {
    let db = fresh_db().await;
    let run = db.run(&["status", "--schema", "--format", "json"]);
    run.expect_code(0);
    let rows = run.json();
    let rows = rows.as_array().unwrap();
    let relations: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["relation"].as_str().unwrap())
        .collect();
    for relation in READABLE {
        assert!(
            relations.contains(relation.trim_start_matches("market.")),
            "{relation} missing"
        );
    }
    for r in rows {
        assert!(
            !r["comment"].as_str().unwrap().is_empty(),
            "no comment on {r}"
        );
        assert!(
            !r["relation_comment"].as_str().unwrap().is_empty(),
            "no comment on {r}"
        );
        let ty = r["data_type"].as_str().unwrap();
        assert!(!ty.starts_with("numeric"), "unbounded numeric in {r}");
        let column = r["column_name"].as_str().unwrap();
        let relation = r["relation"].as_str().unwrap();
        // Intraday and trade-bar buckets are instants (the daily views' are the exchange's
        // calendar day).
        let intraday = ["intraday_", "trade_bars_"]
            .iter()
            .any(|p| relation.starts_with(p))
            && !["intraday_daily", "trade_bars_daily"].contains(&relation);
        if column == "bucket" && intraday {
            assert_eq!(ty, "timestamp with time zone", "{r}");
        } else if [
            "day",
            "bucket",
            "first_day",
            "last_day",
            "from_day",
            "to_day",
        ]
        .contains(&column)
        {
            assert_eq!(ty, "date", "{r}");
        }
        if column.starts_with("avg_") || column.starts_with("sma_") {
            assert_eq!(ty, "double precision", "{r}");
        }
        if column.starts_with("rows_") || column == "volume" || column == "trading_days" {
            assert_eq!(ty, "bigint", "{r}");
        }
    }
    let table = db.run(&["status", "--schema"]);
    table.expect_code(0);
    assert!(
        table.stdout().contains("market.moving_averages (view)"),
        "{}",
        table.describe()
    );
}

/// The dashboard's SQL with Grafana's macros and variables replaced as Grafana would.
fn grafana_sql(sql: &str, symbol: &str) -> String {
    let mut out = sql.replace("$symbol", symbol);
    while let Some(start) = out.find("$__timeFilter(") {
        let open = start + "$__timeFilter(".len();
        let mut depth = 1;
        let mut end = open;
        for (i, c) in out[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + i;
                break;
            }
        }
        let expr = out[open..end].to_string();
        out.replace_range(
            start..=end,
            &format!("{expr} BETWEEN '1990-01-01T00:00:00Z' AND '2100-01-01T00:00:00Z'"),
        );
    }
    out
}

#[tokio::test]
async fn every_dashboard_query_runs_as_the_reader_and_returns_rows() {
    let password = "dash-pw";
    let (db, name) = loaded_with_reader(password, &[]).await;
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("grafana/dashboards/stockdb.json")).unwrap(),
    )
    .unwrap();
    let mut queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| t["rawSql"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(queries.len(), 7);
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    queries.extend(
        variables
            .iter()
            .map(|v| v["query"].as_str().unwrap().to_string()),
    );
    let mut conn = PgConnection::connect(&db.tcp_url(&name, password))
        .await
        .unwrap();
    let citus = db.has_citus().await;
    for sql in queries {
        if citus && sql.contains("WHERE EXISTS") {
            // Listed in docs/not-finished.md: the dashboard is the Docker (TimescaleDB) one.
            common::skip(
                "every_dashboard_query_runs_as_the_reader: the symbol variable",
                "Citus runs no correlated subquery from a reference table (citus tier)",
            );
            continue;
        }
        // The intraday panel shows a symbol with intraday bars.
        let symbol = if sql.contains("intraday_5min") {
            "MSFT"
        } else {
            "ACME"
        };
        let sql = grafana_sql(&sql, symbol);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}\n{e}"));
        assert!(!rows.is_empty(), "no rows for\n{sql}");
    }
}

#[test]
fn compose_and_grafana_provisioning_are_complete() {
    let compose: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("docker-compose.yml")).unwrap(),
    )
    .unwrap();
    let services = &compose["services"];
    let db = &services["timescaledb"];
    assert!(
        db["image"]
            .as_str()
            .unwrap()
            .starts_with("timescale/timescaledb:")
    );
    assert!(db["healthcheck"]["test"].is_sequence());
    let seed = &services["seed"];
    assert_eq!(seed["build"].as_str(), Some("."));
    assert_eq!(
        seed["depends_on"]["timescaledb"]["condition"].as_str(),
        Some("service_healthy")
    );
    let seed_command = seed["command"][0].as_str().unwrap();
    assert!(seed_command.contains("stockdb load fixtures/yahoo fixtures/kaggle"));
    assert!(seed_command.contains("stockdb grant-reader grafana --password-env READER_PASSWORD"));
    let grafana = &services["grafana"];
    assert_eq!(grafana["profiles"][0].as_str(), Some("bi"));
    assert_eq!(
        grafana["depends_on"]["seed"]["condition"].as_str(),
        Some("service_completed_successfully")
    );
    assert!(grafana["healthcheck"]["test"].is_sequence());
    for volume in ["timescaledb-data", "grafana-data"] {
        assert!(compose["volumes"].get(volume).is_some(), "volume {volume}");
    }
    // The data source logs in as the role the seed creates, with the password from the env.
    let ds: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("grafana/provisioning/datasources/stockdb.yml"))
            .unwrap(),
    )
    .unwrap();
    let source = &ds["datasources"][0];
    assert_eq!(source["user"].as_str(), Some("grafana"));
    assert_eq!(
        source["secureJsonData"]["password"].as_str(),
        Some("${READER_PASSWORD}")
    );
    assert_eq!(source["jsonData"]["database"].as_str(), Some("stockdb"));
    let provider: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join("grafana/provisioning/dashboards/stockdb.yml"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        provider["providers"][0]["options"]["path"].as_str(),
        Some("/var/lib/grafana/dashboards")
    );
    // The Dockerfile builds the binary and ships the fixtures the seed loads.
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("cargo build --release --locked"));
    assert!(dockerfile.contains("COPY fixtures /app/fixtures"));
}
