//! The digests that tell whether an event is stored as the file has it, without holding
//! either side's values: the copy path's sanity check (`direct.rs`) and a re-load's
//! comparison (`compare.rs`). The file's side digests the tuples `encode_row` writes; the
//! stored side digests the read-backs' (`read_back_*.sql`), which name each row's group by its
//! number in `pg_temp.stockdb_event_groups` rather than by its trade date, symbol and exchange:
//! three columns fewer for the server to write for every stored event.

use crate::db::copy;
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// Fields of an event's group (trade_dt, symbol, exchange) at the start of `encode_row`'s
/// tuples; the read-backs send one field, the group's number, instead.
const GROUP_FIELDS: usize = 3;

/// Fields of an event's key within its group (event_tm, event_seq_nb); its arrival follows.
const KEY_FIELDS: usize = 2;

/// One event's digests: of its group, of its key within the group, and of the rest of its row
/// (key, arrival and values); and its arrival (PostgreSQL microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digests {
    pub group: u64,
    pub key: u64,
    pub row: u64,
    pub arrival: i64,
}

/// The digests of the groups, numbered as `store_groups` numbers them in
/// `pg_temp.stockdb_event_groups` (from 1, in the set's order): a read-back row's group
/// number `n` has digest `[n - 1]`.
pub fn of_groups(groups: &BTreeSet<(NaiveDate, String, String)>) -> Vec<u64> {
    let mut buf = Vec::new();
    groups
        .iter()
        .map(|(day, symbol, exchange)| {
            buf.clear();
            copy::put_date(&mut buf, *day);
            copy::put_text(&mut buf, symbol);
            copy::put_text(&mut buf, exchange);
            copy::digest(&buf)
        })
        .collect()
}

/// A tuple as `encode_row` writes it (its values after the field count): `row_fields` fields,
/// the group's first.
pub fn of_sent(values: &[u8], row_fields: usize) -> Option<Digests> {
    let group_end = copy::fields_end(values, GROUP_FIELDS)?;
    let (key, row, arrival) = of_rest(&values[group_end..], row_fields - GROUP_FIELDS)?;
    Some(Digests {
        group: copy::digest(&values[..group_end]),
        key,
        row,
        arrival,
    })
}

/// A tuple of a read-back: the group's number, then the rest of a row of `row_fields` fields,
/// then `dropped_arrivals`. The digests, and where `dropped_arrivals` starts.
pub fn of_stored(values: &[u8], row_fields: usize, groups: &[u64]) -> Option<(Digests, usize)> {
    if copy::be_i32(values.get(..4)?) != 4 {
        return None;
    }
    let n = copy::be_i32(values.get(4..8)?);
    let group = *groups.get(usize::try_from(n).ok()?.checked_sub(1)?)?;
    let rest_fields = row_fields - GROUP_FIELDS;
    let (key, row, arrival) = of_rest(&values[8..], rest_fields)?;
    let row_end = 8 + copy::fields_end(&values[8..], rest_fields)?;
    Some((
        Digests {
            group,
            key,
            row,
            arrival,
        },
        row_end,
    ))
}

/// The digests of a row's fields after its group, `fields` of them: (key, row, arrival).
fn of_rest(rest: &[u8], fields: usize) -> Option<(u64, u64, i64)> {
    let key_end = copy::fields_end(rest, KEY_FIELDS)?;
    let arrival = rest.get(key_end..key_end + 12)?;
    let row_end = copy::fields_end(rest, fields)?;
    Some((
        copy::digest(&rest[..key_end]),
        copy::digest(&rest[..row_end]),
        i64::from_be_bytes(arrival[4..12].try_into().ok()?),
    ))
}

/// What the sanity check sums for a row: its group and the rest of it, combined.
pub fn tally_value(d: &Digests) -> u64 {
    d.row ^ d.group.rotate_left(32)
}

/// Rows and the wrapping sum of their digests: one side of the sanity check.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub rows: u64,
    pub sum: u64,
}

