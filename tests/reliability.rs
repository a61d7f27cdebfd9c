//! Breaking things on purpose: the loader killed at many points, Ctrl-C, the server crashing,
//! two loaders at once, a statement timeout, and inputs that must be made at test time.

mod common;

use common::{ALLOW_TRIGGERS, TestDb, execute_script, fresh_db, root, run_with};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A generated Kaggle-shaped tree in a temp dir.
fn generated(symbols: usize, years: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run_with(
        &[
            "generate",
            "--symbols",
            &symbols.to_string(),
            "--shape",
            "uniform",
            "--years",
            &years.to_string(),
            "--out",
            dir.path().to_str().unwrap(),
        ],
        &[],
        root(),
    )
    .expect_code(0);
    dir
}

fn spawn_load(url: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_stockdb"))
        .arg("load")
        .args(args)
        .args(["--no-progress", "-q"])
        .env("DATABASE_URL", url)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Loads `path` into a fresh database: how long it took and the digest to compare against.
async fn clean_reference(path: &str) -> (Duration, Vec<(String, i64, String)>) {
    let clean = fresh_db().await;
    // Migrated first, like the databases of the kill runs: the timing is of the load alone.
    clean.run(&["migrate", "-q"]).expect_code(0);
    let started = Instant::now();
    clean
        .run(&["load", path, "--jobs", "2", "-q"])
        .expect_code(0);
    let duration = started.elapsed();
    (duration, table_digest(&clean).await)
}

/// Per symbol: rows and a digest of every value, for comparing two databases row for row.
async fn table_digest(db: &TestDb) -> Vec<(String, i64, String)> {
    let mut conn = db.conn().await;
    sqlx::query_as(
        "SELECT symbol, count(*),
                md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s', day, open, high, low, close, adj_close, volume), ',' ORDER BY day))
         FROM market.daily_prices GROUP BY symbol ORDER BY symbol",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

/// Every file is all there with a succeeded record, or absent; no record claims success for
/// absent data; the aggregate tables agree with the prices they summarize.
async fn assert_all_or_nothing(db: &TestDb, expected: &[(String, i64, String)], when: &str) {
    let now = table_digest(db).await;
    for (symbol, rows, digest) in &now {
        let full = expected
            .iter()
            .find(|e| &e.0 == symbol)
            .unwrap_or_else(|| panic!("{when}: unknown {symbol}"));
        assert_eq!(
            (rows, digest),
            (&full.1, &full.2),
            "{when}: {symbol} is partly loaded"
        );
    }
    let claimed_but_absent = db
        .count(
            "SELECT count(*) FROM market.load_runs r WHERE r.status = 'succeeded'
             AND r.symbol NOT IN (SELECT DISTINCT symbol FROM market.daily_prices)",
        )
        .await;
    assert_eq!(
        claimed_but_absent, 0,
        "{when}: a run record claims success for absent data"
    );
    let present_unclaimed = db
        .count(
            "SELECT count(DISTINCT p.symbol) FROM market.daily_prices p WHERE p.symbol NOT IN
             (SELECT r.symbol FROM market.load_runs r
              WHERE r.status = 'succeeded' AND r.symbol IS NOT NULL)",
        )
        .await;
    assert_eq!(
        present_unclaimed, 0,
        "{when}: data without a succeeded run record"
    );
    if db
        .count("SELECT count(*) FROM pg_class WHERE relname = 'weekly_prices' AND relkind = 'r'")
        .await
        > 0
    {
        let stale = db
            .count(
                "SELECT count(*) FROM (SELECT symbol, count(*) AS n FROM market.daily_prices GROUP BY 1) d
                 FULL JOIN (SELECT symbol, sum(trading_days)::bigint AS n FROM market.weekly_prices GROUP BY 1) w USING (symbol)
                 WHERE d.n IS DISTINCT FROM w.n",
            )
            .await;
        assert_eq!(stale, 0, "{when}: aggregates disagree with the prices");
    }
}

#[tokio::test]
async fn killed_at_28_points_every_file_is_whole_or_absent_and_a_rerun_completes() {
    let tree = generated(40, 3);
    let path = tree.path().to_str().unwrap();
    // The reference: a clean load, timed to spread the kill points over it.
    let (mut duration, expected) = clean_reference(path).await;
    assert_eq!(expected.len(), 40);

    // Each kill point on a database of its own, so that every run is a first load of the
    // same length; every fourth one is then re-run to completion.
    let mut kills = 0;
    for k in 0..28u32 {
        let db = fresh_db().await;
        db.run(&["migrate", "-q"]).expect_code(0);
        // From just after start to just before the end of a clean load.
        // (Over the first 70%: with other tests running in parallel, timings are noisy.)
        let delay = duration.mul_f64(0.02 + 0.68 * f64::from(k) / 27.0);
        let started = Instant::now();
        let mut child = spawn_load(&db.url, &[path, "--jobs", "2"]);
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL: no handler runs
            kills += 1;
        } else {
            // The reference was timed while other tests loaded the machine: a run that ends
            // before its kill point shows how long a load takes now.
            duration = duration.min(started.elapsed());
        }
        child.wait().unwrap();
        let loaded = db
            .count("SELECT count(DISTINCT symbol) FROM market.daily_prices")
            .await;
        assert_all_or_nothing(
            &db,
            &expected,
            &format!("after kill point {k} ({delay:?}, {loaded} files in)"),
        )
        .await;
        if k % 4 == 3 {
            db.run(&["load", path, "--jobs", "2", "-q"]).expect_code(0);
            assert_eq!(
                table_digest(&db).await,
                expected,
                "the re-run after kill point {k} equals a clean load"
            );
            assert_all_or_nothing(&db, &expected, "after a re-run").await;
        }
    }
    assert!(
        kills >= 20,
        "only {kills} of 28 runs were still running when killed"
    );
    println!("{kills} kill points");
}

/// Waits until a load has committed its first file (a `succeeded` record), so that a test
/// interrupts or crashes it with files committed and others in flight, however fast the
/// machine loads them.
async fn first_commit(watch: &mut sqlx::PgConnection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done: i64 =
            sqlx::query_scalar("SELECT count(*) FROM market.load_runs WHERE status = 'succeeded'")
                .fetch_one(&mut *watch)
                .await
                .unwrap();
        assert!(Instant::now() < deadline, "no file committed within 60 s");
        if done > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn ctrl_c_rolls_back_files_in_flight_and_exits_130() {
    let tree = generated(40, 4);
    let path = tree.path().to_str().unwrap();
    let (_, expected) = clean_reference(path).await;

    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    let child = Command::new(env!("CARGO_BIN_EXE_stockdb"))
        .args([
            "load",
            path,
            "--jobs",
            "2",
            "--no-progress",
            "--format",
            "json",
        ])
        .env("DATABASE_URL", &db.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first file has committed, as the crash test below does: a sleep of a
    // third of a clean load's time came before the first commit on a busy machine.
    let mut watch = db.conn().await;
    first_commit(&mut watch).await;
    // SAFETY: kill(2) with a child's pid and SIGINT has no memory effects.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the summary so far is printed");
    let t = &json["totals"];
    assert!(t["interrupted"].as_u64().unwrap() > 0, "{t}");
    assert!(
        t["loaded"].as_u64().unwrap() > 0,
        "files before the interrupt stay loaded: {t}"
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(
        db.count("SELECT count(*) FROM market.load_runs WHERE status = 'running'")
            .await,
        0
    );
    assert_all_or_nothing(&db, &expected, "after Ctrl-C").await;
    // The records say which files were interrupted in flight.
    let in_flight = db
        .count("SELECT count(*) FROM market.load_runs WHERE status = 'interrupted'")
        .await;
    let not_started = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["error"]
                .as_str()
                .is_some_and(|e| e.contains("not started (interrupted)"))
        })
        .count() as i64;
    assert_eq!(in_flight + not_started, t["interrupted"].as_i64().unwrap());
    db.run(&["load", path, "-q"]).expect_code(0);
    assert_eq!(table_digest(&db).await, expected);
}

/// The server's postmaster pid, from its pid file.
fn postmaster_pid(home: &Path) -> i32 {
    let text = std::fs::read_to_string(home.join("pgdata/postmaster.pid")).unwrap();
    text.lines().next().unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn a_server_crash_mid_load_names_the_files_not_loaded_and_a_rerun_finishes() {
    let tree = generated(30, 4);
    let path = tree.path().to_str().unwrap();
    // A cluster of its own: this test crashes it.
    let home = tempfile::tempdir().unwrap();
    let env = [("STOCKDB_HOME", home.path().to_str().unwrap())];
    let dir = root();
    run_with(&["db", "start"], &env, dir).expect_code(0);
    run_with(&["load", path, "-q", "--jobs", "1"], &env, dir).expect_code(0);
    let expected = run_with(&["status", "--format", "json"], &env, dir).json()["rows"].clone();
    run_with(&["db", "stop"], &env, dir).expect_code(0);
    std::fs::remove_dir_all(home.path().join("pgdata")).unwrap();
    std::fs::remove_file(home.path().join("port")).unwrap();
    run_with(&["db", "start"], &env, dir).expect_code(0);
    run_with(&["migrate", "-q"], &env, dir).expect_code(0);
    let url = run_with(&["db", "url"], &env, dir)
        .stdout()
        .trim()
        .to_string();
    let mut watch = sqlx::PgConnection::connect(&url).await.unwrap();

    let child = Command::new(env!("CARGO_BIN_EXE_stockdb"))
        .args([
            "load",
            path,
            "--jobs",
            "1",
            "--no-progress",
            "--format",
            "json",
        ])
        .env("STOCKDB_HOME", home.path())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Crash once the first file has committed: the others are then in flight or not started,
    // however fast this machine loads them (a sleep of half a clean load's time landed after
    // the last file on a busy machine, in the aggregates' refresh).
    first_commit(&mut watch).await;
    // SIGKILL the postmaster: an immediate crash, as `pg_ctl stop -m immediate` or worse.
    // SAFETY: kill(2) with a pid read from the server's own pid file.
    unsafe { libc::kill(postmaster_pid(home.path()), libc::SIGKILL) };
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the loader gave up promptly"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] == "failed")
        .count();
    assert!(failed > 0, "{json}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        failed + 1,
        "one error line per file not loaded, plus the total:\n{stderr}"
    );
    assert!(
        stderr.contains("nothing of this file was loaded") || stderr.contains("not started"),
        "{stderr}"
    );

    // Restart (crash recovery) and load again: exactly a clean load's rows.
    let _ = run_with(&["db", "stop"], &env, dir);
    run_with(&["db", "start"], &env, dir).expect_code(0);
    run_with(&["load", path, "-q"], &env, dir).expect_code(0);
    let status = run_with(&["status", "--format", "json"], &env, dir).json();
    assert_eq!(status["rows"], expected);
    run_with(&["db", "stop"], &env, dir).expect_code(0);
}

/// Two refreshes that both find the aggregates' storage indexes missing (as one stopped
/// midway leaves them) both build them, taking turns per index: `CREATE INDEX IF NOT EXISTS`
/// alone failed about one round in three on a duplicate name (src/analytics/bulk.rs).
#[tokio::test]
async fn two_refreshes_that_find_the_aggregates_indexes_missing_both_succeed() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo", "fixtures/kaggle", "-q"])
        .expect_code(0);
    if !db.has_columnstore().await {
        common::skip(
            "two_refreshes_that_find_the_aggregates_indexes_missing_both_succeed",
            "no continuous aggregates on this tier",
        );
        return;
    }
    let sql =
        std::fs::read_to_string(root().join("src/analytics/sql/aggregate_indexes.sql")).unwrap();
    let all = db.count(&format!("SELECT count(*) FROM ({sql}) i")).await;
    let present = format!("SELECT count(*) FROM ({sql}) i WHERE present");
    let mut conn = db.conn().await;
    for round in 0..5 {
        let indexes: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT index FROM ({sql}) i")))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        for index in indexes {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX {index}")))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        assert_eq!(db.count(&present).await, 0);
        let refresh = || {
            Command::new(env!("CARGO_BIN_EXE_stockdb"))
                .args(["refresh", "-q"])
                .env("DATABASE_URL", &db.url)
                .current_dir(root())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (refresh(), refresh());
        for (name, c) in [("A", a), ("B", b)] {
            let out = c.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}, refresh {name}: {stderr}"
            );
        }
        assert_eq!(db.count(&present).await, all, "round {round}");
    }
}

