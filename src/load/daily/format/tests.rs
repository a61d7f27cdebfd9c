use super::*;
use crate::load::daily::parse::{Item, PriceReader, Row};
use crate::load::values::ParseOptions;

fn read(text: &str) -> (Layout, Option<String>, Vec<Row>) {
    let mut reader = PriceReader::new(text.as_bytes(), ParseOptions::default()).unwrap();
    let (layout, symbol) = (reader.layout().clone(), reader.symbol().map(String::from));
    let mut rows = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        match item {
            Item::Row(row, _) => rows.push(row),
            Item::Bad(bad) => panic!("bad row: {bad}"),
        }
    }
    (layout, symbol, rows)
}

fn refusal(text: &str) -> String {
    match PriceReader::new(text.as_bytes(), ParseOptions::default()) {
        Err(e) => e.to_string(),
        Ok(mut reader) => loop {
            match reader.next_item() {
                Err(e) => break e.to_string(),
                Ok(None) => panic!("read to the end without a refusal"),
                Ok(Some(_)) => {}
            }
        },
    }
}

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

#[test]
fn nasdaq_dollars_us_dates_newest_first() {
    let (layout, symbol, rows) = read(
        "Date,Close/Last,Volume,Open,High,Low\n07/08/2025,$76.18,1234567,$75.50,$76.90,$75.10\n07/03/2025,\"$1,075.00\",1000,$1070,$1080.25,$1065.5\n",
    );
    assert_eq!(layout.source, Source::Nasdaq);
    assert_eq!(symbol, None);
    assert_eq!(rows[0].day, day("2025-07-08"));
    assert_eq!(
        (rows[0].open, rows[0].high, rows[0].low, rows[0].close),
        (75.5, 76.9, 75.1, 76.18)
    );
    assert_eq!((rows[1].close, rows[1].volume), (1075.0, 1000));
}

#[test]
fn investing_month_names_suffixes_and_dash_volume() {
    let (layout, _, rows) = read(
        "\u{feff}\"Date\",\"Price\",\"Open\",\"High\",\"Low\",\"Vol.\",\"Change %\"\r\n\"Dec 31, 2018\",\"1,226.58\",\"1,230.00\",\"1,232.00\",\"1,220.00\",\"20.58M\",\"0.00%\"\r\n\"Dec 28, 2018\",\"1.5\",\"1.4\",\"1.6\",\"1.3\",\"-\",\"0.1%\"\r\n\"Dec 27, 2018\",\"1.5\",\"1.4\",\"1.6\",\"1.3\",\"1.2B\",\"0.1%\"\r\n\"Dec 26, 2018\",\"1.5\",\"1.4\",\"1.6\",\"1.3\",\"870.5K\",\"0.1%\"\r\n",
    );
    assert_eq!(layout.source, Source::Investing);
    assert_eq!(layout.header.dates, Dates::MonthName);
    assert_eq!(rows[0].day, day("2018-12-31"));
    assert_eq!((rows[0].close, rows[0].open), (1226.58, 1230.0));
    let volumes: Vec<i64> = rows.iter().map(|r| r.volume).collect();
    assert_eq!(volumes, [20_580_000, 0, 1_200_000_000, 870_500]);
}

#[test]
fn stooq_compact_dates_ticker_column_and_daily_only() {
    let head = "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n";
    let (layout, symbol, rows) = read(&format!(
        "{head}AAPL.US,D,20240102,000000,187.15,188.44,183.885,185.64,82488674,0\n"
    ));
    assert_eq!(layout.source, Source::Stooq);
    assert_eq!(symbol.as_deref(), Some("AAPL"));
    assert_eq!(rows[0].day, day("2024-01-02"));
    assert_eq!((rows[0].low, rows[0].volume), (183.885, 82_488_674));
    let weekly = refusal(&format!("{head}AAPL.US,W,20240105,000000,1,2,1,2,10,0\n"));
    assert!(weekly.contains("weekly bars, not a daily file"), "{weekly}");
    let hourly = refusal(&format!("{head}AAPL.US,60,20240105,150000,1,2,1,2,10,0\n"));
    assert!(hourly.contains("intraday"), "{hourly}");
}

