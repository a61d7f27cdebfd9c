//! Daily rows as binary COPY tuples: of the staging table, or of `market.daily_prices`.

use super::parse::Row;
use crate::load::copy;

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
