//! Daily rows as binary COPY tuples: of the staging table, or of `market.daily_prices`.

use super::parse::Row;
use crate::db::copy;

/// Appends one row as a tuple of the staging table (day, open, high, low, close, adj_close,
/// volume); returns the [`copy::digest`] of its values.
pub fn encode_row(buf: &mut Vec<u8>, row: &Row) -> u64 {
    buf.extend_from_slice(&7i16.to_be_bytes());
    let values = buf.len();
    encode_values(buf, row);
    copy::digest(&buf[values..])
}

/// Appends one row as a tuple of `market.daily_prices` (symbol, the staging columns, the
/// stored 30-day median, the load's run id); returns the [`copy::digest`] of the staging
/// columns' values.
pub fn encode_row_of(
    buf: &mut Vec<u8>,
    symbol: &str,
    row: &Row,
    median: Option<f64>,
    run_id: i64,
) -> u64 {
    buf.extend_from_slice(&10i16.to_be_bytes());
    copy::put_text(buf, symbol);
    let values = buf.len();
    encode_values(buf, row);
    let digest = copy::digest(&buf[values..]);
    copy::put_opt_f64(buf, median);
    copy::put_i64(buf, run_id);
    digest
}

fn encode_values(buf: &mut Vec<u8>, row: &Row) {
    copy::put_date(buf, row.day);
    for v in [row.open, row.high, row.low, row.close] {
        copy::put_f64(buf, v);
    }
    copy::put_opt_f64(buf, row.adj_close);
    copy::put_i64(buf, row.volume);
}

/// The COPY primitives (`db::copy`) on the daily kind's tuples.
#[cfg(test)]
mod copy_tests {
    use super::{encode_row, encode_row_of};
    use crate::db::copy::*;
    use crate::load::daily::parse::Row;
    use chrono::NaiveDate;

    /// 2000-01-02, prices 1 / 2 / 0.5 / 1.5, no adjusted close.
    fn row(volume: i64) -> Row {
        Row {
            day: NaiveDate::from_ymd_opt(2000, 1, 2).unwrap(),
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            adj_close: None,
            volume,
        }
    }

    #[test]
    fn encodes_a_row_as_seven_big_endian_fields() {
        let row = row(3_000_000_000);
        let mut buf = Vec::new();
        let d = encode_row(&mut buf, &row);
        assert_eq!(d, digest(&buf[2..]));
        assert_eq!(day_of(&buf[2..]), Some(row.day));
        assert_eq!(&buf[0..2], &[0, 7]);
        assert_eq!(&buf[2..10], &[0, 0, 0, 4, 0, 0, 0, 1]);
        assert_eq!(&buf[10..14], &[0, 0, 0, 8]);
        assert_eq!(&buf[14..22], &1.0f64.to_bits().to_be_bytes());
        // adj_close NULL: length -1 and no bytes.
        assert_eq!(&buf[58..62], &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&buf[66..74], &3_000_000_000i64.to_be_bytes());
        assert_eq!(buf.len(), 74);
        let mut with_symbol = Vec::new();
        encode_row_of(&mut with_symbol, "AB", &row, Some(2.5), 42);
        assert_eq!(&with_symbol[0..8], &[0, 10, 0, 0, 0, 2, b'A', b'B']);
        assert_eq!(&with_symbol[8..80], &buf[2..]);
        // The stored median and the load's run id last, outside the digest.
        assert_eq!(&with_symbol[80..84], &[0, 0, 0, 8]);
        assert_eq!(&with_symbol[84..92], &2.5f64.to_bits().to_be_bytes());
        assert_eq!(&with_symbol[92..96], &[0, 0, 0, 8]);
        assert_eq!(&with_symbol[96..], &42i64.to_be_bytes());
    }

    #[test]
    fn the_digest_sees_every_value() {
        let row = row(7);
        let of = |row: &Row| encode_row_of(&mut Vec::new(), "X", row, None, 1);
        let changed = [
            Row {
                adj_close: Some(1.5),
                ..row
            },
            Row { volume: 8, ..row },
            Row {
                open: 1.0 + f64::EPSILON,
                ..row
            },
            Row {
                day: row.day.succ_opt().unwrap(),
                ..row
            },
        ];
        for other in changed {
            assert_ne!(of(&row), of(&other), "{other:?}");
        }
        // The same values under another symbol, median or load: the digest is of the values
        // only.
        assert_eq!(
            of(&row),
            encode_row_of(&mut Vec::new(), "YY", &row, Some(1.0), 2)
        );
    }

    #[test]
    fn tuples_are_found_across_any_chunking() {
        let rows: Vec<Row> = (0..3)
            .map(|i| Row {
                day: NaiveDate::from_ymd_opt(2000, 1, 3 + i).unwrap(),
                open: 1.0,
                high: 2.0,
                low: 0.5,
                close: 1.5,
                adj_close: (i != 1).then_some(1.4),
                volume: 7,
            })
            .collect();
        let mut stream = HEADER.to_vec();
        let mut expected = Vec::new();
        for row in &rows {
            encode_row(&mut stream, row);
            expected.push(encode_row_of(&mut Vec::new(), "X", row, None, 1));
        }
        stream.extend_from_slice(TRAILER);
        for size in [1, 2, 7, 19, 64, stream.len()] {
            let mut reader = TupleReader::default();
            let mut seen = Vec::new();
            for chunk in stream.chunks(size) {
                reader.feed(chunk, |v| seen.push(digest(v))).unwrap();
            }
            assert_eq!(seen, expected, "chunks of {size}");
        }
        let mut reader = TupleReader::default();
        assert!(reader.feed(&[b'x'; 32], |_| {}).is_err());
    }
}
