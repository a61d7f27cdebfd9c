//! PostgreSQL binary COPY: the stream's framing, field encoders and the digest that every
//! kind's tuples (each kind's `encode`) and the sanity check share.
//!
//! Binary rather than text: no float formatting or parsing on either side, and the values
//! arrive bit for bit, which the sanity check's exact comparison relies on.

use chrono::NaiveDate;

/// Signature, flags (0) and header-extension length (0) of a binary COPY stream.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The file trailer: a field count of -1.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// PostgreSQL dates count days from 2000-01-01.
pub fn pg_epoch() -> NaiveDate {
    // 2000-01-01 is a valid date.
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
}

/// The day of a tuple's values as [`encode_row`] writes them and `read_back.sql` reads them
/// (a date first), or None when they do not start with a 4-byte date.
pub fn day_of(values: &[u8]) -> Option<NaiveDate> {
    if values.len() < 8 || be_i32(&values[..4]) != 4 {
        return None;
    }
    pg_epoch().checked_add_signed(chrono::TimeDelta::days(i64::from(be_i32(&values[4..8]))))
}

/// A 64-bit digest of a row's values as binary COPY writes them (day, open, high, low, close,
/// adj_close, volume): the sanity check compares the file's with the table's, read back with
/// `COPY ... TO STDOUT (FORMAT binary)`, so equal digests mean bit-identical values.
pub fn digest(values: &[u8]) -> u64 {
    // XXH3 rather than std's SipHash: these digests are taken of every row read and every row
    // read back, and XXH3 costs a fraction of SipHash on rows of 50-100 bytes, with 64 bits
    // that are as good for telling changed rows apart (nothing here is keyed against an
    // adversary: SipHash's key would be a published constant too).
    xxhash_rust::xxh3::xxh3_64(values)
}

/// Splits a binary COPY stream, arriving in chunks of any size, into tuples; hands each
/// tuple's field bytes (its field count cut off) to a callback.
#[derive(Debug, Default)]
pub struct TupleReader {
    pending: Vec<u8>,
    header_read: bool,
}

impl TupleReader {
    /// Takes the next chunk; `Err` when the stream is not binary COPY.
    pub fn feed(&mut self, chunk: &[u8], mut each: impl FnMut(&[u8])) -> Result<(), String> {
        self.pending.extend_from_slice(chunk);
        let buf = &self.pending[..];
        let mut at = 0;
        if !self.header_read {
            // Signature (11), flags (4), header extension length (4) and the extension.
            if buf.len() < 19 {
                return Ok(());
            }
            if buf[..11] != HEADER[..11] {
                return Err("not a binary COPY stream".into());
            }
            let ext = be_i32(&buf[15..19]).max(0) as usize;
            if buf.len() < 19 + ext {
                return Ok(());
            }
            at = 19 + ext;
            self.header_read = true;
        }
        while let Some(tuple) = tuple_at(&buf[at..])? {
            if tuple.len() > 2 {
                each(&tuple[2..]);
            }
            at += tuple.len();
        }
        self.pending.drain(..at);
        Ok(())
    }
}

/// The byte offset after the first `n` fields of a tuple's values; None when it has fewer.
pub fn fields_end(values: &[u8], n: usize) -> Option<usize> {
    let mut at = 0;
    for _ in 0..n {
        let len = be_i32(values.get(at..at + 4)?);
        at += 4 + len.max(0) as usize;
    }
    (at <= values.len()).then_some(at)
}

pub fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The complete tuple (or trailer) at the start of `buf`, or None if it is not all there yet.
fn tuple_at(buf: &[u8]) -> Result<Option<&[u8]>, String> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let fields = i16::from_be_bytes([buf[0], buf[1]]);
    if fields == -1 {
        return Ok(Some(&buf[..2]));
    }
    if fields < 0 {
        return Err(format!("bad field count {fields} in a binary COPY stream"));
    }
    let mut at = 2;
    for _ in 0..fields {
        if buf.len() < at + 4 {
            return Ok(None);
        }
        let len = be_i32(&buf[at..at + 4]);
        at += 4 + len.max(0) as usize;
        if buf.len() < at {
            return Ok(None);
        }
    }
    Ok(Some(&buf[..at]))
}

pub fn put_opt_f64(buf: &mut Vec<u8>, v: Option<f64>) {
    match v {
        Some(v) => put_f64(buf, v),
        // A field length of -1 is NULL.
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

pub fn put_text(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as i32).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 (UTC).
pub const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

pub fn put_interval(buf: &mut Vec<u8>, micros: i64) {
    // An interval: microseconds, days, months.
    buf.extend_from_slice(&16i32.to_be_bytes());
    buf.extend_from_slice(&micros.to_be_bytes());
    buf.extend_from_slice(&0i32.to_be_bytes());
    buf.extend_from_slice(&0i32.to_be_bytes());
}

/// A resolution in microseconds as the interval [`encode_bar`] writes.
pub fn interval_of(resolution: i64) -> sqlx::postgres::types::PgInterval {
    sqlx::postgres::types::PgInterval {
        months: 0,
        days: 0,
        microseconds: resolution,
    }
}

pub fn put_date(buf: &mut Vec<u8>, day: NaiveDate) {
    let days = (day - pg_epoch()).num_days() as i32;
    buf.extend_from_slice(&4i32.to_be_bytes());
    buf.extend_from_slice(&days.to_be_bytes());
}

pub fn put_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&8i32.to_be_bytes());
    buf.extend_from_slice(&v.to_be_bytes());
}

pub fn put_f64(buf: &mut Vec<u8>, v: f64) {
    buf.extend_from_slice(&8i32.to_be_bytes());
    buf.extend_from_slice(&v.to_bits().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::daily::encode::{encode_row, encode_row_of};
    use crate::load::daily::parse::Row;

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
