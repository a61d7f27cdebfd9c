//! Test support: one PostgreSQL server for all tests (the local cluster started through the
//! real `stockdb db start`, or `STOCKDB_TEST_DATABASE_URL`), a fresh database per test, and
//! a runner for the real binary that prints everything when an assertion fails.
#![allow(dead_code)]

use sqlx::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The repository root: tests run the binary from here so `fixtures/` resolves.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A URL of the test server (any database on it).
pub fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("STOCKDB_TEST_DATABASE_URL") {
            return url;
        }
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cluster");
        let out = Command::new(env!("CARGO_BIN_EXE_stockdb"))
            .args(["db", "start"])
            .env("STOCKDB_HOME", &home)
            .env_remove("DATABASE_URL")
            .output()
            .expect("running stockdb db start");
        assert!(
            out.status.success(),
            "stockdb db start failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// Prefix of a test's SQL that creates a trigger on a market table: Citus refuses triggers on
/// distributed tables unless told they are safe (a test's fault injection is).
pub const ALLOW_TRIGGERS: &str = "SELECT set_config('citus.enable_unsafe_triggers', 'on', false) \
     WHERE EXISTS (SELECT FROM pg_extension WHERE extname = 'citus');\n";

/// Runs a script of `;`-separated statements one statement at a time (a `;` inside `$$` or
/// quotes does not separate): Citus passes some DDL (CREATE TRIGGER on a distributed table)
/// on to the shards as the text of the whole query, which must then hold that one command.
pub async fn execute_script(conn: &mut PgConnection, script: &str) -> sqlx::Result<()> {
    let (mut statement, mut dollar, mut quote) = (String::new(), false, false);
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && !quote && chars.peek() == Some(&'$') {
            chars.next();
            statement.push_str("$$");
            dollar = !dollar;
            continue;
        }
        if c == '\'' && !dollar {
            quote = !quote;
        }
        if c == ';' && !dollar && !quote {
            if !statement.trim().is_empty() {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                    .execute(&mut *conn)
                    .await?;
            }
            statement.clear();
        } else {
            statement.push(c);
        }
    }
    if !statement.trim().is_empty() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A database of its own for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

/// Creates an empty database with a unique name.
pub async fn fresh_db() -> TestDb {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::SeqCst)
    );
    let admin = with_database(server_url(), "postgres");
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connecting to {admin}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    TestDb {
        url: with_database(server_url(), &name),
        name,
    }
}

/// A passing test's database is dropped when the test ends (a failing one's is kept, to look
/// at): the suite makes about a hundred a run, and kept ones once filled this machine's disk
/// (2,749 databases, 38 GB).
impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on a future: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = with_database(server_url(), "postgres");
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .ok()
            })
        })
        .join();
        // A database left behind costs disk, not correctness: no panic in drop.
        drop(dropped);
    }
}

impl TestDb {
    /// A TCP URL (password authentication) for `user` on the test database, as a BI tool uses:
    /// loopback and the port of the test server's URL (`…@localhost:PORT/db?host=/socket`).
    pub fn tcp_url(&self, user: &str, password: &str) -> String {
        let authority = self
            .url
            .split("://")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        let port = authority.rsplit_once(':').map_or("5432", |(_, p)| p);
        format!(
            "postgres://{user}:{password}@127.0.0.1:{port}/{}",
            self.name
        )
    }

    /// A connection to this test's database.
    pub async fn conn(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }

    /// One bigint from a query.
    pub async fn count(&self, sql: &str) -> i64 {
        let mut conn = self.conn().await;
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// True when the timescaledb extension is created in this database; the first time in a
    /// test binary it prints which TimescaleDB and PostgreSQL the tier tests run on.
    /// True on the citus tier: the `citus` extension is in the test's database.
    pub async fn has_citus(&self) -> bool {
        let mut conn = self.conn().await;
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    pub async fn has_timescaledb(&self) -> bool {
        let mut conn = self.conn().await;
        let version: Option<(String, String)> = sqlx::query_as(
            "SELECT extversion::text, current_setting('server_version')
             FROM pg_extension WHERE extname = 'timescaledb'",
        )
        .fetch_optional(&mut conn)
        .await
        .unwrap();
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            use std::io::Write;
            let line = match &version {
                Some((ts, pg)) => format!("TimescaleDB {ts} on PostgreSQL {pg}"),
                None => "no TimescaleDB: the postgres tier".to_string(),
            };
            // Past libtest's capture, like skip(): every run shows what it ran on.
            let _ = writeln!(std::io::stderr(), "TIER {line}");
        });
        version.is_some()
    }

    /// True on the timescale tier: TimescaleDB with its community license, so the
    /// columnstore (issue 24).
    pub async fn has_columnstore(&self) -> bool {
        self.has_timescaledb().await
            && self
                .count("SELECT (current_setting('timescaledb.license', true) = 'timescale')::int::bigint")
                .await
                == 1
    }

