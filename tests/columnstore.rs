//! Issue 24: TimescaleDB's columnstore. On the timescale tier every chunk of stockdb's
//! hypertables is in the columnstore when `load`, `refresh` and `migrate` return, writes into
//! converted chunks stay exact, and `status` shows each table's size and ratio. Elsewhere there
//! is no columnstore, and `status` says why. (tests/report.rs checks every stored feature after
//! every kind of write with the chunks converted first; tests/intraday.rs and tests/events.rs
//! load corrections over converted chunks on this tier.)

mod common;

use common::{TestDb, fresh_db, skip, totals};

const TABLES: [&str; 4] = ["daily_prices", "intraday_bars", "quotes", "trades"];

/// Every fixture kind: daily, intraday and events.
const FIXTURES: [&str; 4] = [
    "fixtures/yahoo",
    "fixtures/kaggle",
    "fixtures/intraday",
    "fixtures/events",
];

/// On the timescale tier: every chunk of every hypertable wholly converted.
async fn assert_all_converted(db: &TestDb, after: &str) {
    for table in TABLES {
        let (all, converted) = db.columnstore_chunks(table).await;
        assert!(all > 0, "{table}: no chunks");
        assert_eq!(
            converted, all,
            "{table}: chunks in the columnstore after {after}"
        );
    }
}

/// Runs `stockdb migrate` and checks that it says it converted chunks.
fn migrate_converts(db: &TestDb) {
    let migrate = db.run(&["migrate"]);
    migrate.expect_code(0);
    assert!(
        migrate.stdout().contains("chunks into the columnstore"),
        "{}",
        migrate.describe()
    );
}

