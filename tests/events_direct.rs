//! The direct path of event files (issue 25, `src/load/events/direct.rs`) against a real
//! server: a day's first file COPYs straight into `market.trades` / `market.quotes` and the
//! tables end up exactly as the merge leaves them; every case the direct path does not take
//! goes through the merge with the same result, nothing of the attempt left behind.
//! `STOCKDB_EVENT_COPY=off` gives the merge's result to compare with.

mod common;

use common::{TestDb, event_tables, fresh_db, root, run_with};
use serde_json::Value as J;
use std::path::{Path, PathBuf};

/// `stockdb load … --format json` with the copy path on (`STOCKDB_EVENT_COPY` = `on`) or off.
fn load(db: &TestDb, copy: &str, args: &[&str]) -> J {
    let run = load_run(db, copy, args);
    run.expect_code(0);
    run.json()
}

fn load_run(db: &TestDb, copy: &str, args: &[&str]) -> common::Run {
    let mut full = vec!["load"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    run_with(
        &full,
        &[
            ("DATABASE_URL", db.url.as_str()),
            ("STOCKDB_EVENT_COPY", copy),
        ],
        root(),
    )
}

/// Never the copy path.
const MERGE_ONLY: &str = "off";
/// The copy path where the load chooses it (the default).
const COPY: &str = "on";

/// The write path of each file of a load's summary, by its path's last three parts.
fn paths(summary: &J) -> Vec<(String, String)> {
    summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["check_passed"], true, "{f:#}");
            (
                common::path_tail(f),
                f["write_path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_days_first_file_copies_straight_into_the_tables_as_the_merge_would_write_them() {
    let dir = tempfile::tempdir().unwrap();
    let tree = common::generated_event_tree(dir.path());
    let tree = tree.to_str().unwrap();

    let merged = fresh_db().await;
    let summary = load(&merged, MERGE_ONLY, &[tree]);
    assert!(paths(&summary).iter().all(|(_, p)| p == "merge"));
    let expected = event_tables(&merged).await;

    // One file at a time, in path order: each day's part-00000 first, on an empty day.
    let direct = fresh_db().await;
    let summary = load(&direct, COPY, &[tree, "--jobs", "1"]);
    for (file, path) in paths(&summary) {
        let want = if file.ends_with("part-00000.txt") {
            "copy"
        } else {
            "merge"
        };
        assert_eq!(path, want, "{file}");
    }
    assert_eq!(summary["totals"]["updated"], merged_updates(&merged).await);
    assert!(
        event_tables(&direct).await == expected,
        "copy and merge differ"
    );

    // Files at once, whichever takes a day first: the same tables.
    let parallel = fresh_db().await;
    load(&parallel, COPY, &[tree, "--jobs", "4"]);
    assert!(event_tables(&parallel).await == expected);

    // A re-load finds its days stored: each day's file is compared with the stored events
    // (`compare.rs`, tests/events_compare.rs), its correction file merged; nothing is written.
    let again = load(&direct, COPY, &[tree]);
    for (file, path) in paths(&again) {
        let want = if file.ends_with("part-00000.txt") {
            "unchanged"
        } else {
            "merge"
        };
        assert_eq!(path, want, "{file}");
    }
    assert_eq!(again["totals"]["inserted"], 0);
    assert_eq!(again["totals"]["updated"], 0);
    assert!(event_tables(&direct).await == expected);
}

/// The late corrections the merge applied: the updates a load of the generated tree reports.
async fn merged_updates(db: &TestDb) -> J {
    let n = db
        .count(
            "SELECT (SELECT count(*) FROM market.trades WHERE dropped_arrivals IS NOT NULL)
                  + (SELECT count(*) FROM market.quotes WHERE dropped_arrivals IS NOT NULL)",
        )
        .await;
    J::from(n)
}

/// One file of the generated tree, by its path under the tree.
fn part(tree: &Path, day: &str, file: &str) -> PathBuf {
    tree.join("csv").join(day).join("NYSE").join(file)
}

#[tokio::test]
async fn a_file_the_direct_path_does_not_take_goes_through_the_merge_with_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    let tree = common::generated_event_tree(dir.path());
    let first = part(&tree, "2020-08-03", "part-00000.txt");
    let text = std::fs::read_to_string(&first).unwrap();
    assert!(
        text.len() > 64 * 1024,
        "the head must not hold the whole file"
    );
    let write_path = |summary: &J| summary["files"][0]["write_path"].clone();

    // An event twice in the file: the tables' key refuses the COPY; the merge keeps the
    // latest arrival.
    let twice = dir.path().join("twice.txt");
    let line = text.lines().nth(100).unwrap();
    let mut fields: Vec<&str> = line.split(',').collect();
    let later = fields[1].replace("09:30:00", "10:30:00");
    fields[1] = &later;
    let repeated = fields.join(",");
    std::fs::write(&twice, format!("{text}{repeated}\n")).unwrap();
    let db = fresh_db().await;
    let summary = load(&db, COPY, &[twice.to_str().unwrap()]);
    assert_eq!(write_path(&summary), "merge", "{summary:#}");
    assert_eq!(summary["files"][0]["duplicates"], 1);
    let arrival = db
        .count(&format!(
            "SELECT count(*) FROM market.{} WHERE symbol = '{}' AND event_seq_nb = {}
               AND arrival_tm = '{}'::timestamp AT TIME ZONE 'America/New_York'",
            if fields[2] == "T" { "trades" } else { "quotes" },
            fields[3],
            fields[5],
            later
        ))
        .await;
    assert_eq!(arrival, 1, "the later arrival wins");

    // A record of a trade date its first 64 KiB do not hold: the file goes to the merge, and
    // the tables equal loading both days' files through it.
    let two_days = dir.path().join("two_days.txt");
    let second = std::fs::read_to_string(part(&tree, "2020-08-04", "part-00000.txt")).unwrap();
    std::fs::write(&two_days, format!("{text}{second}")).unwrap();
    let db = fresh_db().await;
    let summary = load(&db, COPY, &[two_days.to_str().unwrap()]);
    assert_eq!(write_path(&summary), "merge", "{summary:#}");
    let merged = fresh_db().await;
    load(&merged, MERGE_ONLY, &[two_days.to_str().unwrap()]);
    assert!(event_tables(&db).await == event_tables(&merged).await);

    // The day has events stored (its correction file came first): the merge.
    let db = fresh_db().await;
    let correction = part(&tree, "2020-08-03", "part-00001.txt");
    let summary = load(&db, COPY, &[correction.to_str().unwrap()]);
    assert_eq!(write_path(&summary), "copy", "{summary:#}");
    let summary = load(&db, COPY, &[first.to_str().unwrap()]);
    assert_eq!(write_path(&summary), "merge", "{summary:#}");
    let merged = fresh_db().await;
    load(&merged, MERGE_ONLY, &[correction.to_str().unwrap()]);
    load(&merged, MERGE_ONLY, &[first.to_str().unwrap()]);
    assert!(event_tables(&db).await == event_tables(&merged).await);
}

/// Rows another tool stored in the file's groups (no `market.event_daily` row tells of them):
/// one with an event of the file, one with an event of its own. Both send the file to the
/// merge, which keeps the later arrival and the other event.
#[tokio::test]
async fn another_writers_events_in_the_files_groups_send_it_to_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let tree = common::generated_event_tree(dir.path());
    let file = part(&tree, "2020-08-03", "part-00000.txt");
    let file = file.to_str().unwrap();
    // The file's first quote of AAAA: its event time (New York, EDT) and sequence number.
    let text = std::fs::read_to_string(file).unwrap();
    let quote: Vec<&str> = text
        .lines()
        .find(|l| l.contains(",Q,AAAA,"))
        .unwrap()
        .split(',')
        .collect();
    let (event_tm, seq) = (quote[4], quote[5]);
    for (case, seq, events_more) in [("same event", seq, 0), ("other event", "999999", 1)] {
        let db = fresh_db().await;
        db.run(&["migrate", "-q"]).expect_code(0);
        let mut conn = db.conn().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO market.quotes (trade_dt, symbol, exchange, event_tm, event_seq_nb,
                                        arrival_tm, bid_pr, bid_size, ask_pr, ask_size)
             VALUES ('2020-08-03', 'AAAA', 'NYSE', '{event_tm}-04', {seq},
                     '2020-08-03 08:00-04', 1, 1, 2, 1)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        let summary = load(&db, COPY, &[file]);
        assert_eq!(
            summary["files"][0]["write_path"], "merge",
            "{case}: {summary:#}"
        );
        let merged = fresh_db().await;
        let expected = load(&merged, MERGE_ONLY, &[file]);
        let accepted = expected["totals"]["accepted"].as_i64().unwrap();
        assert_eq!(
            db.count(
                "SELECT (SELECT count(*) FROM market.trades) + (SELECT count(*) FROM market.quotes)"
            )
            .await,
            accepted + events_more,
            "{case}"
        );
        // The file's later arrival won over the foreign row, and event_daily counts all.
        assert_eq!(
            db.count("SELECT count(*) FROM market.quotes WHERE bid_pr = 1")
                .await,
            events_more,
            "{case}"
        );
        assert_eq!(
            db.count("SELECT sum(trades + quotes)::bigint FROM market.event_daily")
                .await,
            accepted + events_more,
            "{case}"
        );
    }
}

