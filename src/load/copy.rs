//! PostgreSQL binary COPY encoding of price rows and period aggregate rows.
//!
//! Binary rather than text: no float formatting or parsing on either side, and the values
//! arrive bit for bit, which the sanity check's exact comparison relies on.

use super::intraday::parse::Bar;
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

/// Appends one row as a tuple of the staging table (day, open, high, low, close, adj_close,
/// volume); returns the [`digest`] of its values.
pub fn encode_row(buf: &mut Vec<u8>, row: &Row) -> u64 {
    buf.extend_from_slice(&7i16.to_be_bytes());
    let values = buf.len();
    encode_values(buf, row);
    digest(&buf[values..])
}

/// The day of a tuple's values as [`encode_row`] writes them and `read_back.sql` reads them
/// (a date first), or None when they do not start with a 4-byte date.
pub fn day_of(values: &[u8]) -> Option<NaiveDate> {
    if values.len() < 8 || be_i32(&values[..4]) != 4 {
        return None;
    }
    pg_epoch().checked_add_signed(chrono::TimeDelta::days(i64::from(be_i32(&values[4..8]))))
}

/// Appends one row as a tuple of `market.daily_prices` (symbol, the staging columns, then the
/// stored 30-day median); returns the [`digest`] of the staging columns' values.
pub fn encode_row_of(buf: &mut Vec<u8>, symbol: &str, row: &Row, median: Option<f64>) -> u64 {
    buf.extend_from_slice(&9i16.to_be_bytes());
    put_text(buf, symbol);
    let values = buf.len();
    encode_values(buf, row);
    let digest = digest(&buf[values..]);
    put_opt_f64(buf, median);
    digest
}

