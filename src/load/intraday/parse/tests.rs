use super::*;
use crate::load::intraday::sniff::*;
use chrono::{DateTime, Utc};

fn head(text: &str) -> Vec<Vec<String>> {
    read_head(text.as_bytes()).unwrap()
}

fn reader(
    text: &str,
    zone: Option<Tz>,
    named: Option<i64>,
) -> Result<BarReader<Box<dyn Read>>, FileError> {
    let bytes = text.as_bytes().to_vec();
    BarReader::open(
        move || Ok(Box::new(std::io::Cursor::new(bytes.clone())) as Box<dyn Read>),
        zone,
        false,
        named,
    )
}

/// Every item of a file: accepted bars as (UTC time, close), bad rows as their message.
fn items(text: &str) -> (Vec<(String, f64)>, Vec<String>) {
    let mut r = reader(text, None, None).unwrap();
    let (mut bars, mut bad) = (Vec::new(), Vec::new());
    while let Some(item) = r.next_item().unwrap() {
        match item {
            Item::Bar(b, _) => bars.push((utc(b.ts), b.close)),
            Item::Bad(row) => bad.push(row.to_string()),
        }
    }
    (bars, bad)
}

fn utc(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(ts)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[test]
fn shapes_are_recognised() {
    let av = head("timestamp,open,high,low,close,volume\n2018-06-05 16:00:00,1,2,0.5,1.5,100\n");
    let l = sniff(&av).unwrap().unwrap();
    assert_eq!(l.source, Source::AlphaVantage);
    assert_eq!((l.time, l.clock, l.values), (0, None, [1, 2, 3, 4, 5]));

    let yf = head(
        "Price,Close,High,Low,Open,Volume\nTicker,AAPL,AAPL,AAPL,AAPL,AAPL\nDatetime,,,,,\n2025-07-23 13:30:00+00:00,1,2,0.5,1.5,100\n",
    );
    let l = sniff(&yf).unwrap().unwrap();
    assert_eq!(l.source, Source::YFinance);
    assert_eq!((l.header_rows, l.values), (3, [4, 2, 3, 1, 5]));
    assert_eq!(l.ticker.as_deref(), Some("AAPL"));

    let split = head("Volume,Low,Time,High,Date,Close,Open\n100,1,09:30,2,2020-01-02,1.5,1.2\n");
    let l = sniff(&split).unwrap().unwrap();
    assert_eq!((l.source, l.time, l.clock), (Source::Generic, 4, Some(2)));
    assert_eq!(l.values, [6, 3, 1, 5, 0]);

    // Daily files are not intraday: dates only, or midnight times, or yfinance's Date index.
    assert!(
        sniff(&head(
            "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n"
        ))
        .is_none()
    );
    assert!(
        sniff(&head(
            "datetime,open,high,low,close,volume\n2020-01-02 00:00:00,1,2,0.5,1.5,100\n"
        ))
        .is_none()
    );
    assert!(
        sniff(&head("Price,Close,High,Low,Open,Volume\nTicker,A,A,A,A,A\nDate,,,,,\n2020-01-02,1,2,0.5,1.5,100\n")).is_none()
    );
    // An intraday file without a volume column says so.
    let err = sniff(&head(
        "datetime,open,high,low,close\n2020-01-02 09:30,1,2,0.5,1.5\n",
    ))
    .unwrap()
    .unwrap_err();
    assert!(err.contains("volume"), "{err}");
    // Several yfinance tickers side by side are refused with a reason.
    let err = sniff(&head(
        "Price,Close,Close\nTicker,A,B\nDatetime,,\n2020-01-02 09:30:00+00:00,1,2\n",
    ))
    .unwrap()
    .unwrap_err();
    assert!(err.contains("several tickers"), "{err}");
}

#[test]
fn timestamps_parse_with_and_without_offsets() {
    let s = parse_stamp("2018-06-05 16:00:00").unwrap();
    assert_eq!(
        (s.local.to_string(), s.offset),
        ("2018-06-05 16:00:00".into(), None)
    );
    assert_eq!(
        parse_stamp("2025-07-23 13:30:00+00:00").unwrap().offset,
        Some(0)
    );
    assert_eq!(
        parse_stamp("2025-07-23T09:30:00-04:00").unwrap().offset,
        Some(-4 * 3600)
    );
    assert_eq!(parse_stamp("2025-07-23T13:30:00Z").unwrap().offset, Some(0));
    assert_eq!(
        parse_stamp("2025-07-23 09:30-0400").unwrap().offset,
        Some(-4 * 3600)
    );
    assert_eq!(
        parse_stamp("07/23/2025 09:30").unwrap().local.to_string(),
        "2025-07-23 09:30:00"
    );
    assert_eq!(
        parse_stamp("2025-07-23 09:30:00.500")
            .unwrap()
            .local
            .to_string(),
        "2025-07-23 09:30:00.500"
    );
    for bad in [
        "2025-07-23 25:00:00",
        "2025-02-30 09:30",
        "09:30",
        "2025-07-23 9:30",
        "2025-07-23 09:30 +99",
    ] {
        assert!(parse_stamp(bad).is_none(), "{bad}");
    }
    let s = parse_date_time("20200102", "093500").unwrap();
    assert_eq!(s.local.to_string(), "2020-01-02 09:35:00");
    assert!(parse_date_time("2020-01-02", "noon").is_none());
}

#[test]
fn naive_times_follow_the_exchange_clock_across_dst() {
    // US clocks went forward on 2024-03-10 and back on 2024-11-03.
    let (bars, bad) = items(
        "datetime,open,high,low,close,volume\n\
         2024-03-08 09:30:00,1,1,1,1,1\n2024-03-08 09:31:00,1,1,1,1,1\n\
         2024-03-11 09:30:00,1,1,1,1,1\n2024-03-11 09:31:00,1,1,1,1,1\n\
         2024-11-01 09:30:00,1,1,1,1,1\n2024-11-04 09:30:00,1,1,1,1,1\n",
    );
    assert!(bad.is_empty(), "{bad:?}");
    let times: Vec<&str> = bars.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        times,
        [
            "2024-03-08 14:30:00",
            "2024-03-08 14:31:00",
            "2024-03-11 13:30:00",
            "2024-03-11 13:31:00",
            "2024-11-01 13:30:00",
            "2024-11-04 14:30:00"
        ]
    );
    // Another zone with --timezone; offsets in the data win over it.
    let text = "datetime,open,high,low,close,volume\n2024-03-11 08:00:00,1,1,1,1,1\n2024-03-11 08:01:00+01:00,1,1,1,1,1\n";
    let mut r = reader(text, Some(chrono_tz::Europe::London), None).unwrap();
    let mut got = Vec::new();
    while let Some(Item::Bar(b, _)) = r.next_item().unwrap() {
        got.push(utc(b.ts));
    }
    assert_eq!(got, ["2024-03-11 08:00:00", "2024-03-11 07:01:00"]);
}

