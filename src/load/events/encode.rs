//! Trade and quote records as binary COPY tuples: of the event staging table (the merge), or
//! of `market.trades` and `market.quotes` themselves (the copy path).

use super::parse::{Event, Values, VendorFields};
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
/// bid_pr, bid_size, ask_pr, ask_size, then the vendor fields of `put_staged_vendor`).
pub fn encode_event(buf: &mut Vec<u8>, e: &Event) {
    buf.extend_from_slice(&25i16.to_be_bytes());
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
    put_staged_vendor(buf, e);
}

/// The staging table's vendor fields: a trade row's (`put_trade_vendor`), then bid_exchange
/// and ask_exchange.
fn put_staged_vendor(buf: &mut Vec<u8>, e: &Event) {
    let v = e.vendor.as_ref();
    put_trade_vendor(buf, e.event_ns, v);
    put_opt_text(buf, v.and_then(|v| v.bid_exchange.as_deref()));
    put_opt_text(buf, v.and_then(|v| v.ask_exchange.as_deref()));
}

/// A trade row's vendor fields (`copy_trades.sql`): event_ns, source, conditions, correction,
/// tape, trf_id, trf_ns, participant_ns.
fn put_trade_vendor(buf: &mut Vec<u8>, event_ns: i64, v: Option<&VendorFields>) {
    copy::put_i64(buf, event_ns);
    put_opt_text(buf, v.map(|v| v.source));
    put_conditions(buf, v.and_then(|v| v.conditions.as_deref()));
    put_opt_i16(buf, v.and_then(|v| v.correction));
    put_opt_text(buf, v.and_then(|v| v.tape.as_deref()));
    put_opt_text(buf, v.and_then(|v| v.trf_id.as_deref()));
    copy::put_opt_i64(buf, v.and_then(|v| v.trf_ns));
    copy::put_opt_i64(buf, v.and_then(|v| v.participant_ns));
}

/// A quote row's vendor fields (`copy_quotes.sql`): event_ns, source, conditions, tape,
/// participant_ns, bid_exchange, ask_exchange.
fn put_quote_vendor(buf: &mut Vec<u8>, event_ns: i64, v: Option<&VendorFields>) {
    copy::put_i64(buf, event_ns);
    put_opt_text(buf, v.map(|v| v.source));
    put_conditions(buf, v.and_then(|v| v.conditions.as_deref()));
    put_opt_text(buf, v.and_then(|v| v.tape.as_deref()));
    copy::put_opt_i64(buf, v.and_then(|v| v.participant_ns));
    put_opt_text(buf, v.and_then(|v| v.bid_exchange.as_deref()));
    put_opt_text(buf, v.and_then(|v| v.ask_exchange.as_deref()));
}

fn put_opt_text(buf: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(t) => copy::put_text(buf, t),
        None => buf.extend_from_slice(&NULL),
    }
}

fn put_opt_i16(buf: &mut Vec<u8>, v: Option<i16>) {
    match v {
        Some(n) => {
            buf.extend_from_slice(&2i32.to_be_bytes());
            buf.extend_from_slice(&n.to_be_bytes());
        }
        None => buf.extend_from_slice(&NULL),
    }
}

/// Comma-separated codes as a binary `text[]` (PostgreSQL's array_send: dimensions, a null
/// flag, the element type, then each dimension's length and lower bound, then the elements).
fn put_conditions(buf: &mut Vec<u8>, codes: Option<&str>) {
    let Some(codes) = codes else {
        buf.extend_from_slice(&NULL);
        return;
    };
    const TEXT_OID: i32 = 25;
    let at = buf.len();
    buf.extend_from_slice(&0i32.to_be_bytes());
    let n = if codes.is_empty() {
        0
    } else {
        codes.split(',').count() as i32
    };
    if n == 0 {
        // An empty array has no dimensions.
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&TEXT_OID.to_be_bytes());
    } else {
        buf.extend_from_slice(&1i32.to_be_bytes());
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&TEXT_OID.to_be_bytes());
        buf.extend_from_slice(&n.to_be_bytes());
        buf.extend_from_slice(&1i32.to_be_bytes());
        for c in codes.split(',') {
            copy::put_text(buf, c);
        }
    }
    let len = (buf.len() - at - 4) as i32;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// Appends the record as a tuple of its own table, `market.trades` (trade_dt, symbol,
/// exchange, event_tm, event_seq_nb, arrival_tm, execution_id, price, size, vendor fields) or
/// `market.quotes` (…, arrival_tm, bid_pr, bid_size, ask_pr, ask_size, vendor fields), the columns
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
        Values::Trade { .. } => {
            put_trade_values(buf, &e.values);
            put_trade_vendor(buf, e.event_ns, e.vendor.as_ref());
        }
        Values::Quote { .. } => {
            put_quote_values(buf, &e.values);
            put_quote_vendor(buf, e.event_ns, e.vendor.as_ref());
        }
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
        copy::put_opt_f64(buf, *bid_pr);
        copy::put_i64(buf, *bid_size);
        copy::put_opt_f64(buf, *ask_pr);
        copy::put_i64(buf, *ask_size);
    }
}