#[test]
fn yfinance_three_header_lines_one_ticker() {
    let (layout, symbol, rows) = read(
        "Price,Close,High,Low,Open,Volume\nTicker,MSFT,MSFT,MSFT,MSFT,MSFT\nDate,,,,,\n2025-01-02,418.5799865722656,426.07000732421875,414.8500061035156,425.5299987792969,16896500\n",
    );
    assert_eq!(layout.source, Source::YFinance);
    assert_eq!(symbol.as_deref(), Some("MSFT"));
    assert_eq!(rows[0].close, 418.5799865722656);
    assert_eq!(rows[0].adj_close, None);
    let (_, _, rows) = read(
        "Price,Adj Close,Close,High,Low,Open,Volume\nTicker,A,A,A,A,A,A\nDate,,,,,,\n2024-12-31 00:00:00+00:00,248.5,250.42,253.28,249.43,252.44,39480700\n",
    );
    assert_eq!(
        (rows[0].day, rows[0].adj_close, rows[0].close),
        (day("2024-12-31"), Some(248.5), 250.42)
    );
    let minutes = refusal("Price,Close,High,Low,Open,Volume\nTicker,A,A,A,A,A\nDatetime,,,,,\n");
    assert!(
        minutes.starts_with("intraday bars: not a daily file"),
        "{minutes}"
    );
}

#[test]
fn headerless_symbol_first_rows_with_and_without_adj_close() {
    let (layout, symbol, rows) = read("ADT,2018-01-19,12.65,12.97,12.0,12.39,10.97,68187400\n");
    assert_eq!(layout.source, Source::Headerless);
    assert_eq!(symbol.as_deref(), Some("ADT"));
    assert_eq!(
        (rows[0].adj_close, rows[0].volume),
        (Some(10.97), 68_187_400)
    );
    let (_, _, rows) = read("ADT,2018-01-19,12.65,12.97,12.0,12.39,68187400\n");
    assert_eq!((rows[0].adj_close, rows[0].volume), (None, 68_187_400));
}

#[test]
fn long_files_name_a_symbol_on_each_row() {
    let text = "date,open,high,low,close,volume,Name\n2013-02-08,15.07,15.12,14.63,14.75,8407500,AAL\n2013-02-08,67.71,68.4,66.89,67.85,5275000,aapl\n2013-02-08,1,2,1,2,3,AAL\n";
    let mut reader = PriceReader::new(text.as_bytes(), ParseOptions::default()).unwrap();
    assert_eq!(reader.layout().label(), "header with a symbol column");
    assert!(reader.layout().symbol_per_row());
    assert_eq!(reader.symbol(), Some("AAL"));
    let mut seen = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        let ok = matches!(item, Item::Row(..));
        seen.push((reader.row_symbol().unwrap().to_string(), ok));
    }
    // The same day for another symbol is fine; a second AAL row for it is a duplicate.
    assert_eq!(
        seen,
        [
            ("AAL".into(), true),
            ("AAPL".into(), true),
            ("AAL".into(), false)
        ]
    );
}

#[test]
fn yfinance_tickers_side_by_side_give_a_row_each() {
    let text = "Price,Close,Close,High,High,Low,Low,Open,Open,Volume,Volume\nTicker,A,B,A,B,A,B,A,B,A,B\nDate,,,,,,,,,,\n2025-01-02,1,2,1.5,2.5,0.5,1.5,1,2,10,20\n2025-01-03,1,,1.5,,0.5,,1,,10,\n";
    let mut reader = PriceReader::new(text.as_bytes(), ParseOptions::default()).unwrap();
    assert!(reader.layout().symbol_per_row());
    let mut rows = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        let Item::Row(row, _) = item else {
            panic!("bad row")
        };
        rows.push((
            reader.row_symbol().unwrap().to_string(),
            row.day,
            row.close,
            row.volume,
        ));
    }
    assert_eq!(
        rows,
        [
            ("A".into(), day("2025-01-02"), 1.0, 10),
            ("B".into(), day("2025-01-02"), 2.0, 20),
            ("A".into(), day("2025-01-03"), 1.0, 10),
        ]
    );
    // B has no bar on the 3rd: no row, not a bad one.
    assert_eq!(reader.rows, 3);
    // `group_by="ticker"`: the Ticker line first, each ticker's columns together.
    let (layout, _, rows) = {
        let text = "Ticker,A,A,A,A,A,B,B,B,B,B\nPrice,Open,High,Low,Close,Volume,Open,High,Low,Close,Volume\nDate,,,,,,,,,,\n2025-01-02,1,1.5,0.5,1.25,10,2,2.5,1.5,2.25,20\n";
        let mut reader = PriceReader::new(text.as_bytes(), ParseOptions::default()).unwrap();
        let layout = reader.layout().clone();
        let mut rows = Vec::new();
        while let Some(Item::Row(row, _)) = reader.next_item().unwrap() {
            rows.push((
                reader.row_symbol().unwrap().to_string(),
                row.close,
                row.volume,
            ));
        }
        (layout, (), rows)
    };
    assert_eq!(layout.groups.len(), 2);
    assert_eq!(rows, [("A".into(), 1.25, 10), ("B".into(), 2.25, 20)]);
}

