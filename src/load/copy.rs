//! PostgreSQL binary COPY encoding of price rows and period aggregate rows.
//!
//! Binary rather than text: no float formatting or parsing on either side, and the values
//! arrive bit for bit, which the sanity check's exact comparison relies on.

use super::parse::Row;
use crate::analytics::periods::Bucket;
use chrono::NaiveDate;

/// Signature, flags (0) and header-extension length (0) of a binary COPY stream.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The file trailer: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// PostgreSQL dates count days from 2000-01-01.
fn pg_epoch() -> NaiveDate {
    // 2000-01-01 is a valid date.
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
}

/// Appends one row as a tuple of the staging table (day, open, high, low, close, adj_close, volume).
pub fn encode_row(buf: &mut Vec<u8>, row: &Row) {
    buf.extend_from_slice(&7i16.to_be_bytes());
    put_date(buf, row.day);
    for v in [row.open, row.high, row.low, row.close] {
        put_f64(buf, v);
    }
    match row.adj_close {
        Some(v) => put_f64(buf, v),
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
    }
    put_i64(buf, row.volume);
}

/// Appends one row of a period aggregate table (symbol, bucket, trading_days, open, high, low,
/// close, volume, avg_high, avg_low, avg_close, avg_volume); the volume must fit bigint.
pub fn encode_period_row(
    buf: &mut Vec<u8>,
    symbol: &str,
    bucket: NaiveDate,
    b: &Bucket,
    volume: i64,
) {
    buf.extend_from_slice(&12i16.to_be_bytes());
    buf.extend_from_slice(&(symbol.len() as i32).to_be_bytes());
    buf.extend_from_slice(symbol.as_bytes());
    put_date(buf, bucket);
    put_i64(buf, b.trading_days);
    for v in [b.open, b.high, b.low, b.close] {
        put_f64(buf, v);
    }
    put_i64(buf, volume);
    for v in [b.avg_high(), b.avg_low(), b.avg_close(), b.avg_volume()] {
        put_f64(buf, v);
    }
}

fn put_date(buf: &mut Vec<u8>, day: NaiveDate) {
    let days = (day - pg_epoch()).num_days() as i32;
    buf.extend_from_slice(&4i32.to_be_bytes());
    buf.extend_from_slice(&days.to_be_bytes());
}

fn put_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&8i32.to_be_bytes());
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_f64(buf: &mut Vec<u8>, v: f64) {
    buf.extend_from_slice(&8i32.to_be_bytes());
    buf.extend_from_slice(&v.to_bits().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_row_as_seven_big_endian_fields() {
        let row = Row {
            day: NaiveDate::from_ymd_opt(2000, 1, 2).unwrap(),
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            adj_close: None,
            volume: 3_000_000_000,
        };
        let mut buf = Vec::new();
        encode_row(&mut buf, &row);
        assert_eq!(&buf[0..2], &[0, 7]);
        assert_eq!(&buf[2..10], &[0, 0, 0, 4, 0, 0, 0, 1]);
        assert_eq!(&buf[10..14], &[0, 0, 0, 8]);
        assert_eq!(&buf[14..22], &1.0f64.to_bits().to_be_bytes());
        // adj_close NULL: length -1 and no bytes.
        assert_eq!(&buf[58..62], &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&buf[66..74], &3_000_000_000i64.to_be_bytes());
        assert_eq!(buf.len(), 74);
    }
}
