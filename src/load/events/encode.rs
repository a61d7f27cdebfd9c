//! Trade and quote records as binary COPY tuples of the event staging table.

use super::parse::Event;
use crate::load::copy;

/// Appends one trade or quote record as a tuple of `stockdb_event_staging` (line, rec_type,
/// trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size,
/// bid_pr, bid_size, ask_pr, ask_size); no arrival time is `-infinity`.
pub fn encode_event(buf: &mut Vec<u8>, e: &Event) {
    use super::parse::Values;
    buf.extend_from_slice(&15i16.to_be_bytes());
    copy::put_i64(buf, e.line as i64);
    let rec_type = match e.values {
        Values::Trade { .. } => b'T',
        Values::Quote { .. } => b'Q',
    };
    buf.extend_from_slice(&1i32.to_be_bytes());
    buf.push(rec_type);
    copy::put_date(buf, e.trade_dt);
    copy::put_text(buf, &e.symbol);
    copy::put_text(buf, &e.exchange);
    copy::put_i64(buf, e.event_tm - copy::PG_EPOCH_MICROS);
    copy::put_i64(buf, e.event_seq_nb);
    // PostgreSQL's binary -infinity timestamp is i64::MIN.
    copy::put_i64(
        buf,
        e.arrival_tm.map_or(i64::MIN, |t| t - copy::PG_EPOCH_MICROS),
    );
    const NULL: [u8; 4] = (-1i32).to_be_bytes();
    match &e.values {
        Values::Trade {
            execution_id,
            price,
            size,
        } => {
            match execution_id {
                Some(id) => copy::put_text(buf, id),
                None => buf.extend_from_slice(&NULL),
            }
            copy::put_f64(buf, *price);
            copy::put_i64(buf, *size);
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
            copy::put_f64(buf, *bid_pr);
            copy::put_i64(buf, *bid_size);
            copy::put_f64(buf, *ask_pr);
            copy::put_i64(buf, *ask_size);
        }
    }
}
