//! Tests of the vendors' layouts (vendor.rs).

use super::*;

#[test]
fn fields_split_outside_quotes() {
    let text = r#"AAPL,"12,37",,4,52983525029461,1712311200000000000,169.5,1"#;
    let mut f = Vec::new();
    split(text, b',', &mut f);
    let got: Vec<&str> = f.iter().map(|&(a, b)| &text[a..b]).collect();
    assert_eq!(
        got,
        [
            "AAPL",
            "12,37",
            "",
            "4",
            "52983525029461",
            "1712311200000000000",
            "169.5",
            "1"
        ]
    );
    assert_eq!(condition_codes("12,37", false), "12,37");
    assert_eq!(condition_codes("@ TI", true), "@,T,I");
    assert_eq!(condition_codes("", false), "");
}

#[test]
fn times_are_exact_nanoseconds() {
    assert_eq!(
        iso_ns("2024-04-05T13:30:00.000000001Z"),
        Some(1_712_323_800_000_000_001)
    );
    assert_eq!(
        iso_ns("2024-04-05T13:30:00Z"),
        Some(1_712_323_800_000_000_000)
    );
    let mut ny = NewYork::new(chrono_tz::America::New_York);
    let day = NaiveDate::from_ymd_opt(2024, 4, 5).unwrap();
    // 09:30 EDT is 13:30 UTC.
    assert_eq!(
        ny.taq_time(day, "093000000000001"),
        Some(1_712_323_800_000_000_001)
    );
    let winter = NaiveDate::from_ymd_opt(2024, 1, 5).unwrap();
    assert_eq!(
        ny.taq_time(winter, "093000123456789")
            .map(|n| n % 1_000_000_000),
        Some(123_456_789)
    );
    assert_eq!(ny.day_of(1_712_323_800_000_000_001), day);
    // 01:00 UTC on the 6th is still the 5th in New York.
    assert_eq!(ny.day_of(1_712_365_200_000_000_000), day);
}

#[test]
fn headers_name_their_vendor() {
    let polygon = b"ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp\n";
    assert_eq!(sniff(polygon, None).unwrap().feed, Feed::PolygonTrades);
    let quotes = b"ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,conditions,indicators,participant_timestamp,sequence_number,sip_timestamp,tape,trf_timestamp\n";
    assert_eq!(sniff(quotes, None).unwrap().feed, Feed::PolygonQuotes);
    let mbp = b"ts_recv,ts_event,rtype,publisher_id,instrument_id,action,side,depth,price,size,flags,ts_in_delta,sequence,bid_px_00,ask_px_00,bid_sz_00,ask_sz_00,bid_ct_00,ask_ct_00,symbol\n1,2,1,2,3,T,B,0,1,1,0,0,1,1,1,1,1,1,1,A\n";
    let l = sniff(mbp, None).unwrap();
    assert_eq!((l.feed, l.raw), (Feed::DatabentoBook, true));
    let taq = b"Time|Exchange|Symbol|Sale Condition|Trade Volume|Trade Price|Trade Stop Stock Indicator|Trade Correction Indicator|Sequence Number|Trade Id|Source of Trade|Trade Reporting Facility|Participant Timestamp|Trade Reporting Facility TRF Timestamp|Trade Through Exempt Indicator\n";
    let l = sniff(taq, Some(Path::new("EQY_US_ALL_TRADE_20240405.gz"))).unwrap();
    assert_eq!(l.feed, Feed::TaqTrades);
    assert!(l.refusal().is_none());
    let l = sniff(taq, Some(Path::new("trades.txt"))).unwrap();
    assert!(l.refusal().unwrap().contains("date"));
    assert!(sniff(b"date,open,high,low,close\n", None).is_none());
}
