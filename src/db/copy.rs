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

pub fn put_opt_i64(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => put_i64(buf, v),
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

/// `sql` with each `:'name'` (psql's spelling of a quoted variable) replaced by its value as a
/// string literal. A `COPY (query) TO STDOUT` takes no parameters; a literal, unlike a
/// session setting read by `current_setting`, also reaches the shards of a Citus cluster and
/// lets its planner send the query to the one shard of a symbol.
pub fn with_literals(sql: &str, values: &[(&str, &str)]) -> String {
    let mut sql = sql.to_string();
    for (name, value) in values {
        // The E'' form reads the same whatever standard_conforming_strings says.
        let literal = format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"));
        sql = sql.replace(&format!(":'{name}'"), &literal);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::with_literals;

    #[test]
    fn literals_are_quoted_and_escaped() {
        assert_eq!(
            with_literals(
                "WHERE symbol = :'symbol' AND r = :'symbol'::x AND t = :'t'",
                &[("symbol", r"O'B\X"), ("t", "1")]
            ),
            r"WHERE symbol = E'O''B\\X' AND r = E'O''B\\X'::x AND t = E'1'"
        );
    }
}