#[tokio::test]
async fn two_loaders_on_overlapping_trees_load_everything_exactly_once() {
    let tree = generated(30, 3);
    let clean = fresh_db().await;
    clean
        .run(&["load", tree.path().to_str().unwrap(), "-q"])
        .expect_code(0);
    let expected = table_digest(&clean).await;
    // Loader A: symbols 0-19, loader B: 10-29, so 10 files are loaded by both at once.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut files: Vec<PathBuf> = ["stocks", "etfs"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(tree.path().join(d))
                .unwrap()
                .map(|e| e.unwrap().path())
        })
        .collect();
    files.sort_by_key(|p| p.file_name().unwrap().to_owned());
    for (i, f) in files.iter().enumerate() {
        let name = f.file_name().unwrap();
        if i < 20 {
            std::fs::copy(f, a.path().join(name)).unwrap();
        }
        if i >= 10 {
            std::fs::copy(f, b.path().join(name)).unwrap();
        }
    }
    let db = fresh_db().await;
    let ca = spawn_load(&db.url, &[a.path().to_str().unwrap(), "--jobs", "2"]);
    let cb = spawn_load(&db.url, &[b.path().to_str().unwrap(), "--jobs", "2"]);
    for (name, c) in [("A", ca), ("B", cb)] {
        let out = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "loader {name}: {stderr}");
        assert!(!stderr.contains("failed"), "loader {name}: {stderr}");
    }
    // Symbols and asset classes differ (no folder), values are the same.
    let got = table_digest(&db).await;
    assert_eq!(got, expected);
    let mut conn = db.conn().await;
    let unsucceeded: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT path, status, error FROM market.load_runs WHERE status <> 'succeeded'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(unsucceeded, vec![], "attempts that did not succeed");
    assert_eq!(db.count("SELECT count(*) FROM market.load_runs").await, 40);
    assert_all_or_nothing(&db, &expected, "after two loaders").await;
    // Each loader converts what is pending when its files are done, the other's chunks too.
    if db.has_columnstore().await {
        let (chunks, converted) = db.columnstore_chunks("daily_prices").await;
        assert!(chunks > 0);
        assert_eq!(converted, chunks, "chunks left out of the columnstore");
    }
}

