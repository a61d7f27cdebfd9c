//! Tests of the course layouts' parse (parse.rs).

use super::*;
use crate::load::stamps::DEFAULT_ZONE;

fn read(text: &str) -> (Shape, Vec<Item>, u64) {
    let shape = sniff(text.as_bytes(), None).expect("an event file");
    let mut r = EventReader::new(text.as_bytes(), shape.clone(), DEFAULT_ZONE);
    let mut items = Vec::new();
    while let Some(item) = r.next_item().unwrap() {
        items.push(item);
    }
    (shape, items, r.rows)
}

fn event(item: &Item) -> &Event {
    match item {
        Item::Event(e) => e,
        Item::Bad(b) => panic!("bad row: {b}"),
    }
}

fn bad(item: &Item) -> String {
    match item {
        Item::Bad(b) => b.to_string(),
        Item::Event(e) => panic!("accepted: {e:?}"),
    }
}

#[test]
fn spark_csv_records() {
    let (shape, items, rows) = read(
        "2020-08-05,2020-08-05 09:30:00.0,Q,SYMA,2020-08-05 09:34:51.505,1,NYSE,75.30254839137037,100,75.35916738004924,100\n\
         2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19488165597565,912\n",
    );
    assert_eq!(shape, Shape::SparkCsv);
    assert_eq!(rows, 2);
    let q = event(&items[0]);
    assert_eq!(q.symbol, "SYMA");
    assert_eq!(q.exchange, "NYSE");
    assert_eq!(q.event_seq_nb, 1);
    // 09:34:51.505 EDT is 13:34:51.505 UTC.
    let expected = chrono::NaiveDate::from_ymd_opt(2020, 8, 5)
        .unwrap()
        .and_hms_milli_opt(13, 34, 51, 505)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    assert_eq!(q.event_tm, expected);
    assert_eq!(
        q.values,
        Values::Quote {
            bid_pr: Some(75.30254839137037),
            bid_size: 100,
            ask_pr: Some(75.35916738004924),
            ask_size: 100
        }
    );
    let t = event(&items[1]);
    assert_eq!(t.line, 2);
    assert!(matches!(t.values, Values::Trade { size: 912, .. }));
    assert!(t.arrival_tm.is_some());
}

