//! The re-load of an event file already stored (issue 25, `src/load/events/compare.rs`)
//! against a real server: a file whose bytes a committed load stored before is compared with
//! the stored events instead of staged and merged. Unchanged, it writes nothing and says so
//! (`write_path` = `unchanged`); any event stored otherwise sends it through the merge, which
//! restores the file's values.

mod common;

use common::{TestDb, event_tables, fresh_db, root, run_with};
use serde_json::Value as J;

fn load(db: &TestDb, args: &[&str]) -> J {
    let mut full = vec!["load"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let run = run_with(&full, &[("DATABASE_URL", db.url.as_str())], root());
    run.expect_code(0);
    run.json()
}

/// (file name's last three parts, write path, unchanged, inserted + updated) of each file.
fn outcomes(summary: &J) -> Vec<(String, String, u64, u64)> {
    common::files(summary)
        .iter()
        .map(|f| {
            assert_eq!(f["check_passed"], true, "{f:#}");
            (
                common::path_tail(f),
                f["write_path"].as_str().unwrap_or("").to_string(),
                f["unchanged"].as_u64().unwrap(),
                f["inserted"].as_u64().unwrap() + f["updated"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_unchanged_reload_compares_each_days_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tree = common::generated_event_tree(dir.path());
    let tree = tree.to_str().unwrap();
    let db = fresh_db().await;
    let first = load(&db, &[tree]);
    let expected = event_tables(&db).await;

    let again = load(&db, &[tree]);
    let outcomes = outcomes(&again);
    assert_eq!(outcomes.len(), 8);
    for (file, path, unchanged, written) in &outcomes {
        // A day's file holds most of its groups' events: compared. A correction file holds a
        // few of each group's: merged (cheaper than reading its groups back).
        let want = if file.ends_with("part-00000.txt") {
            "unchanged"
        } else {
            "merge"
        };
        assert_eq!(path, want, "{file}");
        assert_eq!(*written, 0, "{file}");
        assert!(*unchanged > 0, "{file}");
    }
    // The first files' events that a correction file won are compared too: stored with a
    // later arrival that records theirs among the dropped ones.
    let accepted: u64 = common::files(&first)
        .iter()
        .map(|f| f["accepted"].as_u64().unwrap())
        .sum();
    let unchanged: u64 = outcomes.iter().map(|o| o.2).sum();
    assert_eq!(unchanged, accepted);
    assert!(event_tables(&db).await == expected);
    // A compared file's SHA-256 is taken once, before the parse, and is still its bytes'.
    for f in common::files(&again) {
        let path = f["path"].as_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let want = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
        assert_eq!(f["sha256"].as_str(), Some(want.as_str()), "{path}");
    }

    // The history records the comparison as a load that changed nothing.
    let recorded = db
        .count(
            "SELECT count(*) FROM market.load_runs \
             WHERE status = 'succeeded' AND rows_inserted = 0 AND rows_updated = 0 \
               AND rows_unchanged = rows_accepted AND path LIKE '%part-00000.txt'",
        )
        .await;
    assert_eq!(recorded, 4);
}

#[tokio::test]
async fn an_event_another_writer_changed_sends_the_file_through_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let tree = common::generated_event_tree(dir.path());
    let day = tree.join("csv/2020-08-03/NYSE/part-00000.txt");
    let day = day.to_str().unwrap();
    let db = fresh_db().await;
    load(&db, &[tree.to_str().unwrap()]);
    let expected = event_tables(&db).await;

    // Another tool changes one quote the file gave (one no correction file touched). Found
    // first, then updated: on TimescaleDB's columnstore an UPDATE that reads the hypertable
    // in a subquery can miss the rows its own decompression moves.
    let mut conn = db.conn().await;
    let (symbol, event_tm, seq): (String, chrono::DateTime<chrono::Utc>, i64) = sqlx::query_as(
        "SELECT symbol, event_tm, event_seq_nb FROM market.quotes \
         WHERE trade_dt = '2020-08-03' AND exchange = 'NYSE' AND dropped_arrivals IS NULL \
         ORDER BY symbol, event_tm, event_seq_nb LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let changed = sqlx::query(
        "UPDATE market.quotes SET bid_pr = bid_pr + 1 \
         WHERE trade_dt = '2020-08-03' AND exchange = 'NYSE' \
           AND symbol = $1 AND event_tm = $2 AND event_seq_nb = $3",
    )
    .bind(&symbol)
    .bind(event_tm)
    .bind(seq)
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(changed.rows_affected(), 1);
    assert!(event_tables(&db).await != expected);

    let again = load(&db, &[day]);
    let outcomes = outcomes(&again);
    assert_eq!(outcomes[0].1, "merge", "{outcomes:?}");
    assert_eq!(outcomes[0].3, 1, "the changed quote is written back");
    assert!(event_tables(&db).await == expected);

    // Now as stored again: compared.
    let third = load(&db, &[day]);
    assert_eq!(outcomes_of(&third), ("unchanged".into(), 0));
}

#[tokio::test]
async fn a_file_never_loaded_is_not_compared_even_when_its_events_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let tree = common::generated_event_tree(dir.path());
    let day = tree.join("csv/2020-08-03/NYSE/part-00000.txt");
    let db = fresh_db().await;
    load(&db, &[tree.to_str().unwrap()]);

    // The same events in other bytes (a trailing blank line): no load stored these bytes,
    // so the file merges (and finds nothing to write).
    let copy = dir.path().join("copy.txt");
    let mut bytes = std::fs::read(&day).unwrap();
    bytes.extend_from_slice(b"\n");
    std::fs::write(&copy, bytes).unwrap();
    let summary = load(&db, &[copy.to_str().unwrap()]);
    assert_eq!(outcomes_of(&summary), ("merge".into(), 0));
    // Once loaded, its bytes are known: compared.
    let again = load(&db, &[copy.to_str().unwrap()]);
    assert_eq!(outcomes_of(&again), ("unchanged".into(), 0));
}

/// The write path and the events written of a one-file load.
fn outcomes_of(summary: &J) -> (String, u64) {
    let all = outcomes(summary);
    assert_eq!(all.len(), 1);
    (all[0].1.clone(), all[0].3)
}
