//! Property-based fuzzing of the row parser and the header matcher: random bytes and random
//! mutations of a valid file never panic, and every outcome is a valid row or a located error.

use csv::ByteRecord;
use proptest::prelude::*;
use stockdb::load::daily::header::Header;
use stockdb::load::daily::parse::{Item, PriceReader};
use stockdb::load::values::ParseOptions;

const VALID: &str = "Date,Open,High,Low,Close,Adj Close,Volume\n\
2023-03-01,10.0,11.0,9.0,10.5,10.4,1000\n\
2023-03-02,10.5,11.5,10.0,11.0,10.9,1200.0\n\
3/3/2023,11.0,11.5,10.5,11.2,11.1,900\n\
2023-03-06,11.2,12.0,11.0,11.9,11.8,0\n";

/// Reads everything; panics (failing the property) only if an outcome is malformed.
fn read_all(bytes: &[u8], opts: ParseOptions) -> (usize, usize) {
    let mut reader = match PriceReader::new(bytes, opts) {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return (0, 0);
        }
    };
    let width = reader.header().width();
    let (mut rows, mut bad) = (0, 0);
    loop {
        match reader.next_item() {
            Ok(None) => break,
            Ok(Some(Item::Row(row, _))) => {
                for v in [row.open, row.high, row.low, row.close] {
                    assert!(v.is_finite());
                }
                assert!(row.adj_close.is_none_or(f64::is_finite));
                assert!(row.volume >= 0);
                rows += 1;
            }
            Ok(Some(Item::Bad(b))) => {
                assert!(b.line >= 2, "a data row starts after the header: {b}");
                if let Some(c) = b.column {
                    assert!((1..=width).contains(&c), "column {c} of {width}: {b}");
                }
                assert!(!b.to_string().is_empty());
                bad += 1;
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                break;
            }
        }
    }
    assert_eq!(
        reader.rows as usize,
        rows + bad,
        "every row read is accepted or bad"
    );
    (rows, bad)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        read_all(&bytes, ParseOptions::default());
    }

    #[test]
    fn random_bytes_after_a_valid_header_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let mut input = b"Date,Open,High,Low,Close,Adj Close,Volume\n".to_vec();
        input.extend(bytes);
        read_all(&input, ParseOptions { strict: true, ..Default::default() });
    }

    #[test]
    fn mutations_of_a_valid_file_are_rows_or_located_errors(
        edits in prop::collection::vec((0usize..VALID.len(), any::<u8>(), 0u8..3), 1..12)
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match kind {
                0 if !bytes.is_empty() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if !bytes.is_empty() => { bytes.remove(at); }
                _ => {}
            }
        }
        read_all(&bytes, ParseOptions::default());
    }

    #[test]
    fn plausible_values_are_rows_or_located_errors(
        rows in prop::collection::vec(prop::collection::vec("[-+0-9eE./:a-zA-Z$, ]{0,10}", 0..9), 0..40)
    ) {
        let mut text = String::from("Date,Open,High,Low,Close,Adj Close,Volume\n");
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        read_all(text.as_bytes(), ParseOptions::default());
    }

    #[test]
    fn header_matching_never_panics(fields in prop::collection::vec(any::<Vec<u8>>(), 0..10)) {
        let record = ByteRecord::from(fields);
        if let Err(e) = Header::parse(&record) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn the_valid_file_itself_parses_whole() {
    assert_eq!(read_all(VALID.as_bytes(), ParseOptions::default()), (4, 0));
}
