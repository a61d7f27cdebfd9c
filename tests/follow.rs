//! Live data (issue 45): `load --follow FILE` tails a growing file and resumes where it
//! stopped, kill -9 included; `load -` reads standard input; `load --follow DIR` loads files
//! renamed into a folder. Each against a real server, through the real binary.

mod common;

use common::{TestDb, event_tables, fresh_db};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HEADER: &str = "ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp\n";
const TICKERS: [&str; 5] = ["AAPL", "MSFT", "SPY", "BRK.A", "TSLA"];

/// Polygon `trades_v1` lines with sequence numbers `from..to`, one trade a millisecond from
/// 2024-01-02 14:30 UTC, over five tickers and three exchanges.
fn lines(from: u64, to: u64) -> String {
    let base: u64 = 1_704_205_800_000_000_000;
    (from..to)
        .map(|seq| {
            let ticker = TICKERS[(seq % 5) as usize];
            let exchange = [4, 10, 12][(seq % 3) as usize];
            let ts = base + seq * 1_000_000;
            let conditions = if seq % 4 == 0 { "\"12,37\"" } else { "" };
            let price = 100.0 + (seq % 97) as f64 / 100.0;
            format!(
                "{ticker},{conditions},,{exchange},{seq},{},{price:.2},{seq},{ts},{},1,,\n",
                ts - 40_000,
                100 * (1 + seq % 7)
            )
        })
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// `stockdb load --follow PATH` (committing every 200 ms) against `db`, its output to files
/// in `out`.
fn follower(db: &TestDb, path: &Path, extra: &[&str], out: &Path) -> Child {
    let log = |name: &str| {
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(out.join(name))
            .unwrap()
    };
    Command::new(env!("CARGO_BIN_EXE_stockdb"))
        .args(["load", "--follow"])
        .arg(path)
        .args(["--commit-interval", "200ms", "--no-progress"])
        .args(extra)
        .env("DATABASE_URL", &db.url)
        .env("STOCKDB_HOME", out.join("home"))
        .stdout(log("stdout"))
        .stderr(log("stderr"))
        .spawn()
        .unwrap()
}

/// SIGTERM, then the exit code.
fn terminate(mut child: Child) -> Option<i32> {
    // SAFETY: kill(2) with a child's pid and SIGTERM has no memory effects.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap().code()
}

/// Polls `sql` until it gives `want` (60 s at most).
async fn wait_for(db: &TestDb, sql: &str, want: i64, out: &Path) {
    let started = Instant::now();
    loop {
        let got = db.count(sql).await;
        if got == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{sql}: {got}, waiting for {want}; stderr:\n{}",
            std::fs::read_to_string(out.join("stderr")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn read(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(name)).unwrap_or_default()
}

/// The same file loaded in one batch into a database of its own: what a follow must equal.
async fn batch_reference(file: &Path) -> String {
    let reference = fresh_db().await;
    reference
        .run(&["load", file.to_str().unwrap(), "-q"])
        .expect_code(0);
    event_tables(&reference).await
}

/// A fresh database, migrated, so that the test may query it before the follower's first commit.
async fn migrated_db() -> TestDb {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    db
}

const TRADES: &str = "SELECT count(*) FROM market.trades";

#[tokio::test]
async fn a_growing_file_commits_complete_lines_and_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trades.csv");
    append(&file, &format!("{HEADER}{}", lines(1, 101)));
    // A half-written last line waits for its newline.
    let next = lines(101, 151);
    let (half, rest) = next.split_at(12);
    append(&file, half);
    let db = migrated_db().await;
    let child = follower(&db, &file, &[], dir.path());
    wait_for(&db, TRADES, 100, dir.path()).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(db.count(TRADES).await, 100, "the half line is not read");
    append(&file, rest);
    wait_for(&db, TRADES, 150, dir.path()).await;
    // Fresh while it runs: the 1-minute bars from trades count every committed trade that
    // counts in the volume (the refresh after each commit with real-time aggregation, or the
    // views).
    let in_bars = "SELECT coalesce(sum(trades), 0)::bigint FROM market.trade_bars_1min";
    let eligible = db
        .count("SELECT count(*) FROM market.trades t WHERE market.trade_sets_volume(t.source, t.conditions, t.correction)")
        .await;
    wait_for(&db, in_bars, eligible, dir.path()).await;
    assert_eq!(terminate(child), Some(0), "{}", read(dir.path(), "stderr"));
    let stdout = read(dir.path(), "stdout");
    assert!(stdout.contains("stopped by signal"), "{stdout}");
    assert_eq!(
        db.count("SELECT line FROM market.follow_offsets").await,
        151,
        "the header and 150 lines are committed"
    );
    assert_eq!(
        db.count("SELECT byte_offset FROM market.follow_offsets")
            .await as u64,
        std::fs::metadata(&file).unwrap().len()
    );

    // Stopped, the file grows; a restart reads on from the stored offset.
    append(&file, &lines(151, 201));
    let child = follower(&db, &file, &[], dir.path());
    wait_for(&db, TRADES, 200, dir.path()).await;
    assert_eq!(terminate(child), Some(0));
    let stdout = read(dir.path(), "stdout");
    assert!(stdout.contains("resumed after line 151"), "{stdout}");
    assert_eq!(
        event_tables(&db).await,
        batch_reference(&file).await,
        "the followed file's tables equal a batch load of the whole file"
    );
}

#[tokio::test]
async fn killed_three_times_while_the_file_grows_every_line_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trades.csv");
    append(&file, HEADER);
    let db = migrated_db().await;
    let total: u64 = 30_000;
    let writer = {
        let file = file.clone();
        std::thread::spawn(move || {
            // 300 lines every 30 ms: about 3 s of growth.
            for start in (1..=total).step_by(300) {
                append(&file, &lines(start, (start + 300).min(total + 1)));
                std::thread::sleep(Duration::from_millis(30));
            }
        })
    };
    let mut child = follower(&db, &file, &[], dir.path());
    for pause in [700, 450, 900] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        child.kill().unwrap(); // SIGKILL: no handler runs
        child.wait().unwrap();
        child = follower(&db, &file, &[], dir.path());
    }
    writer.join().unwrap();
    wait_for(&db, TRADES, total as i64, dir.path()).await;
    assert_eq!(terminate(child), Some(0), "{}", read(dir.path(), "stderr"));
    assert_eq!(
        db.count("SELECT count(DISTINCT event_seq_nb) FROM market.trades")
            .await,
        total as i64
    );
    assert_eq!(
        event_tables(&db).await,
        batch_reference(&file).await,
        "after three kills the tables equal a batch load of the final file"
    );
}