/// A bad record: refused under `--max-bad-rows 0` with file, line and reason, nothing loaded;
/// skipped under `--max-bad-rows 1`, the rest copied.
#[tokio::test]
async fn a_bad_record_in_a_copied_file_refuses_it_or_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let tree = common::generated_event_tree(dir.path());
    let text = std::fs::read_to_string(part(&tree, "2020-08-03", "part-00000.txt")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let bad_line = lines.len() - 10;
    lines[bad_line - 1] = "2020-08-03,2020-08-03 09:30:00.0,Q,AAAA,not a time,1,NYSE,1,1,2,1";
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let bad = bad.to_str().unwrap();

    let db = fresh_db().await;
    let run = load_run(&db, COPY, &[bad, "--max-bad-rows", "0"]);
    assert_ne!(run.code(), 0);
    let err = run.stderr();
    assert!(
        err.contains(&format!("bad.txt:{bad_line}")) && err.contains("nothing loaded"),
        "{err}"
    );
    assert_eq!(
        db.count(
            "SELECT (SELECT count(*) FROM market.trades) + (SELECT count(*) FROM market.quotes)"
        )
        .await,
        0
    );

    let summary = load(&db, COPY, &[bad, "--max-bad-rows", "1"]);
    let f = &summary["files"][0];
    assert_eq!(f["write_path"], "copy", "{f:#}");
    assert_eq!(f["rejected"], 1);
    assert_eq!(f["inserted"].as_u64().unwrap(), lines.len() as u64 - 1);
    assert_eq!(
        db.count(
            "SELECT (SELECT count(*) FROM market.trades) + (SELECT count(*) FROM market.quotes)"
        )
        .await,
        lines.len() as i64 - 1
    );
}