#[tokio::test]
async fn load_refresh_and_migrate_leave_every_chunk_in_the_columnstore() {
    let db = fresh_db().await;
    let mut args = vec!["load"];
    args.extend(FIXTURES);
    args.extend(["--format", "json"]);
    let first = db.run(&args);
    first.expect_code(0);
    let status = db.run(&["status", "--format", "json"]);
    status.expect_code(0);
    let storage = status.json()["storage"].as_array().unwrap().clone();
    let names: Vec<&str> = storage
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, TABLES);
    let text = db.run(&["status"]);
    text.expect_code(0);
    if !db.has_columnstore().await {
        skip(
            "load_refresh_and_migrate_leave_every_chunk_in_the_columnstore",
            "no columnstore on this tier; checked that status says so",
        );
        for t in &storage {
            assert_eq!(t["columnstore"], false, "{t}");
        }
        assert!(
            text.stdout().contains("no columnstore on the"),
            "{}",
            text.stdout()
        );
        return;
    }
    assert!(first.json()["columnstore"]["chunks"].as_u64().unwrap() >= 4);
    assert_all_converted(&db, "the first load").await;
    // The planner's estimate counts the converted rows too (it said ~0 once they were moved),
    // so status does not take the loaded prices for another tool's.
    let status = status.json();
    let (rows, estimate) = (
        status["rows"].as_i64().unwrap(),
        status["estimated_rows"].as_i64().unwrap(),
    );
    assert!(
        (estimate - rows).abs() <= rows / 10,
        "estimate {estimate} for {rows} rows"
    );
    assert!(
        !text.stdout().contains("BUT the planner"),
        "{}",
        text.stdout()
    );
    // Each chunk's columnstore is analyzed as it is converted: until then the planner takes it
    // for empty (reltuples -1), and the next load's joins over it hash the stored rows.
    let unanalyzed = db
        .count(
            "SELECT count(*) FROM timescaledb_information.chunks c
             JOIN _timescaledb_catalog.compression_settings s
               ON s.relid = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
             JOIN pg_class r ON r.oid = s.compress_relid
             WHERE c.hypertable_schema = 'market' AND c.is_compressed AND r.reltuples < 0",
        )
        .await;
    assert_eq!(
        unanalyzed, 0,
        "converted chunks whose columnstore has no statistics"
    );
    for t in &storage {
        assert_eq!(t["columnstore"], true, "{t}");
        assert_eq!(t["compressed_chunks"], t["total_chunks"], "{t}");
        // The ratio itself is measured on real-sized data (scripts/bench): a fixture's few
        // rows take a page or two either way.
        assert!(t["after_bytes"].as_i64().unwrap() > 0, "{t}");
    }
    assert!(
        text.stdout().contains("smaller)"),
        "status shows the ratio: {}",
        text.stdout()
    );

    // An unchanged re-load writes nothing, so no chunk needs converting again.
    let before = db.stored_values().await;
    let again = db.run(&args);
    again.expect_code(0);
    assert_eq!(totals(&again.json())["updated"], 0);
    assert_eq!(
        again.json()["columnstore"]["chunks"],
        0,
        "{}",
        again.describe()
    );
    assert_eq!(db.stored_values().await, before);

    // A corrected intraday file into converted chunks: the one changed bar is updated, its
    // 5-minute roll-up follows, and the load converts the chunk again.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("fixtures/intraday/MSFT_1min.csv").unwrap();
    let line = "09:31,2024-03-11,408.16,408.05,408.53,407.87,7695";
    assert!(text.contains(line));
    let path = dir.path().join("MSFT_1min.csv");
    std::fs::write(
        &path,
        text.replacen(line, "09:31,2024-03-11,408.16,408.05,408.53,407.87,7795", 1),
    )
    .unwrap();
    let fixed = db.run(&["load", path.to_str().unwrap(), "--format", "json"]);
    fixed.expect_code(0);
    assert_eq!(totals(&fixed.json())["updated"], 1, "{}", fixed.describe());
    assert!(fixed.json()["columnstore"]["chunks"].as_u64().unwrap() >= 1);
    assert_all_converted(&db, "a corrected intraday file").await;
    let bar = "SELECT volume FROM market.intraday_bars WHERE symbol = 'MSFT'
               AND resolution = '1 minute' AND ts = '2024-03-11 09:31 America/New_York'";
    assert_eq!(db.count(bar).await, 7795);
    let rollup = "SELECT volume FROM market.intraday_5min
                  WHERE symbol = 'MSFT' AND bucket = '2024-03-11 09:30 America/New_York'";
    let summed = "SELECT sum(volume)::bigint FROM market.intraday_bars
                  WHERE symbol = 'MSFT' AND resolution = '1 minute'
                    AND ts >= '2024-03-11 09:30 America/New_York' AND ts < '2024-03-11 09:35 America/New_York'";
    assert_eq!(db.count(rollup).await, db.count(summed).await);
    let before = db.stored_values().await;

    // Another tool's writes leave chunks partial; `stockdb refresh` converts them again.
    let mut conn = db.conn().await;
    sqlx::raw_sql(
        "UPDATE market.daily_prices SET volume = volume + 1 WHERE day IN (SELECT day FROM market.daily_prices ORDER BY day LIMIT 1);
         UPDATE market.intraday_bars SET volume = volume + 1 WHERE ts = (SELECT max(ts) FROM market.intraday_bars);
         UPDATE market.quotes SET bid_size = bid_size + 1 WHERE event_tm = (SELECT min(event_tm) FROM market.quotes)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let partial = db.columnstore_chunks("daily_prices").await;
    assert!(partial.1 < partial.0, "the UPDATE left a partial chunk");
    db.run(&["refresh", "-q"]).expect_code(0);
    assert_all_converted(&db, "stockdb refresh").await;
    let changed = db.stored_values().await;
    assert_ne!(changed, before);

    // A database whose chunks are in row storage (as before migration V17): `migrate` converts.
    sqlx::raw_sql(
        "SELECT decompress_chunk(c) FROM show_chunks('market.daily_prices') c;
         SELECT decompress_chunk(c) FROM show_chunks('market.trades') c",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(db.columnstore_chunks("daily_prices").await.1, 0);
    migrate_converts(&db);
    assert_all_converted(&db, "stockdb migrate").await;
    assert_eq!(
        db.stored_values().await,
        changed,
        "conversion changes no value"
    );
}

/// Migration V21: `daily_prices` keeps only its primary key on every tier. V5's day and month
/// indexes (timescale tier only) are gone: since V17 the refresh reads converted chunks, whose
/// batches' min/max of `day` serve a day range.
#[tokio::test]
async fn daily_prices_keeps_only_its_primary_key() {
    let db = fresh_db().await;
    db.run(&["migrate"]).expect_code(0);
    let mut conn = db.conn().await;
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes
         WHERE schemaname = 'market' AND tablename = 'daily_prices' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(indexes, ["daily_prices_pkey"]);
}

/// The conversion reads each chunk through its primary key instead of sorting it
/// (`timescaledb.enable_compression_indexscan`), which TimescaleDB does only when the key's
/// leading columns are the segment columns in their listed order, then the order columns:
/// true of all four tables on the timescale tier (the event tables since migration V22).
#[tokio::test]
async fn every_columnstore_has_its_order_in_the_primary_key() {
    let db = fresh_db().await;
    db.run(&["migrate"]).expect_code(0);
    if !db.has_columnstore().await {
        skip(
            "every_columnstore_has_its_order_in_the_primary_key",
            "no columnstore on this tier",
        );
        return;
    }
    let mut conn = db.conn().await;
    for table in TABLES {
        let (order, key): (Vec<String>, Vec<String>) = sqlx::query_as(
            "SELECT s.segmentby || s.orderby,
                    (SELECT array_agg(a.attname::text ORDER BY k.n)
                     FROM pg_index i
                     CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE i.indrelid = s.relid AND i.indisprimary)
             FROM _timescaledb_catalog.compression_settings s
             WHERE s.relid = format('market.%I', $1::text)::regclass",
        )
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert!(
            key.starts_with(&order),
            "{table}: columnstore order {order:?}, primary key {key:?}"
        );
    }
}

/// How many of market.`table`'s chunks the plan of `query` reads, in a new session (which has
/// the database's settings, as a BI tool's has).
async fn chunks_planned(db: &TestDb, table: &str, query: &str) -> usize {
    let mut conn = db.conn().await;
    let chunks: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT c::text FROM show_chunks('market.{table}') c"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {query}")))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let plan = plan.join("\n");
    let words: std::collections::HashSet<&str> = plan
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    chunks
        .iter()
        .filter(|c| words.contains(c.rsplit('.').next().unwrap()))
        .count()
}