#[tokio::test]
async fn standard_input_stores_a_line_sent_twice_once() {
    let db = fresh_db().await;
    // An at-least-once source: a batch sent again after a reconnect, and one line twice.
    let body = format!("{}{}{}", lines(1, 41), lines(31, 41), lines(20, 21));
    let run = |input: String, args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stockdb"))
            .args(["load", "-", "--commit-interval", "100ms", "--no-progress"])
            .args(args)
            .env("DATABASE_URL", &db.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(format!("{HEADER}{body}"), &["--name", "trades.csv"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("stopped by end of input"), "{stdout}");
    assert_eq!(db.count(TRADES).await, 40);
    // A headerless feed, its layout given: the same events again change nothing.
    let out = run(
        lines(35, 46),
        &["--header", HEADER.trim_end(), "--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let totals = &json["totals"];
    assert_eq!(totals["accepted"], 11, "{json}");
    assert_eq!(totals["inserted"], 5, "{json}");
    assert_eq!(totals["unchanged"], 6, "{json}");
    assert_eq!(db.count(TRADES).await, 45);
    assert_eq!(
        db.count("SELECT count(*) FROM market.follow_offsets").await,
        0,
        "standard input is never resumed from an offset"
    );
    // Daily rows without a symbol: refused, not stored under the stand-in name.
    let out = run(
        "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,100\n".into(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("give --symbol"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.daily_prices").await,
        0
    );
}

#[tokio::test]
async fn a_bad_line_stops_the_follow_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trades.csv");
    append(&file, &format!("{HEADER}{}", lines(1, 11)));
    let db = migrated_db().await;
    let child = follower(&db, &file, &[], dir.path());
    wait_for(&db, TRADES, 10, dir.path()).await;
    // Line 12 of the file: a price that is no number (column 7).
    append(
        &file,
        &format!(
            "{}AAPL,,,4,99,1,abc,99,1704205800000000000,100,1,,\n",
            lines(11, 12)
        ),
    );
    let mut child = child;
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(1), "a bad line stops the follow");
    let stderr = read(dir.path(), "stderr");
    let at = format!("{}:13:7", file.display());
    assert!(stderr.contains(&at), "names {at}: {stderr}");
    assert_eq!(
        db.count(TRADES).await,
        10,
        "nothing of the bad piece is loaded"
    );
    assert_eq!(db.count("SELECT line FROM market.follow_offsets").await, 11);

    // --max-bad-rows 1: the line goes to the rejects file, with its line, and the rest loads.
    let rejects = dir.path().join("rejects");
    let child = follower(
        &db,
        &file,
        &[
            "--max-bad-rows",
            "1",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        dir.path(),
    );
    wait_for(&db, TRADES, 11, dir.path()).await;
    assert_eq!(terminate(child), Some(0));
    let kept = std::fs::read_to_string(rejects.join(format!(
        "{}_trades.csv.rejects.csv",
        dir.path().file_name().unwrap().to_string_lossy()
    )))
    .unwrap();
    assert!(kept.lines().nth(1).unwrap().starts_with("13,7,"), "{kept}");
}

#[tokio::test]
async fn a_truncated_file_is_read_again_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trades.csv");
    append(&file, &format!("{HEADER}{}", lines(1, 21)));
    let db = migrated_db().await;
    let child = follower(&db, &file, &[], dir.path());
    wait_for(&db, TRADES, 20, dir.path()).await;
    // Rewritten in place, shorter: a recorder restarted for the next session.
    std::fs::write(&file, format!("{HEADER}{}", lines(1001, 1006))).unwrap();
    wait_for(&db, TRADES, 25, dir.path()).await;
    assert_eq!(terminate(child), Some(0));
    assert_eq!(
        db.count("SELECT restarts FROM market.follow_offsets").await,
        1
    );
    assert!(read(dir.path(), "stderr").contains("truncated"));
    assert_eq!(db.count("SELECT line FROM market.follow_offsets").await, 6);
}

#[tokio::test]
async fn a_folder_loads_each_file_renamed_into_place_once() {
    let dir = tempfile::tempdir().unwrap();
    let landing = dir.path().join("landing");
    std::fs::create_dir(&landing).unwrap();
    let db = migrated_db().await;
    let drop_in = |name: &str, body: String| -> PathBuf {
        // Written under a hidden name, then renamed into place, as vendors' sync tools do.
        let temp = landing.join(format!(".{name}"));
        std::fs::write(&temp, body).unwrap();
        let path = landing.join(name);
        std::fs::rename(&temp, &path).unwrap();
        path
    };
    let child = follower(&db, &landing, &["--settle", "300ms"], dir.path());
    drop_in("2024-01-02.csv", format!("{HEADER}{}", lines(1, 51)));
    let loaded = "SELECT count(*) FROM market.load_runs WHERE status = 'succeeded'";
    wait_for(&db, loaded, 1, dir.path()).await;
    drop_in("2024-01-03.csv", format!("{HEADER}{}", lines(51, 81)));
    wait_for(&db, loaded, 2, dir.path()).await;
    assert_eq!(db.count(TRADES).await, 80);
    assert_eq!(terminate(child), Some(0), "{}", read(dir.path(), "stderr"));
    // Restarted: market.load_runs says both are done.
    std::fs::write(dir.path().join("stderr"), "").unwrap();
    let child = follower(&db, &landing, &["--settle", "300ms"], dir.path());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(terminate(child), Some(0));
    assert_eq!(db.count(loaded).await, 2, "nothing is loaded twice");
    assert!(
        read(dir.path(), "stderr").contains("2 loaded before"),
        "{}",
        read(dir.path(), "stderr")
    );
}

/// `count` Yahoo-style daily rows from 2024-01-02 on (weekdays), close = 100 + i.
fn daily_rows(from: usize, count: usize) -> String {
    let mut day = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    let mut out = String::new();
    let mut i = 0;
    while i < from + count {
        if chrono::Datelike::weekday(&day).number_from_monday() <= 5 {
            if i >= from {
                let c = 100.0 + i as f64;
                out.push_str(&format!(
                    "{day},{:.2},{:.2},{:.2},{c:.2},{c:.2},{}\n",
                    c - 0.5,
                    c + 1.0,
                    c - 1.0,
                    1000 + i
                ));
            }
            i += 1;
        }
        day = day.succ_opt().unwrap();
    }
    out
}

#[tokio::test]
async fn a_growing_daily_file_keeps_latest_and_the_moving_averages_current() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ACME.csv");
    append(
        &file,
        &format!(
            "Date,Open,High,Low,Close,Adj Close,Volume\n{}",
            daily_rows(0, 30)
        ),
    );
    let db = migrated_db().await;
    let child = follower(&db, &file, &[], dir.path());
    let days = "SELECT count(*) FROM market.daily_prices WHERE symbol = 'ACME'";
    wait_for(&db, days, 30, dir.path()).await;
    append(&file, &daily_rows(30, 1));
    wait_for(&db, days, 31, dir.path()).await;
    // Committed with the day: the report and the stored averages include it.
    let latest = db.run(&["report", "latest", "--symbol", "ACME", "--format", "csv"]);
    latest.expect_code(0);
    assert!(latest.stdout().contains("130"), "{}", latest.stdout());
    // The 20-day average of closes 111..130.
    assert_eq!(
        db.count("SELECT round(sma_20 * 100)::bigint FROM market.moving_averages WHERE symbol = 'ACME' ORDER BY day DESC LIMIT 1")
            .await,
        12050
    );
    assert_eq!(terminate(child), Some(0));
}