/// A 64-bit digest of a row's values as binary COPY writes them (day, open, high, low, close,
/// adj_close, volume): the sanity check compares the file's with the table's, read back with
/// `COPY ... TO STDOUT (FORMAT binary)`, so equal digests mean bit-identical values.
pub fn digest(values: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    // DefaultHasher::new() is keyed with constants: the same bytes give the same digest.
    let mut h = DefaultHasher::new();
    h.write(values);
    h.finish()
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

fn be_i32(b: &[u8]) -> i32 {
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

fn encode_values(buf: &mut Vec<u8>, row: &Row) {
    put_date(buf, row.day);
    for v in [row.open, row.high, row.low, row.close] {
        put_f64(buf, v);
    }
    put_opt_f64(buf, row.adj_close);
    put_i64(buf, row.volume);
}

fn put_opt_f64(buf: &mut Vec<u8>, v: Option<f64>) {
    match v {
        Some(v) => put_f64(buf, v),
        // A field length of -1 is NULL.
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

fn put_text(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as i32).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
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
    put_text(buf, symbol);
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

/// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 (UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Appends one intraday bar as a tuple of `market.intraday_bars` (symbol, resolution, ts,
/// open, high, low, close, volume); `resolution` in microseconds.
pub fn encode_bar(buf: &mut Vec<u8>, symbol: &str, resolution: i64, bar: &Bar) {
    buf.extend_from_slice(&8i16.to_be_bytes());
    put_text(buf, symbol);
    put_interval(buf, resolution);
    put_bar_values(buf, bar);
}

/// A bar's values (ts, open, high, low, close, volume) as binary COPY writes them: the part
/// of an [`encode_bar`] tuple that `intraday/sql/read_back.sql` reads back, for [`digest`].
pub fn put_bar_values(buf: &mut Vec<u8>, bar: &Bar) {
    put_i64(buf, bar.ts - PG_EPOCH_MICROS);
    for v in [bar.open, bar.high, bar.low, bar.close] {
        put_f64(buf, v);
    }
    put_i64(buf, bar.volume);
}

/// The bar start (microseconds since 1970) of values as [`put_bar_values`] writes them.
pub fn bar_ts_of(values: &[u8]) -> Option<i64> {
    if values.len() < 12 || be_i32(&values[..4]) != 8 {
        return None;
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&values[4..12]);
    Some(i64::from_be_bytes(b) + PG_EPOCH_MICROS)
}

/// Appends one row of an intraday roll-up table (symbol, source_resolution, bucket, open,
/// high, low, close, volume, price_volume, bars); times in microseconds since 1970 (UTC).
pub fn encode_rollup(
    buf: &mut Vec<u8>,
    symbol: &str,
    resolution: i64,
    bucket: i64,
    b: &crate::analytics::intraday::Bucket,
) {
    buf.extend_from_slice(&10i16.to_be_bytes());
    put_text(buf, symbol);
    put_interval(buf, resolution);
    put_i64(buf, bucket - PG_EPOCH_MICROS);
    for v in [b.open, b.high, b.low, b.close] {
        put_f64(buf, v);
    }
    put_i64(buf, b.volume);
    put_f64(buf, b.price_volume);
    put_i64(buf, b.bars);
}

/// Appends one trade or quote record as a tuple of `stockdb_event_staging` (line, rec_type,
/// trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size,
/// bid_pr, bid_size, ask_pr, ask_size); no arrival time is `-infinity`.
pub fn encode_event(buf: &mut Vec<u8>, e: &super::events::parse::Event) {
    use super::events::parse::Values;
    buf.extend_from_slice(&15i16.to_be_bytes());
    put_i64(buf, e.line as i64);
    let rec_type = match e.values {
        Values::Trade { .. } => b'T',
        Values::Quote { .. } => b'Q',
    };
    buf.extend_from_slice(&1i32.to_be_bytes());
    buf.push(rec_type);
    put_date(buf, e.trade_dt);
    put_text(buf, &e.symbol);
    put_text(buf, &e.exchange);
    put_i64(buf, e.event_tm - PG_EPOCH_MICROS);
    put_i64(buf, e.event_seq_nb);
    // PostgreSQL's binary -infinity timestamp is i64::MIN.
    put_i64(buf, e.arrival_tm.map_or(i64::MIN, |t| t - PG_EPOCH_MICROS));
    const NULL: [u8; 4] = (-1i32).to_be_bytes();
    match &e.values {
        Values::Trade {
            execution_id,
            price,
            size,
        } => {
            match execution_id {
                Some(id) => put_text(buf, id),
                None => buf.extend_from_slice(&NULL),
            }
            put_f64(buf, *price);
            put_i64(buf, *size);
            for _ in 0..4 {
                buf.extend_from_slice(&NULL);
            }
        }
        Values::Quote {
            bid_pr,
            bid_size,
            ask_pr,
            ask_size,
        } => {
            for _ in 0..3 {
                buf.extend_from_slice(&NULL);
            }
            put_f64(buf, *bid_pr);
            put_i64(buf, *bid_size);
            put_f64(buf, *ask_pr);
            put_i64(buf, *ask_size);
        }
    }
}

fn put_interval(buf: &mut Vec<u8>, micros: i64) {
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
        encode_row_of(&mut with_symbol, "AB", &row, Some(2.5));
        assert_eq!(&with_symbol[0..8], &[0, 9, 0, 0, 0, 2, b'A', b'B']);
        assert_eq!(&with_symbol[8..80], &buf[2..]);
        // The stored median last, outside the digest.
        assert_eq!(&with_symbol[80..84], &[0, 0, 0, 8]);
        assert_eq!(&with_symbol[84..], &2.5f64.to_bits().to_be_bytes());
    }

    #[test]
    fn the_digest_sees_every_value() {
        let row = row(7);
        let of = |row: &Row| encode_row_of(&mut Vec::new(), "X", row, None);
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
        // The same values under another symbol, or another median: the digest is of the values
        // only.
        assert_eq!(
            of(&row),
            encode_row_of(&mut Vec::new(), "YY", &row, Some(1.0))
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
            expected.push(encode_row_of(&mut Vec::new(), "X", row, None));
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