impl Tally {
    /// Counts one row; a row that could not be digested (None) spoils the sum.
    pub fn add(&mut self, row: Option<Digests>) {
        self.rows += 1;
        // A row that cannot be digested makes the sums differ, as it should.
        let value = row.as_ref().map_or(u64::MAX, tally_value);
        self.sum = self.sum.wrapping_add(value);
    }
}

/// For tests: the values of a read-back tuple of the row `encode_row` wrote as `sent` (its
/// values, after the field count): group number `n` in place of the group's three fields, the
/// rest of the row, then `dropped`, the `dropped_arrivals` field as sent (length and bytes).
#[cfg(test)]
pub fn read_back_values(sent: &[u8], n: i32, dropped: &[u8]) -> Vec<u8> {
    let group_end = copy::fields_end(sent, GROUP_FIELDS).unwrap();
    let mut back = 4i32.to_be_bytes().to_vec();
    back.extend_from_slice(&n.to_be_bytes());
    back.extend_from_slice(&sent[group_end..]);
    back.extend_from_slice(dropped);
    back
}

/// A NULL field, as `dropped` for [`read_back_values`].
#[cfg(test)]
pub const NULL_FIELD: [u8; 4] = (-1i32).to_be_bytes();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::events::encode::encode_row;
    use crate::load::events::parse::{Event, Values};

    fn quote(symbol: &str, bid_pr: f64) -> Event {
        Event {
            line: 1,
            trade_dt: NaiveDate::from_ymd_opt(2020, 8, 3).unwrap(),
            symbol: symbol.into(),
            exchange: "NYSE".into(),
            event_tm: 1_596_461_400_123_000,
            event_ns: 1_596_461_400_123_000_000,
            event_seq_nb: 3,
            arrival_tm: Some(1_596_470_000_000_000),
            values: Values::Quote {
                bid_pr: Some(bid_pr),
                bid_size: 100,
                ask_pr: Some(10.51),
                ask_size: 200,
            },
            vendor: None,
        }
    }

    #[test]
    fn a_stored_row_has_the_digests_of_the_row_sent() {
        let groups: BTreeSet<_> = ["AAAA", "BBBB"]
            .iter()
            .map(|s| {
                (
                    NaiveDate::from_ymd_opt(2020, 8, 3).unwrap(),
                    s.to_string(),
                    "NYSE".to_string(),
                )
            })
            .collect();
        let numbered = of_groups(&groups);
        let fields = crate::load::events::QUOTE_FIELDS;
        for (n, symbol) in [(1, "AAAA"), (2, "BBBB")] {
            let mut buf = Vec::new();
            let start = encode_row(&mut buf, &quote(symbol, 10.5));
            let sent = of_sent(&buf[start..], fields).unwrap();
            let back = read_back_values(&buf[start..], n, &NULL_FIELD);
            let (stored, dropped_at) = of_stored(&back, fields, &numbered).unwrap();
            assert_eq!(stored, sent);
            assert_eq!(&back[dropped_at..], &NULL_FIELD);
            assert_eq!(tally_value(&stored), tally_value(&sent));
            // Named by the other group's number, the row is another.
            let other = read_back_values(&buf[start..], 3 - n, &NULL_FIELD);
            let (moved, _) = of_stored(&other, fields, &numbered).unwrap();
            assert_ne!(tally_value(&moved), tally_value(&sent));
        }
        // A changed value changes the row's digest, not its key's.
        let mut a = Vec::new();
        let sa = encode_row(&mut a, &quote("AAAA", 10.5));
        let mut b = Vec::new();
        let sb = encode_row(&mut b, &quote("AAAA", 10.49));
        let (da, db) = (
            of_sent(&a[sa..], fields).unwrap(),
            of_sent(&b[sb..], fields).unwrap(),
        );
        assert_eq!((da.group, da.key), (db.group, db.key));
        assert_ne!(da.row, db.row);
        // A group number the file does not have is no row of it.
        assert!(
            of_stored(
                &read_back_values(&a[sa..], 3, &NULL_FIELD),
                fields,
                &numbered
            )
            .is_none()
        );
        assert!(
            of_stored(
                &read_back_values(&a[sa..], 0, &NULL_FIELD),
                fields,
                &numbered
            )
            .is_none()
        );
    }
}