#[test]
fn a_repeated_field_reads_as_the_last_one_and_a_changed_one_again() {
    let (_, items, _) = read(
        "2020-08-05,2020-08-05 09:30:00.0,Q,syma,2020-08-05 09:34:51.505,1,NYSE,75.3,100,75.4,100\n\
         2020-08-05,2020-08-05 09:30:00.0,Q,syma,2020-08-05 09:34:52.000,2,NYSE,75.3,100,75.4,100\n\
         2020-08-06,2020-08-06 09:30:00.0,Q,SYMB,2020-08-06 09:34:51.505,1,ARCA,75.3,100,75.4,100\n\
         2020-08-06,2020-08-06 25:30:00.0,Q,SYMB,2020-08-06 09:34:52.505,2,ARCA,75.3,100,75.4,100\n\
         2020-08-06,2020-08-06 25:30:00.0,Q,SYMB,2020-08-06 09:34:53.505,3,ARCA,75.3,100,75.4,100\n\
         2020-08-32,2020-08-06 09:30:00.0,Q,SYMB,2020-08-06 09:34:54.505,4,ARCA,75.3,100,75.4,100\n\
         2020-08-06, 2020-08-06 09:30:00.0 ,Q,\u{a0}SYMB ,2020-08-06 09:34:55.505,5,ARCA,75.3,100,75.4,100\n",
    );
    let micros = |d: u32, h: u32| {
        chrono::NaiveDate::from_ymd_opt(2020, 8, d)
            .unwrap()
            .and_hms_opt(h, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    let (first, second, other) = (event(&items[0]), event(&items[1]), event(&items[2]));
    assert_eq!(second.symbol, "SYMA");
    assert_eq!(second.trade_dt, first.trade_dt);
    assert_eq!(second.arrival_tm, Some(micros(5, 13)));
    assert_eq!(other.symbol, "SYMB");
    assert_eq!(other.exchange, "ARCA");
    assert_eq!(other.trade_dt.to_string(), "2020-08-06");
    assert_eq!(other.arrival_tm, Some(micros(6, 13)));
    // A bad value is refused every time it comes, not only the first.
    assert!(
        bad(&items[3]).starts_with("4:2: arrival_tm"),
        "{}",
        bad(&items[3])
    );
    assert!(
        bad(&items[4]).starts_with("5:2: arrival_tm"),
        "{}",
        bad(&items[4])
    );
    assert!(
        bad(&items[5]).starts_with("6:1: trade_dt"),
        "{}",
        bad(&items[5])
    );
    // Whitespace around a field is not part of it, Unicode's too.
    let spaced = event(&items[6]);
    assert_eq!(spaced.symbol, "SYMB");
    assert_eq!(spaced.arrival_tm, Some(micros(6, 13)));
}

#[test]
fn json_records() {
    let (shape, items, _) = read(
        r#"{"trade_dt":"2020-08-05","file_tm":"2020-08-05 09:30:00.000","event_type":"T","symbol":"SYMA","execution_id":"EX-10","event_tm":"2020-08-05 10:38:50.046","event_seq_nb":10,"exchange":"NASDAQ","price":77.77570455205036,"size":509}"#,
    );
    assert_eq!(shape, Shape::JsonLines);
    let t = event(&items[0]);
    assert_eq!(
        t.values,
        Values::Trade {
            execution_id: Some("EX-10".into()),
            price: 77.77570455205036,
            size: 509
        }
    );
}

#[test]
fn sectioned_sample() {
    let (shape, items, rows) = read(
        "#Trade:\n#TradeDate,RecordType,Symbol,ExecutionID,EventTime,EventSeqNum,Exchange,TradePrice,TradeSize\n\
         2020-01-01,T,Symbol1,1,2020-01-01 10:15,1,Exchange1, 59.970001,12\n\n\n\
         #Quote:\n#TradeDate,RecordType,Symbol,EventTime,EventSeqNum,Exchange,BidPrice,BidSize,AskPrice,AskSize\n\
         2020-01-01,Q,Symbol1,2020-01-01 10:16,4,Exchange1, 61,1301, 62, 17\n",
    );
    assert_eq!(shape, Shape::Sectioned);
    assert_eq!(rows, 2);
    let t = event(&items[0]);
    assert_eq!(t.line, 3);
    assert_eq!(t.symbol, "SYMBOL1");
    assert_eq!(t.arrival_tm, None);
    assert!(matches!(&t.values, Values::Trade { execution_id: Some(id), .. } if id == "1"));
    assert_eq!(event(&items[1]).line, 8);
    // Column lines without the `#` are not records either.
    let (_, items, rows) = read(
        "TradeDate,RecordType,Symbol,ExecutionID,EventTime,EventSeqNum,Exchange,TradePrice,TradeSize\n\
         2020-01-01,T,Symbol1,1,2020-01-01 10:15,1,Exchange1,59.97,12\n",
    );
    assert_eq!((rows, items.len()), (1, 1));
    assert_eq!(event(&items[0]).line, 2);
}

#[test]
fn bad_records_say_where_and_why() {
    let (_, items, rows) = read(
        "2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19,912\n\
         2020-08-05,2020-08-05 09:30:00.0,X,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19,912\n\
         2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19\n\
         2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,abc,912\n\
         2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 25:37,10,NYSE,79.19,912\n\
         2020-08-05,2020-08-05 09:30:00.0,T,SYMA,2020-08-05 10:37:21.581,10,NYSE,79.19,9.5\n\
         2020-08-05,2020-08-05 09:30:00.0,T,,2020-08-05 10:37:21.581,10,NYSE,79.19,9\n",
    );
    assert_eq!(rows, 7);
    assert_eq!(
        bad(&items[1]),
        "2:3: unknown record type \"X\" (expected T or Q)"
    );
    assert_eq!(
        bad(&items[2]),
        "3: a T record has 9 fields in this file's layout, found 8"
    );
    assert_eq!(
        bad(&items[3]),
        "4:8: trade_pr: \"abc\" is not a finite number"
    );
    assert!(bad(&items[4]).starts_with("5:5: event_tm: \"2020-08-05 25:37\""));
    assert_eq!(
        bad(&items[5]),
        "6:9: trade_size: \"9.5\" is not a whole number of 0 or more"
    );
    assert_eq!(bad(&items[6]), "7:4: symbol: missing value");
}

/// The JSON reader takes each field's raw text: strings with escapes, numbers written as
/// strings, null, other keys and nested values read as the map-based reader read them.
#[test]
fn json_values_in_every_spelling() {
    let (_, items, _) = read(
        "{\"trade_dt\":\"2020-08-05\",\"arrival_tm\":null,\"event_type\":\"Q\",\"symbol\":\" S\\u0059MA \",\"event_tm\":\"2020-08-05 09:36:55.5\",\"event_seq_nb\":\"7\",\"exchange\":\"NASDAQ\",\"venue\":{\"id\":[1,2]},\"bid_pr\":\"76.1\",\"bid_size\":100,\"ask_pr\":77.9,\"ask_size\":1e2}\n\
         {\"trade_dt\":\"2020-08-05\",\"event_type\":\"T\",\"symbol\":\"SYMA\",\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"price\":true,\"size\":100}\n\
         {\"trade_dt\":\"2020-08-05\",\"event_type\":\"T\",\"symbol\":\"SYMA\",\"execution_id\":null,\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"price\":null,\"size\":100}\n",
    );
    let q = event(&items[0]);
    assert_eq!(q.symbol, "SYMA");
    assert_eq!(q.event_seq_nb, 7);
    assert_eq!(q.arrival_tm, None);
    assert_eq!(q.event_tm % 1_000_000, 500_000);
    assert_eq!(
        q.values,
        Values::Quote {
            bid_pr: Some(76.1),
            bid_size: 100,
            ask_pr: Some(77.9),
            ask_size: 100
        }
    );
    assert_eq!(bad(&items[1]), "2: price: \"true\" is not a finite number");
    assert_eq!(bad(&items[2]), "3: price: missing value");
}

#[test]
fn bad_json_lines() {
    let (_, items, _) = read(
        "{\"trade_dt\":\"2020-08-05\",\"file_tm\":\"2020-08-05 09:30:00.000\",\"event_type\":\"Q\",\"symbol\":\"SYMA\",\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"bid_pr\":76.1,\"bid_size\":100,\"ask_pr\":77.9,\"ask_size\":100}\n\
         {\"trade_dt\":\"2020-08-05\",\"event_type\":\"Q\"\n\
         {\"trade_dt\":\"2020-08-05\",\"file_tm\":\"2020-08-05 09:30:00.000\",\"event_type\":\"Q\",\"symbol\":\"SYMA\",\"event_tm\":\"2020-08-05 09:36:55.284\",\"event_seq_nb\":1,\"exchange\":\"NASDAQ\",\"bid_pr\":76.1,\"bid_size\":100,\"ask_pr\":77.9}\n\
         {\"event_type\":\"B\"}\n",
    );
    assert!(bad(&items[1]).starts_with("2: not a JSON object:"));
    assert_eq!(bad(&items[2]), "3: ask_size: missing value");
    assert_eq!(
        bad(&items[3]),
        "4: unknown record type \"B\" (expected T or Q)"
    );
}

#[test]
fn other_files_are_not_events() {
    assert_eq!(sniff(b"Date,Open,High,Low,Close,Volume\n", None), None);
    assert_eq!(sniff(b"2020-01-02,1,2,0.5,1.5,100\n", None), None);
    assert_eq!(sniff(b"{\"a\":1}\n", None), None);
}