/// Issue 25: a symbol-day's event reports plan only that day's chunks (chunk skipping on
/// trade_dt, migration V18), however many days are loaded; an event written since a chunk's
/// conversion is never hidden by the chunk's range; and `migrate` gives a range to the chunks
/// converted before V18.
#[tokio::test]
async fn event_queries_plan_only_the_chunks_of_their_trade_dates() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/events", "-q"]).expect_code(0);
    let day =
        "SELECT * FROM market.quote_analytics WHERE symbol = 'ACME' AND trade_dt = '2020-08-06'";
    let rows = "SELECT count(*) FROM market.quote_analytics WHERE symbol = 'ACME' AND trade_dt = '2020-08-07'";
    if !db.has_columnstore().await {
        skip(
            "event_queries_plan_only_the_chunks_of_their_trade_dates",
            "no columnstore on this tier, so no chunk ranges; checked that another writer's late event is read",
        );
    } else {
        let all = db.columnstore_chunks("quotes").await.0 as usize;
        assert!(all >= 2, "the fixture's quotes span days: {all} chunks");
        assert_eq!(chunks_planned(&db, "quotes", day).await, 1);
        assert_eq!(chunks_planned(&db, "trades", day).await, 1);

        // Chunks converted without a range, as before V18 (another session with chunk
        // skipping off): every chunk is planned until `migrate` converts them again.
        let quotes = "SELECT hashtext(string_agg(t::text, '|' ORDER BY trade_dt, exchange,
                                                  event_tm, event_seq_nb))::bigint
                      FROM market.quotes t";
        let before = db.count(quotes).await;
        let mut conn = db.conn().await;
        sqlx::raw_sql(
            "SET timescaledb.enable_chunk_skipping = off;
             SELECT decompress_chunk(c) FROM show_chunks('market.quotes') c;
             SELECT compress_chunk(c) FROM show_chunks('market.quotes') c",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        assert_eq!(chunks_planned(&db, "quotes", day).await, all);
        migrate_converts(&db);
        assert_eq!(chunks_planned(&db, "quotes", day).await, 1);
        assert_eq!(
            db.count(quotes).await,
            before,
            "conversion changes no value"
        );
        // Once ranged, a second migrate converts nothing.
        let again = db.run(&["migrate"]);
        again.expect_code(0);
        assert!(
            !again.stdout().contains("chunks into the columnstore"),
            "{}",
            again.describe()
        );
    }

    // Another writer files a quote under a trade date outside its chunk's range: the chunk is
    // partial, and planned for that date, so the quote is read; after `refresh` converts the
    // chunk again its range covers the date.
    let mut conn = db.conn().await;
    sqlx::raw_sql(
        "INSERT INTO market.quotes (trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm,
                                    bid_pr, bid_size, ask_pr, ask_size)
         VALUES ('2020-08-07', 'ACME', 'NYSE', '2020-08-06 15:00 America/New_York', 999,
                 '2020-08-07 09:00 America/New_York', 100, 100, 100.5, 100)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(db.count(rows).await, 1);
    db.run(&["refresh", "-q"]).expect_code(0);
    assert_eq!(db.count(rows).await, 1);
    if db.has_columnstore().await {
        let (all, converted) = db.columnstore_chunks("quotes").await;
        assert_eq!(converted, all, "quotes' chunks converted again by refresh");
    }
}