#[test]
fn dst_gaps_and_repeats_are_bad_rows() {
    let (bars, bad) = items(
        "datetime,open,high,low,close,volume\n\
         2024-03-10 01:00:00,1,1,1,1,1\n2024-03-10 01:30:00,1,1,1,1,1\n2024-03-10 02:30:00,1,1,1,1,1\n\
         2024-11-03 01:30:00,1,1,1,1,1\n2024-11-03 01:30:00-05:00,1,1,1,1,1\n",
    );
    assert_eq!(bars.len(), 3, "{bars:?}");
    assert_eq!(bars[2].0, "2024-11-03 06:30:00");
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad[0].starts_with(
            "4:1: datetime: \"2024-03-10 02:30:00\" does not exist in America/New_York"
        ),
        "{}",
        bad[0]
    );
    assert!(
        bad[1].starts_with(
            "5:1: datetime: \"2024-11-03 01:30:00\" happens twice in America/New_York"
        ),
        "{}",
        bad[1]
    );
}

#[test]
fn resolution_comes_from_the_timestamps_newest_first_too() {
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    for m in (0..12).rev() {
        text.push_str(&format!("2018-06-05 10:{:02}:00,1,1,1,1,0\n", m * 5));
    }
    let mut r = reader(&text, None, None).unwrap();
    let grid = r.decide_grid().unwrap();
    assert_eq!(grid.label(), "5 minutes");
    assert_eq!(grid.phase, 0);
    // Hourly bars starting at half past (yfinance 60m) have a phase of 30 minutes.
    let text = "datetime,open,high,low,close,volume\n2024-03-11 09:30,1,1,1,1,1\n2024-03-11 10:30,1,1,1,1,1\n2024-03-11 11:30,1,1,1,1,1\n";
    let grid = reader(text, None, None).unwrap().decide_grid().unwrap();
    assert_eq!(
        (grid.label(), grid.phase),
        ("1 hour".to_string(), 30 * 60 * MICROS)
    );
    // One bar a day: only the file name can tell.
    let text = "datetime,open,high,low,close,volume\n2024-03-11 09:30,1,1,1,1,1\n2024-03-12 09:30,1,1,1,1,1\n";
    let err = reader(text, None, None).unwrap().decide_grid().unwrap_err();
    assert!(
        err.to_string().contains("name it in the file name"),
        "{err}"
    );
    let grid = reader(text, None, Some(900))
        .unwrap()
        .decide_grid()
        .unwrap();
    assert_eq!(grid.label(), "15 minutes");
}

/// One-minute-stamped bars at the given minutes after 09:30 of 2024-03-11 (and 04:00 on,
/// for extended hours): the grid the reader decides.
fn grid_of_minutes(minutes: &[i64]) -> Grid {
    let mut text = String::from("datetime,open,high,low,close,volume\n");
    for m in minutes {
        let t = 4 * 60 + m;
        text.push_str(&format!(
            "2024-03-11 {:02}:{:02},1,1,1,1,1\n",
            t / 60,
            t % 60
        ));
    }
    reader(&text, None, None).unwrap().decide_grid().unwrap()
}