    /// Chunks of market.`table` as (all, wholly in the columnstore): converted and not pending
    /// (partial), as migrations/V26's `market.columnstore_pending` says.
    pub async fn columnstore_chunks(&self, table: &str) -> (i64, i64) {
        let mut conn = self.conn().await;
        sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE c.is_compressed AND p.chunk IS NULL)
             FROM timescaledb_information.chunks c
             LEFT JOIN market.columnstore_pending() p
               ON p.chunk = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
             WHERE c.hypertable_schema = 'market' AND c.hypertable_name = $1",
        )
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    }

    /// Every stored value of the four market tables as one number each, to compare before and
    /// after, or two databases; less the provenance (run ids follow the order in which
    /// parallel files commit).
    pub async fn stored_values(&self) -> Vec<i64> {
        let mut sums = Vec::new();
        for (table, key) in [
            ("daily_prices", "symbol, day"),
            ("intraday_bars", "symbol, resolution, ts"),
            (
                "trades",
                "trade_dt, symbol, exchange, event_tm, event_seq_nb",
            ),
            (
                "quotes",
                "trade_dt, symbol, exchange, event_tm, event_seq_nb",
            ),
        ] {
            sums.push(
                self.count(&format!(
                    "SELECT hashtext(string_agg((to_jsonb(t) - 'load_run_id')::text, '|' ORDER BY {key}))::bigint
                     FROM market.{table} t"
                ))
                .await,
            );
        }
        sums
    }

    /// Runs the binary against this database.
    pub fn run(&self, args: &[&str]) -> Run {
        run_with(args, &[("DATABASE_URL", self.url.as_str())], root())
    }
}

/// Runs the real binary with extra environment variables, in `dir`.
pub fn run_with(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stockdb"));
    cmd.args(args).arg("--no-progress").current_dir(dir);
    cmd.env_remove("DATABASE_URL");
    // Tables fit COLUMNS when it is set; tests read them unwrapped, as a pipe gets them.
    cmd.env_remove("COLUMNS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("running stockdb");
    Run {
        command: format!("stockdb {}", args.join(" ")),
        output,
    }
}

/// A finished run of the binary.
pub struct Run {
    pub command: String,
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    /// Everything about the run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "command: {}\nstatus: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.output.status,
            self.stdout(),
            self.stderr()
        )
    }
    /// Asserts the exit code, printing the run otherwise.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }
    /// The `--format json` summary.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.describe()))
    }
}

/// Prints a skip line that the test harness does not capture, so it shows in every run.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write;
    // Writing to the stderr handle directly bypasses libtest's capture of print!/eprint!.
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {reason}");
}

/// `../shared/data`, or None with a visible skip line (a user's clone has no `../shared`).
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = root().join("../shared/data");
    if dir.is_dir() {
        Some(dir.canonicalize().unwrap())
    } else {
        skip(
            test,
            "../shared/data is absent (it exists only beside the project's own checkout)",
        );
        None
    }
}

/// Totals of a `--format json` load summary.
pub fn totals(json: &serde_json::Value) -> &serde_json::Value {
    &json["totals"]
}

/// The per-file reports of a JSON summary.
pub fn files(json: &serde_json::Value) -> &Vec<serde_json::Value> {
    json["files"].as_array().expect("files array")
}

/// Everything the event tables and their summary hold, in one text, for comparing databases.
pub async fn event_tables(db: &TestDb) -> String {
    let mut conn = db.conn().await;
    let mut text = String::new();
    for sql in [
        "SELECT string_agg(concat_ws('|', trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size, dropped_arrivals), E'\\n' ORDER BY symbol, trade_dt, exchange, event_tm, event_seq_nb) FROM market.trades",
        "SELECT string_agg(concat_ws('|', trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, bid_pr, bid_size, ask_pr, ask_size, dropped_arrivals), E'\\n' ORDER BY symbol, trade_dt, exchange, event_tm, event_seq_nb) FROM market.quotes",
        "SELECT string_agg(concat_ws('|', trade_dt, symbol, exchange, trades, quotes, trades_dropped, quotes_dropped, last_trade_pr, last_trade_tm, first_event_tm, last_event_tm, prior_close), E'\\n' ORDER BY trade_dt, symbol, exchange) FROM market.event_daily",
    ] {
        let part: Option<String> = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
        text.push_str(&part.unwrap_or_default());
        text.push_str("\n--\n");
    }
    text
}

/// A generated event tree (`stockdb generate --events`: 8 symbols, two trade dates; each day
/// and exchange a file and a late correction file whose events win over some of the
/// first's), its root.
pub fn generated_event_tree(dir: &Path) -> PathBuf {
    run_with(
        &[
            "generate",
            "--events",
            "--symbols",
            "8",
            "--days",
            "2",
            "--quotes",
            "10000",
            "--out",
            dir.to_str().unwrap(),
        ],
        &[],
        root(),
    )
    .expect_code(0);
    dir.join("events")
}

/// The last three parts of a file's path in a load summary (`csv/2020-08-03/NYSE/part-00000.txt`
/// reads `2020-08-03/NYSE/part-00000.txt`).
pub fn path_tail(file: &serde_json::Value) -> String {
    let path = PathBuf::from(file["path"].as_str().unwrap());
    let tail: Vec<_> = path.iter().rev().take(3).collect();
    let tail: PathBuf = tail.into_iter().rev().collect();
    tail.display().to_string()
}

/// Every file under `dir` (its whole tree), each with its text, gzip decompressed.
pub fn texts_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let mut text = String::new();
            let file = std::fs::File::open(&p).unwrap();
            if p.extension().is_some_and(|x| x == "gz") {
                std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text)
            } else {
                std::io::Read::read_to_string(&mut std::io::BufReader::new(file), &mut text)
            }
            .unwrap();
            out.push((p, text));
        }
    }
    out
}