#[tokio::test]
async fn a_statement_timeout_fails_that_file_cleanly_and_records_it() {
    let db = fresh_db().await;
    // ACME covers the kaggle fixtures' dates: on a hypertable the chunks then exist, and the
    // slow ALFA file below cannot hold a chunk it created while BETA and GAMX wait for it.
    db.run(&["load", "fixtures/yahoo", "-q"]).expect_code(0);
    let mut conn = db.conn().await;
    execute_script(
        &mut conn,
        &format!(
            "{ALLOW_TRIGGERS}CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END $$;
         CREATE TRIGGER slow BEFORE INSERT ON market.daily_prices
           FOR EACH ROW WHEN (NEW.symbol = 'ALFA') EXECUTE FUNCTION public.slow();
         ALTER DATABASE {} SET statement_timeout = '2s';",
            db.name
        ),
    )
    .await
    .unwrap();
    let run = db.run(&["load", "fixtures/kaggle", "--format", "json"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("ALFA.csv: database error"),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr().contains("statement timeout"),
        "{}",
        run.describe()
    );
    assert_eq!(run.json()["totals"]["loaded"], 2);
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'ALFA'")
            .await,
        0
    );
    let mut conn = db.conn().await;
    let (status, error): (String, String) =
        sqlx::query_as("SELECT status, error FROM market.load_runs WHERE symbol = 'ALFA'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("statement timeout"), "{error}");
}

#[tokio::test]
async fn inputs_made_at_test_time_are_refused_or_handled() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let header = "Date,Open,High,Low,Close,Adj Close,Volume\n";

    // A 1 MB single line.
    let big = dir.path().join("BIGLINE.csv");
    std::fs::write(&big, format!("{header}{}\n", "9".repeat(1 << 20))).unwrap();
    let run = db.run(&["load", big.to_str().unwrap(), "-q"]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("BIGLINE.csv:2: expected 7 fields as in the header, found 1"),
        "{}",
        run.describe()
    );

    // A symlink loop: the loop is entered once, its files load once.
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("stocks")).unwrap();
    std::fs::copy(
        root().join("fixtures/kaggle/stocks/ALFA.csv"),
        tree.join("stocks/ALFA.csv"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&tree, tree.join("stocks/loop")).unwrap();
    let run = db.run(&["load", tree.to_str().unwrap(), "--format", "json"]);
    run.expect_code(0);
    assert_eq!(run.json()["totals"]["files"], 1);

    // A file that changes while it is read: a writer appends until the loader is done.
    let growing = dir.path().join("GROWING.csv");
    let mut text = String::from(header);
    for d in 0..200_000u32 {
        let day =
            chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(d.into());
        text.push_str(&format!("{day},10.0,11.0,9.0,10.5,10.4,1000\n"));
    }
    std::fs::write(&growing, &text).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, stop) = (growing.clone(), stop.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                f.write_all(b"\n").unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let run = db.run(&["load", growing.to_str().unwrap(), "-q"]);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.join().unwrap();
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("GROWING.csv: the file changed while it was being read"),
        "{}",
        run.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices WHERE symbol = 'GROWING'")
            .await,
        0
    );

    // An unreadable file (root reads everything, so only as another user).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        common::skip(
            "inputs_made_at_test_time: unreadable file",
            "running as root, who can read a file of mode 000",
        );
    } else {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("LOCKED.csv");
        std::fs::write(&locked, header).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let run = db.run(&["load", locked.to_str().unwrap(), "-q"]);
        run.expect_code(1);
        assert!(
            run.stderr()
                .contains("LOCKED.csv: cannot read: Permission denied"),
            "{}",
            run.describe()
        );
    }
}

