//! Server tiers, migrations, `status` and the local cluster commands, against a real server.

mod common;

use common::{fresh_db, run_with};

#[tokio::test]
async fn tier_is_detected_and_reported() {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    let mut conn = db.conn().await;
    let has_ext = db.has_timescaledb().await;
    let available: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let license: Option<String> =
        sqlx::query_scalar("SELECT current_setting('timescaledb.license', true)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let citus = db.has_citus().await;
    let expected = match (has_ext, license.as_deref()) {
        _ if citus => "citus",
        (false, _) => "postgres",
        (true, Some("timescale")) => "timescale",
        (true, _) => "apache",
    };
    if available && stockdb::db::tier::timescaledb_wanted() && !citus {
        assert!(has_ext, "the extension is available, so migrate creates it");
    }
    if !stockdb::db::tier::timescaledb_wanted() {
        assert!(
            !has_ext,
            "STOCKDB_TIMESCALEDB=off: plain PostgreSQL even where it is installed"
        );
    }
    let run = db.run(&["status", "--format", "json"]);
    run.expect_code(0);
    assert_eq!(run.json()["server"]["tier"], expected);
    let table = db.run(&["status"]);
    assert!(
        table.stdout().contains(&format!("tier:     {expected}")),
        "{}",
        table.describe()
    );
    println!("server tier: {expected}");
}

#[tokio::test]
async fn daily_prices_is_a_hypertable_where_timescaledb_is_present() {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    let mut conn = db.conn().await;
    let has_ext = db.has_timescaledb().await;
    if !has_ext {
        common::skip(
            "daily_prices_is_a_hypertable_where_timescaledb_is_present",
            "this server has no timescaledb extension (tier postgres)",
        );
        return;
    }
    let dims: (String, String) = sqlx::query_as(
        "SELECT column_name::text, time_interval::text FROM timescaledb_information.dimensions
         WHERE hypertable_schema = 'market' AND hypertable_name = 'daily_prices'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(dims.0, "day");
    assert_eq!(dims.1, "36525 days", "V25: 100-year chunks");
    db.run(&["load", "fixtures/yahoo", "fixtures/kaggle", "-q"])
        .expect_code(0);
    let chunks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'daily_prices'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        chunks, 1,
        "2022 and 2023 data fall in one 100-year chunk (1970-01-01 to 2070-01-01)"
    );
    let run = db.run(&["load", "fixtures/yahoo", "--format", "json"]);
    run.expect_code(0);
    assert_eq!(
        run.json()["totals"]["unchanged"],
        400,
        "upsert works on the hypertable"
    );
}

#[tokio::test]
async fn migrate_twice_changes_nothing() {
    let db = fresh_db().await;
    let first = db.run(&["migrate"]);
    first.expect_code(0);
    assert!(
        first.stdout().contains("applied V1__market_schema"),
        "{}",
        first.describe()
    );
    let second = db.run(&["migrate"]);
    second.expect_code(0);
    assert!(
        second.stdout().contains("schema is up to date"),
        "{}",
        second.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM refinery_schema_history")
            .await,
        std::fs::read_dir(common::root().join("migrations"))
            .unwrap()
            .count() as i64
    );
    // Every table and column of the schema is documented.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM information_schema.columns c
             WHERE c.table_schema = 'market'
               AND col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'market' AND c.relkind IN ('r', 'v', 'm') AND obj_description(c.oid) IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn status_lists_symbols_and_recent_loads() {
    let db = fresh_db().await;
    db.run(&[
        "load",
        "fixtures/yahoo",
        "fixtures/bad/missing_value.csv",
        "-q",
    ])
    .expect_code(1);
    let run = db.run(&["status", "--format", "json"]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["rows"], 400);
    assert_eq!(json["by_symbol"][0]["symbol"], "ACME");
    assert_eq!(json["recent_loads"].as_array().unwrap().len(), 2);
    assert!(!json["database"].as_str().unwrap().is_empty());
    let table = db.run(&["status"]);
    assert!(
        table.stdout().contains("400 rows, 1 symbols"),
        "{}",
        table.describe()
    );
    assert!(table.stdout().contains("failed"), "{}", table.describe());
    // No intraday file was loaded: status says there are none, not that it cannot tell.
    assert_eq!(json["intraday_estimated_bars"], 0);
    assert!(
        table
            .stdout()
            .contains("intraday: no bars; roll-ups up to date"),
        "{}",
        table.describe()
    );
}

#[test]
fn a_password_in_the_url_is_never_printed() {
    // A server that refuses the connection: the error must still hide the password.
    let run = run_with(
        &["status"],
        &[("DATABASE_URL", "postgres://bob:hunter2@127.0.0.1:1/nowhere")],
        common::root(),
    );
    run.expect_code(1);
    assert!(!run.stderr().contains("hunter2"), "{}", run.describe());
    assert!(
        run.stderr()
            .contains("postgres://bob:***@127.0.0.1:1/nowhere"),
        "{}",
        run.describe()
    );
}

#[test]
fn local_cluster_commands_manage_a_cluster_of_their_own() {
    let home = tempfile::tempdir().unwrap();
    let env = [("STOCKDB_HOME", home.path().to_str().unwrap())];
    let dir = common::root();
    let status = run_with(&["db", "status"], &env, dir);
    status.expect_code(0);
    assert!(
        status.stdout().contains("not initialized"),
        "{}",
        status.describe()
    );
    let url = run_with(&["db", "url"], &env, dir);
    url.expect_code(1);

    let start = run_with(&["db", "start"], &env, dir);
    start.expect_code(0);
    let started_url = start.stdout().trim().to_string();
    assert!(
        started_url.starts_with("postgres://stockdb@localhost:"),
        "{}",
        start.describe()
    );
    // Loopback and owner-only: the data directory is not readable by others.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(home.path().join("pgdata"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "pgdata mode {mode:o}");

    let url = run_with(&["db", "url"], &env, dir);
    url.expect_code(0);
    assert_eq!(url.stdout().trim(), started_url);
    // A command without DATABASE_URL uses this cluster.
    let load = run_with(&["load", "fixtures/yahoo", "-q"], &env, dir);
    load.expect_code(0);
    let status = run_with(&["status"], &env, dir);
    assert!(
        status.stdout().contains("400 rows"),
        "{}",
        status.describe()
    );
    // Starting again is harmless; stop stops.
    run_with(&["db", "start"], &env, dir).expect_code(0);
    let stop = run_with(&["db", "stop"], &env, dir);
    stop.expect_code(0);
    assert!(stop.stdout().contains("stopped"), "{}", stop.describe());
    let status = run_with(&["db", "status"], &env, dir);
    assert!(
        status.stdout().contains("cluster:     stopped"),
        "{}",
        status.describe()
    );
}

/// Issue 13: status reads the counts stockdb kept (no count over the prices), says where a
/// figure is an estimate, and `stockdb refresh` recounts rows written by other tools.
#[tokio::test]
async fn status_counts_come_from_loads_and_refresh_recounts_other_writers() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/kaggle", "fixtures/yahoo", "-q"])
        .expect_code(0);
    let exact = db.count("SELECT count(*) FROM market.daily_prices").await;
    let status = db.run(&["status", "--format", "json"]);
    status.expect_code(0);
    let json = status.json();
    assert_eq!(json["rows"], exact);
    assert_eq!(json["symbols"], 4);
    let mut conn = db.conn().await;
    let per_symbol: Vec<(String, i64, chrono::NaiveDate, chrono::NaiveDate)> = sqlx::query_as(
        "SELECT symbol, count(*), min(day), max(day) FROM market.daily_prices GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (row, (symbol, rows, first, last)) in json["by_symbol"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&per_symbol)
    {
        assert_eq!(row["symbol"], symbol.as_str());
        assert_eq!(row["rows"], *rows);
        assert_eq!(row["first_day"], first.to_string());
        assert_eq!(row["last_day"], last.to_string());
    }
    let text = db.run(&["status"]).stdout();
    assert!(
        text.contains("as counted by stockdb's loads and refreshes"),
        "{text}"
    );

    // Another writer adds a day; status keeps what stockdb counted until `refresh` recounts.
    sqlx::query(
        "INSERT INTO market.daily_prices SELECT symbol, '2030-01-02', open, high, low, close, adj_close, volume FROM market.daily_prices WHERE symbol = 'ACME' ORDER BY day DESC LIMIT 1",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        db.run(&["status", "--format", "json"]).json()["rows"],
        exact
    );
    db.run(&["refresh", "-q"]).expect_code(0);
    let after = db.run(&["status", "--format", "json"]).json();
    assert_eq!(after["rows"], exact + 1);
    assert_eq!(after["last_day"], "2030-01-02");
}

/// Whether the process's TCP socket bound to local `port` has TCP_NODELAY; None if no socket
/// of this process is bound to it.
fn nodelay_of_local_port(port: u16) -> Option<bool> {
    for entry in std::fs::read_dir("/proc/self/fd").ok()? {
        let Some(fd) = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: getsockname writes at most `len` bytes into `addr`; a non-socket fails.
        let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let named = unsafe {
            libc::getsockname(fd, (&mut addr as *mut libc::sockaddr_in).cast(), &mut len)
        };
        if named == 0
            && i32::from(addr.sin_family) == libc::AF_INET
            && u16::from_be(addr.sin_port) == port
        {
            return Some(stockdb::db::nodelay::is_set(fd));
        }
    }
    None
}

/// Issue 27: sqlx 0.9.0 leaves Nagle's algorithm on its TCP sockets, so a small write after
/// a COPY waited ~40 ms for the server's delayed ACK. stockdb's connections, single and
/// pooled, must have TCP_NODELAY; the client port the server sees names the socket.
#[tokio::test]
async fn tcp_connections_have_nagle_off() {
    use sqlx::Connection;
    let db = fresh_db().await;
    let role = format!("tcp_{}", db.name);
    let mut admin = db.conn().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'tcp-test'"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let url = db.tcp_url(&role, "tcp-test");
    let client_port = "SELECT inet_client_port()";

    let mut single = stockdb::db::connect(&url).await.unwrap();
    let port: Option<i32> = sqlx::query_scalar(client_port)
        .fetch_one(&mut single)
        .await
        .unwrap();
    let port = port.expect("connected over TCP, so the server sees a client port") as u16;
    assert_eq!(
        nodelay_of_local_port(port),
        Some(true),
        "db::connect, port {port}"
    );

    let pool = stockdb::db::pool(&url, 2, None).await.unwrap();
    let mut pooled = pool.acquire().await.unwrap();
    let port: Option<i32> = sqlx::query_scalar(client_port)
        .fetch_one(&mut *pooled)
        .await
        .unwrap();
    let port = port.unwrap() as u16;
    assert_eq!(
        nodelay_of_local_port(port),
        Some(true),
        "db::pool, port {port}"
    );

    drop(pooled);
    pool.close().await;
    single.close().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE {role}")))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// Issue 24: `status` gives each time-series table's size, and on the tiers without a
/// columnstore says why there is none.
#[tokio::test]
async fn status_shows_the_storage_of_each_table() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo", "fixtures/kaggle", "-q"])
        .expect_code(0);
    let run = db.run(&["status"]);
    run.expect_code(0);
    let out = run.stdout();
    let line = out
        .lines()
        .find(|l| l.starts_with("storage:  daily_prices"))
        .unwrap_or_else(|| panic!("{}", run.describe()));
    if db.has_timescaledb().await {
        assert!(line.contains("columnstore"), "{line}");
    } else if db.has_citus().await {
        assert!(line.contains("on the workers' shards"), "{line}");
    } else {
        assert!(
            line.contains("no columnstore on the postgres tier"),
            "{line}"
        );
    }
    let json = db.run(&["status", "--format", "json"]);
    json.expect_code(0);
    let storage = json.json()["storage"].as_array().unwrap().clone();
    let daily = storage
        .iter()
        .find(|t| t["name"] == "daily_prices")
        .expect("daily_prices in storage");
    assert!(daily["bytes"].as_i64().unwrap() > 0, "{daily}");
    assert_eq!(storage.len(), 4, "{storage:?}");
}