#[test]
fn intraday_timestamps_are_refused_and_midnight_is_a_day() {
    let minutes = refusal("timestamp,open,high,low,close,volume\n2018-06-05 16:00:00,1,2,1,2,10\n");
    assert!(
        minutes.starts_with("intraday bars: not a daily file"),
        "{minutes}"
    );
    let (layout, _, rows) =
        read("timestamp,open,high,low,close,volume\n2018-06-05 00:00:00,1,2,1,2,10\n");
    assert_eq!(layout.label(), "Alpha Vantage");
    assert_eq!(rows[0].day, day("2018-06-05"));
}

#[test]
fn a_file_fitting_no_format_names_the_formats_tried() {
    let e = refusal("foo,bar,baz\n1,2,3\n");
    assert!(e.contains("header has no Date"), "{e}");
    assert!(e.contains("formats tried: Yahoo-style header"), "{e}");
    assert!(e.contains("Stooq"), "{e}");
}

#[test]
fn european_files_read_like_the_us_file() {
    let us = read("Date,Open,High,Low,Close,Adj Close,Volume\n2023-03-13,1234.5,1250,1220.25,1245.75,1240.1,1397057\n2023-03-14,1245.75,1260.1,1240,1255,1249.3,998877\n").2;
    let (layout, _, de) = read(
        "\u{feff}Date;Open;High;Low;Close;Adj Close;Volume\r\n13.03.2023;1.234,50;1.250,00;1.220,25;1.245,75;1.240,10;1.397.057\r\n14.03.2023;1.245,75;1.260,10;1.240,00;1.255,00;1.249,30;998.877\r\n",
    );
    assert_eq!(layout.source, Source::European);
    assert_eq!(layout.header.dates, Dates::DayFirst);
    assert!(layout.header.decimal_comma);
    assert_eq!(de, us);
    // French names, slashes (day first, as 13/03 says), no thousands dots.
    let fr = read("Date;Ouverture;Plus haut;Plus bas;Clôture;Adj Close;Volume\n13/03/2023;1234,5;1250;1220,25;1245,75;1240,1;1397057\n14/03/2023;1245,75;1260,1;1240;1255;1249,3;998877\n").2;
    assert_eq!(fr, us);
    // `;` with decimal points (some tools write that) reads the same too.
    let points = read(
        "Date;Open;High;Low;Close;Adj Close;Volume\n2023-03-13;1234.5;1250;1220.25;1245.75;1240.1;1397057\n2023-03-14;1245.75;1260.1;1240;1255;1249.3;998877\n",
    );
    assert!(!points.0.header.decimal_comma);
    assert_eq!(points.2, us);
}

#[test]
fn european_slashed_dates_without_a_day_over_12_ask_for_a_format() {
    let e =
        refusal("Date;Open;High;Low;Close;Volume\n01/02/2023;1;2;1;2;10\n02/02/2023;1;2;1;2;10\n");
    assert!(e.contains("read day-first and month-first alike"), "{e}");
    // With --date-format the file reads.
    let opts = ParseOptions {
        date_format: Some("%d/%m/%Y".into()),
        ..ParseOptions::default()
    };
    let text = "Date;Open;High;Low;Close;Volume\n01/02/2023;1;2;1;2;10\n";
    let mut reader = PriceReader::new(text.as_bytes(), opts).unwrap();
    match reader.next_item().unwrap() {
        Some(Item::Row(row, _)) => assert_eq!(row.day, day("2023-02-01")),
        other => panic!("{other:?}"),
    }
}