#[tokio::test]
async fn passwords_stay_out_of_output_records_and_errors() {
    let db = fresh_db().await;
    // The test cluster trusts its socket, so a URL with a password still connects.
    let with_password = db.url.replacen("://stockdb@", "://stockdb:hunter2@", 1);
    assert!(with_password.contains("hunter2"));
    let run = run_with(
        &[
            "load",
            "fixtures/yahoo",
            "fixtures/bad/missing_value.csv",
            "--format",
            "json",
        ],
        &[("DATABASE_URL", with_password.as_str())],
        root(),
    );
    run.expect_code(1);
    let status = run_with(
        &["status"],
        &[("DATABASE_URL", with_password.as_str())],
        root(),
    );
    status.expect_code(0);
    for text in [run.stdout(), run.stderr(), status.stdout(), status.stderr()] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert!(
        status.stdout().contains("stockdb:***@"),
        "{}",
        status.describe()
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.load_runs WHERE concat(path, error, symbol) LIKE '%hunter2%'").await,
        0
    );
    // Report parameters of every type are bound, and mistyped values never reach SQL.
    let evil = "2020-01-01'; DROP TABLE market.daily_prices; --";
    for args in [
        vec![
            "report",
            "moving_averages",
            "--symbol",
            "ACME",
            "--from",
            evil,
        ],
        vec![
            "report",
            "load_history",
            "-p",
            "limit=1; DROP TABLE market.daily_prices",
        ],
        vec![
            "report",
            "returns_distribution",
            "-p",
            "width=0.01); DROP TABLE market.daily_prices; --",
        ],
    ] {
        db.run(&args).expect_code(1);
    }
    let rows = db.run(&[
        "report",
        "daily_returns",
        "--symbol",
        evil,
        "--format",
        "csv",
    ]);
    rows.expect_code(0);
    assert_eq!(
        rows.stdout().trim(),
        "day,price,simple_return,log_return",
        "a hostile symbol is just a symbol with no rows"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        400
    );
}