#[test]
fn resolution_is_the_smallest_regular_gap() {
    // Issue 23: an illiquid symbol trades every 2 to 7 minutes, now and then two minutes running.
    let (mut minutes, mut m) = (Vec::new(), 330);
    for step in [
        2, 3, 5, 7, 2, 4, 6, 3, 2, 1, 5, 7, 3, 2, 4, 1, 6, 2, 3, 5, 7, 2, 4,
    ] {
        minutes.push(m);
        m += step;
    }
    minutes.push(720); // the 16:00 bar, off a 2-minute grid
    assert_eq!(grid_of_minutes(&minutes).label(), "1 minute");
    // No two bars a minute apart at all: still one minute (the gaps' divisor).
    let sparse: Vec<i64> = (0..40).map(|i| 330 + i * 5 + (i % 2) * 2).collect();
    assert_eq!(grid_of_minutes(&sparse).label(), "1 minute");
    // Extended hours, 04:00 to 20:00, every minute.
    let extended: Vec<i64> = (0..960).collect();
    assert_eq!(grid_of_minutes(&extended).label(), "1 minute");
    // A 15-minute file with missing bars: gaps of 15, 30 and 45 minutes.
    let fifteen: Vec<i64> = (0..26)
        .map(|i| 330 + 15 * i)
        .filter(|m| ![375, 420, 435, 510].contains(m))
        .collect();
    let grid = grid_of_minutes(&fifteen);
    assert_eq!((grid.label(), grid.phase), ("15 minutes".to_string(), 0));
}

#[test]
fn duplicates_off_grid_and_bad_values_are_bad_rows() {
    let (bars, bad) = items(
        "datetime,open,high,low,close,volume\n\
         2024-03-11 09:30,1,1,1,1,10\n2024-03-11 09:31,1,1,1,1,10\n2024-03-11 09:32,1,1,1,1,10\n\
         2024-03-11 09:31,1,1,1,2,10\n\
         2024-03-11 09:33:30,1,1,1,1,10\n\
         2024-03-11 09:34,abc,1,1,1,10\n\
         2024-03-11 09:35,1,1,1,1,10.5\n\
         2024-03-11 09:36,1,1,1,,10\n\
         2024-03-11 9h37,1,1,1,1,10\n\
         2024-03-11 09:38,1,1,1,1\n\
         2024-03-11 09:39,1,1,1,1,0\n",
    );
    assert_eq!(bars.len(), 4);
    assert_eq!(
        bad,
        [
            "5:1: second bar for 2024-03-11 09:31 (the first is on line 3)",
            "6:1: datetime: \"2024-03-11 09:33:30\" is off the file's grid of 1 minute",
            "7:2: open: \"abc\" is not a finite number",
            "8:6: volume: \"10.5\" is a fractional volume",
            "9:5: close: missing value",
            "10:1: datetime: \"2024-03-11 9h37\" is not a valid date (expected a date and time such as 2018-06-05 16:00:00 or 2025-07-23 13:30:00+00:00)",
            "11: expected 6 fields as in the header, found 5",
        ]
    );
}

#[test]
fn a_symbol_column_must_name_one_symbol() {
    let (bars, bad) = items(
        "symbol,datetime,open,high,low,close,volume\nAAPL,2024-03-11 09:30,1,1,1,1,1\nAAPL,2024-03-11 09:31,1,1,1,1,1\nMSFT,2024-03-11 09:32,1,1,1,1,1\n",
    );
    assert_eq!(bars.len(), 2);
    assert_eq!(bad.len(), 1);
    assert!(bad[0].contains("is not AAPL"), "{}", bad[0]);
}

#[test]
fn file_name_words() {
    assert_eq!(resolution_word("1min"), Some(60));
    assert_eq!(resolution_word("15min"), Some(900));
    assert_eq!(resolution_word("60min"), Some(3600));
    assert_eq!(resolution_word("1m"), Some(60));
    assert_eq!(resolution_word("1h"), Some(3600));
    assert_eq!(resolution_word("30sec"), Some(30));
    assert_eq!(resolution_word("MSFT"), None);
    assert_eq!(resolution_word("1d"), None);
    use crate::load::discover::symbol_from_file_name as symbol;
    assert_eq!(symbol("intraday_1min_MSFT.csv").unwrap(), "MSFT");
    assert_eq!(symbol("SPY_15min.csv").unwrap(), "SPY");
    assert_eq!(symbol("MSFT_1min.csv").unwrap(), "MSFT");
    assert_eq!(symbol("intraday_5min_IBM_extended.csv").unwrap(), "IBM");
    assert_eq!(symbol("AAPL_daily.csv").unwrap(), "AAPL");
}
