//! Trade and quote records as binary COPY tuples: of the event staging table (the merge), or
//! of `market.trades` and `market.quotes` themselves (the copy path).

use super::parse::{Event, Values};
use crate::db::copy;

const NULL: [u8; 4] = (-1i32).to_be_bytes();

/// The key and arrival of an event, the first fields of every tuple below: trade_dt, symbol,
/// exchange, event_tm, event_seq_nb, arrival_tm (no arrival time is `-infinity`).
fn put_key(buf: &mut Vec<u8>, e: &Event) {
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
}

/// Appends one trade or quote record as a tuple of `stockdb_event_staging` (line, rec_type,
/// trade_dt, symbol, exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size,
/// bid_pr, bid_size, ask_pr, ask_size).
pub fn encode_event(buf: &mut Vec<u8>, e: &Event) {
    buf.extend_from_slice(&15i16.to_be_bytes());
    copy::put_i64(buf, e.line as i64);
    let rec_type = match e.values {
        Values::Trade { .. } => b'T',
        Values::Quote { .. } => b'Q',
    };
    buf.extend_from_slice(&1i32.to_be_bytes());
    buf.push(rec_type);
    put_key(buf, e);
    match &e.values {
        Values::Trade { .. } => {
            put_trade_values(buf, &e.values);
            for _ in 0..4 {
                buf.extend_from_slice(&NULL);
            }
        }
        Values::Quote { .. } => {
            for _ in 0..3 {
                buf.extend_from_slice(&NULL);
            }
            put_quote_values(buf, &e.values);
        }
    }
}

/// Appends the record as a tuple of its own table, `market.trades` (trade_dt, symbol,
/// exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size) or
/// `market.quotes` (…, arrival_tm, bid_pr, bid_size, ask_pr, ask_size), the columns
/// `direct.rs` names; returns the offset where the tuple's values start (after its field
/// count), for the digest of the sanity check.
pub fn encode_row(buf: &mut Vec<u8>, e: &Event) -> usize {
    let fields = match e.values {
        Values::Trade { .. } => super::TRADE_FIELDS,
        Values::Quote { .. } => super::QUOTE_FIELDS,
    } as i16;
    buf.extend_from_slice(&fields.to_be_bytes());
    let values = buf.len();
    put_key(buf, e);
    match e.values {
        Values::Trade { .. } => put_trade_values(buf, &e.values),
        Values::Quote { .. } => put_quote_values(buf, &e.values),
    }
    values
}

fn put_trade_values(buf: &mut Vec<u8>, values: &Values) {
    if let Values::Trade {
        execution_id,
        price,
        size,
    } = values
    {
        match execution_id {
            Some(id) => copy::put_text(buf, id),
            None => buf.extend_from_slice(&NULL),
        }
        copy::put_f64(buf, *price);
        copy::put_i64(buf, *size);
    }
}

fn put_quote_values(buf: &mut Vec<u8>, values: &Values) {
    if let Values::Quote {
        bid_pr,
        bid_size,
        ask_pr,
        ask_size,
    } = values
    {
        copy::put_f64(buf, *bid_pr);
        copy::put_i64(buf, *bid_size);
        copy::put_f64(buf, *ask_pr);
        copy::put_i64(buf, *ask_size);
    }
}