#[tokio::test]
async fn the_local_cluster_listens_on_loopback_and_an_owner_only_socket() {
    let db = fresh_db().await;
    let mut conn = db.conn().await;
    let settings: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'unix_socket_permissions') ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    if std::env::var("STOCKDB_TEST_DATABASE_URL").is_ok() {
        common::skip(
            "the_local_cluster_listens_on_loopback",
            "tests run on an external server",
        );
        return;
    }
    assert_eq!(
        settings,
        vec![
            ("listen_addresses".to_string(), "127.0.0.1".to_string()),
            ("unix_socket_permissions".to_string(), "0700".to_string())
        ]
    );
}

#[tokio::test]
async fn two_loaders_on_one_symbol_in_opposite_orders_serialize_without_deadlock() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv", "-q"])
        .expect_code(0);
    // The same 400 days with new closes, once in date order and once reversed: row locks
    // taken in opposite orders would deadlock, but each file first locks its symbol's row in
    // market.symbols, so the two loads of ACME run one after the other.
    let original = std::fs::read_to_string(root().join("fixtures/yahoo/ACME.csv")).unwrap();
    let mut lines: Vec<String> = original.lines().map(String::from).collect();
    let header = lines.remove(0);
    let changed: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            f[4] = format!("{}", f[4].parse::<f64>().unwrap() + 1.0);
            f.join(",")
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let forward = dir.path().join("forward");
    let backward = dir.path().join("backward");
    std::fs::create_dir_all(&forward).unwrap();
    std::fs::create_dir_all(&backward).unwrap();
    std::fs::write(
        forward.join("ACME.csv"),
        format!("{header}\n{}\n", changed.join("\n")),
    )
    .unwrap();
    let reversed: Vec<String> = changed.iter().rev().cloned().collect();
    std::fs::write(
        backward.join("ACME.csv"),
        format!("{header}\n{}\n", reversed.join("\n")),
    )
    .unwrap();
    // Slow updates (1 ms a row) so that both loads are surely under way at the same time.
    let mut conn = db.conn().await;
    execute_script(
        &mut conn,
        &(ALLOW_TRIGGERS.to_string()
            + "CREATE FUNCTION public.slow_update() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM pg_sleep(0.001); RETURN NEW; END $$;
         CREATE TRIGGER slow_update BEFORE UPDATE ON market.daily_prices
           FOR EACH ROW EXECUTE FUNCTION public.slow_update();"),
    )
    .await
    .unwrap();
    let a = spawn_load(&db.url, &[forward.to_str().unwrap()]);
    let b = spawn_load(&db.url, &[backward.to_str().unwrap()]);
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        db.count("SELECT count(*) FROM market.load_runs WHERE status = 'succeeded'")
            .await,
        3
    );
    let expected: f64 = changed
        .iter()
        .map(|l| l.split(',').nth(4).unwrap().parse::<f64>().unwrap())
        .sum();
    let sum: f64 =
        sqlx::query_scalar("SELECT sum(close) FROM market.daily_prices WHERE symbol = 'ACME'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!((sum - expected).abs() < 1e-6);
}

