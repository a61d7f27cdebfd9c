//! Intraday bars as binary COPY tuples of `market.intraday_bars`, and their values as the
//! read-back compares them.

use super::parse::Bar;
use crate::db::copy;

/// Appends one intraday bar as a tuple of `market.intraday_bars` (symbol, resolution, ts,
/// open, high, low, close, volume, load_run_id); `resolution` in microseconds. Returns the
/// [`copy::digest`] of its values ([`put_bar_values`]).
pub fn encode_bar(buf: &mut Vec<u8>, symbol: &str, resolution: i64, bar: &Bar, run_id: i64) -> u64 {
    buf.extend_from_slice(&9i16.to_be_bytes());
    copy::put_text(buf, symbol);
    copy::put_interval(buf, resolution);
    let values = buf.len();
    put_bar_values(buf, bar);
    let digest = copy::digest(&buf[values..]);
    copy::put_i64(buf, run_id);
    digest
}

/// A bar's values (ts, open, high, low, close, volume) as binary COPY writes them: the part
/// of an [`encode_bar`] tuple that `intraday/sql/read_back.sql` reads back, for [`copy::digest`].
pub fn put_bar_values(buf: &mut Vec<u8>, bar: &Bar) {
    copy::put_i64(buf, bar.ts - copy::PG_EPOCH_MICROS);
    for v in [bar.open, bar.high, bar.low, bar.close] {
        copy::put_f64(buf, v);
    }
    copy::put_i64(buf, bar.volume);
}

/// The bar start (microseconds since 1970) of values as [`put_bar_values`] writes them.
pub fn bar_ts_of(values: &[u8]) -> Option<i64> {
    if values.len() < 12 || copy::be_i32(&values[..4]) != 8 {
        return None;
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&values[4..12]);
    Some(i64::from_be_bytes(b) + copy::PG_EPOCH_MICROS)
}
