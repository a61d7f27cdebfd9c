//! Issue 42: the timescale tier on every TimescaleDB release stockdb meets (2.28 on PostgreSQL
//! 15, 2.29 on 17). The private interfaces stockdb reads are checked for the shape it expects
//! (a release that moves one fails here first), the public path that replaces them gives the
//! same results, and the scheduled job puts back into the columnstore what another writer left
//! partial, with every aggregate exact.

mod common;

use common::{TestDb, fresh_db, root, run_with, skip};

/// Every fixture kind: daily, intraday and events.
const FIXTURES: [&str; 4] = [
    "fixtures/yahoo",
    "fixtures/kaggle",
    "fixtures/intraday",
    "fixtures/events",
];

const TABLES: [&str; 4] = ["daily_prices", "intraday_bars", "quotes", "trades"];

/// A database on the timescale tier, migrated; None (with a skip line) on other tiers.
async fn timescale_db(test: &str) -> Option<TestDb> {
    let db = fresh_db().await;
    db.run(&["migrate", "-q"]).expect_code(0);
    if db.has_columnstore().await {
        return Some(db);
    }
    skip(
        test,
        "not the timescale tier (TimescaleDB with its community license)",
    );
    None
}

#[tokio::test]
async fn every_private_shape_stockdb_reads_is_there() {
    let Some(db) = timescale_db("every_private_shape_stockdb_reads_is_there").await else {
        return;
    };
    let mut conn = db.conn().await;
    let shapes: Vec<(String, bool)> =
        sqlx::query_as("SELECT shape, present FROM market.timescaledb_private_shapes() ORDER BY 1")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let names: Vec<&str> = shapes.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        ["chunk_status", "compressed_chunk", "invalidation_logs"]
    );
    // A release that moves one of these makes stockdb take its public path (slower, or less
    // exact in what it refreshes); this test says so before a user finds out.
    for (shape, present) in &shapes {
        assert!(
            present,
            "TimescaleDB's {shape} is not in the shape stockdb reads"
        );
    }
    // The chunk catalog's naming, which migrate reads for the chunks to convert again.
    let naming: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(
        std::fs::read_to_string(root().join("src/db/sql/private/chunk_naming.sql")).unwrap(),
    ))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(
        matches!(naming.as_deref(), Some("relid" | "names")),
        "_timescaledb_catalog.chunk names its chunks in a way stockdb does not know: {naming:?}"
    );
}

/// Mismatched rows of the four period aggregates against a GROUP BY of the prices.
async fn stale_aggregate_rows(db: &TestDb) -> i64 {
    let sql = std::fs::read_to_string(root().join("scripts/check_aggregates.sql")).unwrap();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut db.conn().await)
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    rows.iter().map(|r| r.2).sum()
}

/// Loads every fixture kind, lets another writer change rows in converted chunks, and runs
/// the scheduled job once; `public` takes the public paths throughout. Returns the stored
/// values after the job. The aggregates are compared with a GROUP BY instead
/// ([`stale_aggregate_rows`]): sums in another order differ in the last bit.
async fn another_writer_then_the_job(db: &TestDb, public: bool) -> Vec<i64> {
    let env: Vec<(&str, &str)> = match public {
        true => vec![
            ("DATABASE_URL", db.url.as_str()),
            ("STOCKDB_TIMESCALEDB_PRIVATE", "off"),
        ],
        false => vec![("DATABASE_URL", db.url.as_str())],
    };
    let run = |args: &[&str]| run_with(args, &env, root());
    let mut load = vec!["load", "-q"];
    load.extend(FIXTURES);
    run(&load).expect_code(0);
    for table in TABLES {
        let (all, converted) = db.columnstore_chunks(table).await;
        assert_eq!(
            converted, all,
            "{table} after the load (public path: {public})"
        );
    }
    run(&["refresh", "--schedule", "1h"]).expect_code(0);
    let job_id = db
        .count(
            "SELECT job_id::bigint FROM timescaledb_information.jobs
             WHERE proc_schema = 'market' AND proc_name = 'refresh_changed'",
        )
        .await;
    let mut conn = db.conn().await;
    if public {
        sqlx::query("SELECT alter_job($1::int, config => '{\"public_only\": true}')")
            .bind(job_id)
            .execute(&mut conn)
            .await
            .unwrap();
    }

    // Another writer, as a person in psql: rows of converted chunks change.
    sqlx::raw_sql(
        "UPDATE market.daily_prices SET close = close + 1, high = high + 1
         WHERE symbol = 'ACME' AND day IN (SELECT day FROM market.daily_prices
                                           WHERE symbol = 'ACME' ORDER BY day DESC LIMIT 2);
         UPDATE market.intraday_bars SET volume = volume + 1
         WHERE ts = (SELECT max(ts) FROM market.intraday_bars)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let (all, converted) = db.columnstore_chunks("daily_prices").await;
    assert!(converted < all, "the UPDATE left the daily chunk partial");
    assert!(
        stale_aggregate_rows(db).await > 0,
        "the UPDATE is not in the aggregates yet"
    );
    let status = run(&["status"]);
    status.expect_code(0);
    let says = match public {
        true => "partial chunks unknown on this release",
        false => "1 partial until the next load, refresh or scheduled job",
    };
    assert!(status.stdout().contains(says), "{}", status.describe());

    // What TimescaleDB's scheduler runs, run now (simple protocol: the job commits).
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CALL run_job({job_id})")))
        .execute(&mut conn)
        .await
        .unwrap();
    for table in TABLES {
        let (all, converted) = db.columnstore_chunks(table).await;
        assert_eq!(
            converted, all,
            "{table} after the job (public path: {public})"
        );
    }
    assert_eq!(
        stale_aggregate_rows(db).await,
        0,
        "aggregates after the job"
    );
    let status = run(&["status"]);
    assert!(
        !status.stdout().contains(" partial until"),
        "{}",
        status.describe()
    );
    let verbose = run(&["-v", "refresh"]);
    verbose.expect_code(0);
    assert_eq!(
        verbose.stderr().contains("taking the public path"),
        public,
        "{}",
        verbose.describe()
    );
    db.stored_values().await
}

#[tokio::test]
async fn another_writers_partial_chunks_go_back_with_the_scheduled_job_on_both_paths() {
    let test = "another_writers_partial_chunks_go_back_with_the_scheduled_job_on_both_paths";
    let Some(private) = timescale_db(test).await else {
        return;
    };
    let public = fresh_db().await;
    public.run(&["migrate", "-q"]).expect_code(0);
    let by_private = another_writer_then_the_job(&private, false).await;
    let by_public = another_writer_then_the_job(&public, true).await;
    assert_eq!(
        by_private, by_public,
        "the public path stores the same values"
    );
}