#[tokio::test]
async fn a_serialization_failure_is_retried_as_a_whole_new_attempt() {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    if db.has_citus().await {
        // The trigger would run on a worker, where the coordinator's sequence is not.
        common::skip(
            "a_serialization_failure_is_retried_as_a_whole_new_attempt",
            "its fault injection counts attempts in a coordinator sequence (citus tier)",
        );
        return;
    }
    // The first attempt at ALFA fails as a deadlock or serialization conflict would; a
    // sequence counts attempts because it is not rolled back with them.
    let mut conn = db.conn().await;
    execute_script(
        &mut conn,
        &(ALLOW_TRIGGERS.to_string()
            + "CREATE SEQUENCE public.attempts;
         CREATE FUNCTION public.conflict_once() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN
                IF nextval('public.attempts') = 1 THEN
                  RAISE EXCEPTION 'could not serialize access (test)' USING ERRCODE = '40001';
                END IF;
                RETURN NEW;
              END $$;
         CREATE TRIGGER conflict_once BEFORE INSERT ON market.daily_prices
           FOR EACH STATEMENT EXECUTE FUNCTION public.conflict_once();"),
    )
    .await
    .unwrap();
    let run = db.run(&[
        "load",
        "fixtures/kaggle/stocks/ALFA.csv",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["files"][0]["attempts"], 2);
    assert_eq!(json["files"][0]["inserted"], 300);
    let runs: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error FROM market.load_runs ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(runs.len(), 2, "one record per attempt: {runs:?}");
    assert_eq!(runs[0].0, "failed");
    assert!(
        runs[0]
            .1
            .as_deref()
            .unwrap()
            .contains("could not serialize access"),
        "{runs:?}"
    );
    assert_eq!(runs[1].0, "succeeded");
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        300
    );
}

/// A copy of every file under `from` (a daily tree or intraday files) with the header and
/// the lines `keep` accepts of its data lines (index, count): parts of the same downloads.
fn part_of(from: &Path, to: &Path, keep: fn(usize, usize) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            part_of(&path, &target, keep);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Header lines: up to the first that starts with a digit (yfinance writes three).
        let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let rows = all
            .iter()
            .position(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(all.len());
        let header = all[..rows].join("\n");
        let data: Vec<&str> = all[rows..].to_vec();
        let name = path.file_name().unwrap().to_str().unwrap();
        // The listing and files too short to split stay whole.
        let kept: Vec<&str> = if name.starts_with("symbols_valid_meta") || data.len() < 10 {
            data
        } else {
            let n = data.len();
            data.into_iter()
                .enumerate()
                .filter(|(i, _)| keep(*i, n))
                .map(|(_, l)| l)
                .collect()
        };
        std::fs::write(&target, format!("{header}\n{}\n", kept.join("\n"))).unwrap();
    }
}

/// What every loader-written relation holds, row by row, without the columns that name which
/// load wrote a row or when (those depend on who came last), sorted by the rows' text values.
async fn derived_rows(
    db: &TestDb,
) -> Vec<(String, Vec<serde_json::Map<String, serde_json::Value>>)> {
    let mut conn = db.conn().await;
    let mut out = Vec::new();
    for relation in [
        "daily_prices",
        "symbol_stats",
        "moving_average_crosses",
        "daily_return_counts",
        "weekly_prices",
        "monthly_prices",
        "quarterly_prices",
        "yearly_prices",
        "intraday_bars",
        "intraday_5min",
        "intraday_15min",
        "intraday_hourly",
        "intraday_daily",
    ] {
        let sql = format!(
            "SELECT (to_jsonb(r) - 'load_run_id' - 'counted_at')::text FROM market.{relation} r"
        );
        let texts: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let mut rows: Vec<serde_json::Map<String, serde_json::Value>> = texts
            .iter()
            .map(|t| serde_json::from_str(t).unwrap())
            .collect();
        let key = |r: &serde_json::Map<String, serde_json::Value>| {
            r.values()
                .filter(|v| !v.is_number())
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("|")
        };
        rows.sort_by_key(key);
        out.push((relation.to_string(), rows));
    }
    out
}

/// The same rows with the same values; numbers within 1e-9 relative (the aggregates sum
/// doubles in the order the rows happen to lie on disk, which two runs need not share).
fn assert_same_rows(
    got: &[(String, Vec<serde_json::Map<String, serde_json::Value>>)],
    want: &[(String, Vec<serde_json::Map<String, serde_json::Value>>)],
) {
    for ((relation, g), (_, w)) in got.iter().zip(want) {
        assert_eq!(g.len(), w.len(), "{relation}: row count");
        for (a, b) in g.iter().zip(w) {
            assert_eq!(a.len(), b.len(), "{relation}: columns");
            for (column, x) in a {
                let y = &b[column];
                let same = match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                    _ => x == y,
                };
                assert!(same, "{relation}.{column}: {x} against {y}\n{a:?}\n{b:?}");
            }
        }
    }
}

