//! Vendor trade and quote day files (issue 44) against a real server: Polygon/Massive
//! `trades_v1` and `quotes_v1`, NYSE Daily TAQ and Databento, written by `stockdb generate`,
//! read here with a parser of our own and compared with the tables field by field; identity
//! (a re-load changes nothing, a re-issued day updates only its corrected events), the bars
//! built from trades, and the bad and odd input (a cut TAQ file, a wrong trailer count, a
//! trade without a price, crossed and one-sided quotes).

mod common;

use common::{TestDb, files, fresh_db, totals};
use sqlx::Row;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn generate(dir: &Path, layout: &str, symbols: &str, per_day: &str) -> PathBuf {
    let out = dir.join(layout);
    let run = common::run_with(
        &[
            "generate",
            "--vendor",
            layout,
            "--symbols",
            symbols,
            "--days",
            "1",
            "--trades",
            per_day,
            "--quotes",
            per_day,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
        common::root(),
    );
    run.expect_code(0);
    out
}

fn load(db: &TestDb, args: &[&str], code: i32) -> serde_json::Value {
    let mut full = vec!["load"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let run = db.run(&full);
    run.expect_code(code);
    run.json()
}

/// Every file under `dir`, decompressed, but Databento's symbology.
fn texts(dir: &Path) -> Vec<(PathBuf, String)> {
    common::texts_under(dir)
        .into_iter()
        .filter(|(p, _)| p.file_name().is_some_and(|n| n != "symbology.json"))
        .collect()
}

/// A trade as the test reads it: (symbol, event_ns) → price bits, size, exchange, sequence,
/// id, conditions as PostgreSQL prints a text[], correction, tape, trf_id, trf_ns,
/// participant_ns.
type Trade = (
    u64,
    i64,
    String,
    i64,
    Option<String>,
    String,
    i16,
    String,
    String,
    Option<i64>,
    Option<i64>,
);

/// The trades of Polygon `trades_v1` files, by the vendor's documented columns.
fn polygon_trades(dir: &Path) -> BTreeMap<(String, i64), Trade> {
    let mut trades = BTreeMap::new();
    for (_, text) in texts(dir) {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        for rec in r.records() {
            let f = rec.unwrap();
            let opt = |i: usize| (!f[i].is_empty()).then(|| f[i].parse::<i64>().unwrap());
            let codes: Vec<&str> = f[1].split(',').filter(|c| !c.is_empty()).collect();
            trades.insert(
                (f[0].to_string(), f[8].parse().unwrap()),
                (
                    f[6].parse::<f64>().unwrap().to_bits(),
                    f[9].parse().unwrap(),
                    f[3].to_string(),
                    f[7].parse().unwrap(),
                    Some(f[4].to_string()),
                    format!("{{{}}}", codes.join(",")),
                    if f[2].is_empty() {
                        0
                    } else {
                        f[2].parse().unwrap()
                    },
                    f[10].to_string(),
                    f[11].to_string(),
                    opt(12),
                    opt(5),
                ),
            );
        }
    }
    trades
}

async fn stored_trades(db: &TestDb, source: &str) -> BTreeMap<(String, i64), Trade> {
    let mut conn = db.conn().await;
    sqlx::query(
        "SELECT symbol, event_ns, price, size, exchange, event_seq_nb, execution_id,
                conditions::text AS conditions, correction, tape, trf_id, trf_ns, participant_ns,
                event_tm = to_timestamp(floor(event_ns / 1000.0) / 1e6) AS tm_ok
         FROM market.trades WHERE source = $1",
    )
    .bind(source)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        assert!(
            r.get::<bool, _>("tm_ok"),
            "event_tm is event_ns cut to the microsecond"
        );
        (
            (r.get("symbol"), r.get("event_ns")),
            (
                r.get::<f64, _>("price").to_bits(),
                r.get("size"),
                r.get("exchange"),
                r.get("event_seq_nb"),
                r.get("execution_id"),
                r.get("conditions"),
                r.get("correction"),
                r.get("tape"),
                r.get("trf_id"),
                r.get("trf_ns"),
                r.get("participant_ns"),
            ),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn polygon_trades_load_exactly_with_their_fields_and_bars() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let trades = generate(dir.path(), "polygon-trades", "60", "30000");
    let json = load(&db, &[trades.to_str().unwrap()], 0);
    let f = &files(&json)[0];
    assert_eq!(f["write_path"], "copy", "{f}");
    assert!(f["format"].as_str().unwrap().contains("trades_v1"), "{f}");
    let expected = polygon_trades(&trades);
    assert!(expected.len() > 29_000, "{} trades", expected.len());
    assert!(
        expected.values().any(|t| t.5 == "{12,37}"),
        "quoted condition lists"
    );
    assert!(
        expected.values().any(|t| t.8.is_empty()) && expected.values().any(|t| !t.8.is_empty())
    );
    assert_eq!(
        stored_trades(&db, "polygon").await,
        expected,
        "every trade as the file has it"
    );

    // The bars: in the generated day only trades without conditions or correction may set a
    // price (odd lots, 37, and Form T, 12, may not), and every uncorrected trade counts in
    // the volume.
    let differ = db
        .count(
            "SELECT count(*) FROM (
                 SELECT symbol, date_bin('1 hour', event_tm, TIMESTAMPTZ '2000-01-01 00:00+00') AS bucket,
                        max(price) FILTER (WHERE conditions = '{}' AND correction = 0) AS high,
                        coalesce(sum(size) FILTER (WHERE correction = 0), 0) AS volume,
                        count(*) FILTER (WHERE correction = 0) AS trades
                 FROM market.trades GROUP BY 1, 2) t
             FULL JOIN market.trade_bars_hourly b USING (symbol, bucket)
             WHERE (t.high, t.volume, t.trades) IS DISTINCT FROM (b.high, b.volume, b.trades)",
        )
        .await;
    assert_eq!(differ, 0, "hourly trade bars that differ from the trades");
    let daily = db
        .count("SELECT sum(volume)::bigint FROM market.trade_bars_daily")
        .await;
    let volume = db
        .count("SELECT sum(size)::bigint FROM market.trades WHERE correction = 0")
        .await;
    assert_eq!(daily, volume);

    // A re-load changes nothing; its counts and digest sums say so without a merge.
    let json = load(&db, &[trades.to_str().unwrap()], 0);
    assert_eq!(files(&json)[0]["write_path"], "unchanged", "{json}");
    let t = totals(&json);
    assert_eq!(
        (t["inserted"].as_u64(), t["updated"].as_u64()),
        (Some(0), Some(0)),
        "{t}"
    );

    // Another tool changes a stored trade: the same bytes again find it (the sums differ)
    // and write back the file's value.
    let mut conn = db.conn().await;
    sqlx::query(
        "UPDATE market.trades SET price = price + 1
         WHERE (symbol, event_seq_nb) = (SELECT symbol, event_seq_nb FROM market.trades
                                         ORDER BY symbol, event_seq_nb LIMIT 1)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let json = load(&db, &[trades.to_str().unwrap()], 0);
    let t = totals(&json);
    assert_eq!(
        (t["inserted"].as_u64(), t["updated"].as_u64()),
        (Some(0), Some(1)),
        "{t}"
    );
    assert_eq!(stored_trades(&db, "polygon").await, expected);

    // A re-issued day with three trades corrected updates those three only.
    let (path, text) = texts(&trades).pop().unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for i in [10, 2000, 29_000] {
        let mut f: Vec<String> = split_polygon(&lines[i]);
        f[6] = format!("{:.2}", f[6].parse::<f64>().unwrap() + 0.01);
        lines[i] = join_polygon(&f);
    }
    let reissued = dir.path().join("reissued").join(path.file_name().unwrap());
    std::fs::create_dir_all(reissued.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&reissued).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    gz.finish().unwrap();
    let json = load(&db, &[reissued.to_str().unwrap()], 0);
    let t = totals(&json);
    assert_eq!(
        (t["inserted"].as_u64(), t["updated"].as_u64()),
        (Some(0), Some(3)),
        "{t}"
    );
    assert_eq!(
        stored_trades(&db, "polygon").await,
        polygon_trades(reissued.parent().unwrap())
    );
    let stale = db
        .count("SELECT count(*) FROM market.trade_stale_ranges")
        .await;
    assert_eq!(stale, 0, "the bars are refreshed after the load");
}

/// A Polygon line's fields, its quoted condition list kept whole.
fn split_polygon(line: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    r.records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()
}

fn join_polygon(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains(',') {
                format!("\"{f}\"")
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test(flavor = "multi_thread")]
async fn taq_files_load_with_their_trailer_and_cut_ones_are_refused() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let taq = generate(dir.path(), "taq-trades", "1010", "20000");
    let json = load(&db, &[taq.to_str().unwrap()], 0);
    let t = totals(&json);
    let (path, text) = texts(&taq).pop().unwrap();
    // Every line but the header and the END trailer is a trade.
    assert_eq!(
        t["accepted"].as_u64(),
        Some(text.lines().count() as u64 - 2),
        "{t}"
    );
    assert!(text.lines().last().unwrap().starts_with("END|"));
    // A share class (`XXXX A` in TAQ) is stored as every kind stores it, `XXXX.A`.
    let class = text
        .lines()
        .map(|l| l.split('|').nth(2).unwrap())
        .find(|s| s.contains(' '))
        .expect("a share class in the file")
        .to_string();
    let canonical = class.replace(' ', ".");
    let stored = db
        .count(&format!(
            "SELECT count(*) FROM market.trades WHERE symbol = '{canonical}'"
        ))
        .await;
    assert!(stored > 0, "{class} stored as {canonical}");
    // Each trade's time is the file's New York time on the file's date, to the nanosecond.
    let line = text.lines().nth(1).unwrap();
    let f: Vec<&str> = line.split('|').collect();
    let day = chrono::NaiveDate::parse_from_str(
        &path.file_name().unwrap().to_string_lossy()[17..25],
        "%Y%m%d",
    )
    .unwrap();
    let local = day.and_hms_opt(
        f[0][0..2].parse().unwrap(),
        f[0][2..4].parse().unwrap(),
        f[0][4..6].parse().unwrap(),
    );
    use chrono::TimeZone;
    let utc = chrono_tz::America::New_York
        .from_local_datetime(&local.unwrap())
        .unwrap()
        .timestamp();
    let ns = utc * 1_000_000_000 + f[0][6..].parse::<i64>().unwrap();
    let found = db
        .count(&format!(
            "SELECT count(*) FROM market.trades WHERE source = 'taq' AND event_ns = {ns} AND event_seq_nb = {}",
            f[8]
        ))
        .await;
    assert_eq!(found, 1, "{line}");

    // Cut before its trailer, or with a trailer that counts otherwise: refused, nothing written.
    let before = db.count("SELECT count(*) FROM market.trades").await;
    let body: Vec<&str> = text.lines().take(800).collect();
    let cut = dir.path().join("cut").join("EQY_US_ALL_TRADE_20240103");
    std::fs::create_dir_all(cut.parent().unwrap()).unwrap();
    std::fs::write(&cut, body.join("\n") + "\n").unwrap();
    let run = db.run(&["load", cut.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("without TAQ's END trailer"),
        "{}",
        run.stderr()
    );
    std::fs::write(&cut, body.join("\n") + "\nEND|20240103|900|||\n").unwrap();
    let run = db.run(&["load", cut.to_str().unwrap()]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("counts 900 records but the file has 799"),
        "{}",
        run.stderr()
    );
    assert_eq!(db.count("SELECT count(*) FROM market.trades").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn quotes_keep_crossed_and_one_sided_books_and_a_trade_needs_a_price() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    // Polygon quotes: about one in 2,000 is crossed; they load, counted among the warnings.
    let quotes = generate(dir.path(), "polygon-quotes", "40", "20000");
    let json = load(&db, &[quotes.to_str().unwrap()], 0);
    let crossed = db
        .count("SELECT count(*) FROM market.quotes WHERE ask_pr < bid_pr")
        .await;
    assert!(crossed > 0);
    assert_eq!(totals(&json)["warnings"].as_i64(), Some(crossed), "{json}");
    assert!(
        files(&json)[0]["format"]
            .as_str()
            .unwrap()
            .contains("crossed")
    );

    // Databento mbp-1, raw: a book with no bid keeps NULL for it; its trades go to trades.
    let mbp = generate(dir.path(), "databento-mbp1", "40", "20000");
    load(&db, &[mbp.to_str().unwrap()], 0);
    let (_, text) = texts(&mbp).pop().unwrap();
    let null_bids = text
        .lines()
        .filter(|l| l.split(',').nth(13) == Some("9223372036854775807"))
        .count() as i64;
    assert!(null_bids > 0);
    let stored = db
        .count("SELECT count(*) FROM market.quotes WHERE source = 'databento' AND bid_pr IS NULL")
        .await;
    assert_eq!(stored, null_bids);
    let trades_in_file = text
        .lines()
        .filter(|l| l.split(',').nth(5) == Some("T"))
        .count() as i64;
    let trades = db
        .count("SELECT count(*) FROM market.trades WHERE source = 'databento'")
        .await;
    assert_eq!(trades, trades_in_file);

    // A raw trade whose price is Databento's null is a bad row, with its line and column.
    let file = dir.path().join("db").join("xnas-itch-20240102.trades.csv");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        "ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence,symbol\n\
         1704206462973014150,1704206462972999150,0,2,1,T,B,0,224540000000,300,130,15000,1,ZZZZ\n\
         1704206462973014151,1704206462972999151,0,2,1,T,B,0,9223372036854775807,300,130,15000,2,ZZZZ\n",
    )
    .unwrap();
    let run = db.run(&["load", file.to_str().unwrap(), "--max-bad-rows", "0"]);
    run.expect_code(1);
    let err = run.stderr();
    assert!(
        err.contains("trades.csv:3:9: price") && err.contains("without a price"),
        "{err}"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM market.trades WHERE symbol = 'ZZZZ'")
            .await,
        0,
        "nothing of the refused file"
    );

    // Without a symbol column and without symbology.json beside it: refused, saying so.
    let bare = dir
        .path()
        .join("bare")
        .join("xnas-itch-20240102.trades.csv");
    std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
    std::fs::write(
        &bare,
        "ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence\n\
         1704206462973014150,1704206462972999150,0,2,1,T,B,0,224540000000,300,130,15000,1\n",
    )
    .unwrap();
    let run = db.run(&["load", bare.to_str().unwrap()]);
    run.expect_code(1);
    assert!(run.stderr().contains("symbology.json"), "{}", run.stderr());
}