/// Issue 25: three `stockdb load` processes at once on overlapping daily and intraday trees
/// (the whole downloads, their first 60% and their last 60%) leave every table, stored
/// feature and aggregate as loading them one after the other does.
#[tokio::test]
async fn three_loaders_at_once_on_overlapping_daily_and_intraday_trees_match_one_after_another() {
    let tree = generated(12, 30);
    let parts = tempfile::tempdir().unwrap();
    let intraday = root().join("fixtures/intraday");
    let mut loads: Vec<Vec<String>> = Vec::new();
    for (name, keep) in [
        ("whole", (|_, _| true) as fn(usize, usize) -> bool),
        ("head", |i, n| i < n * 6 / 10),
        ("tail", |i, n| i >= n * 4 / 10),
    ] {
        let daily = parts.path().join(name).join("daily");
        let bars = parts.path().join(name).join("intraday");
        part_of(tree.path(), &daily, keep);
        part_of(&intraday, &bars, keep);
        loads.push(vec![
            daily.to_str().unwrap().to_string(),
            bars.to_str().unwrap().to_string(),
        ]);
    }
    let one_by_one = fresh_db().await;
    for paths in &loads {
        let args: Vec<&str> = std::iter::once("load")
            .chain(paths.iter().map(String::as_str))
            .chain(["-q"])
            .collect();
        one_by_one.run(&args).expect_code(0);
    }
    let expected = derived_rows(&one_by_one).await;
    assert!(expected[0].1.len() > 10_000, "daily rows");
    assert!(expected[8].1.len() > 1_000, "intraday bars");

    let at_once = fresh_db().await;
    let children: Vec<Child> = loads
        .iter()
        .map(|paths| {
            let mut args: Vec<&str> = paths.iter().map(String::as_str).collect();
            args.extend(["--jobs", "4"]);
            spawn_load(&at_once.url, &args)
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_same_rows(&derived_rows(&at_once).await, &expected);
}
