//! The re-load of an event file that is already stored (issue 25): instead of staging every
//! record and merging, the file's events are compared with the stored rows of its groups,
//! read back in binary. When each is stored with the file's values and arrival, or lost to a
//! later arrival that already records the file's, the file writes nothing, and that
//! comparison, in the file's transaction, is its sanity check. Otherwise the file goes
//! through the merge, which reads it again.
//!
//! It is tried only for a file whose bytes a committed load stored before (its SHA-256 in
//! `market.load_runs`) and whose day has events: a new or corrected file goes straight to the
//! merge, without a read-back that would be wasted. And only where the file holds most of its
//! groups' events: a late correction file of a few events per symbol merges more cheaply than
//! its groups read back.
//!
//! A vendor's day file has no arrival times, so the comparison needs no map of its events:
//! per table, the count and the wrapping sum of its rows' digests (the copy path's check)
//! against those of its groups' stored rows, which must be the file's only. Memory stays
//! flat whatever the file's size.

use super::digest::{self, Digests, Tally};
use super::encode::encode_row;
use super::parse::{Event, Values};
use super::read::{self, Hashed, Sink};
use super::{ParsedEvents, store_groups};
use crate::db::copy;
use crate::load::files::PriceFile;
use crate::load::input::{Stop, join, refused};
use crate::load::job::{Failure, Settings};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Events a file may hold for the comparison (about 50 bytes each in memory, so at most
/// ~150 MB a file); a larger file merges.
const MAX_EVENTS: usize = 3_000_000;

/// The comparison reads back the stored events of the file's groups: worth it while they are
/// at most this many times the file's own.
const MAX_READ_PER_EVENT: i64 = 2;

/// A table: the fields of its rows, and the tag of its keys (a trade and a quote may share a
/// key, and the file's events of both tables are in one map).
#[derive(Debug, Clone, Copy)]
struct Table {
    row_fields: usize,
    tag: u64,
}

const TRADES: Table = Table {
    row_fields: super::TRADE_FIELDS,
    tag: 0,
};
const QUOTES: Table = Table {
    row_fields: super::QUOTE_FIELDS,
    tag: 0x9E37_79B9_7F4A_7C15,
};

/// Whether a binary `timestamptz[]` (one dimension, or NULL) holds `arrival`.
fn array_holds(field: Option<&[u8]>, arrival: i64) -> bool {
    let Some(a) = field else { return false };
    if a.len() < 20 || copy::be_i32(&a[..4]) != 1 {
        return false;
    }
    // ndim, has-nulls flag, element type, then (length, lower bound) of the one dimension.
    let n = copy::be_i32(&a[12..16]).max(0) as usize;
    let mut at = 20;
    for _ in 0..n {
        let Some(len) = a.get(at..at + 4).map(copy::be_i32) else {
            return false;
        };
        at += 4;
        if len == 8 && a.get(at..at + 8) == Some(&arrival.to_be_bytes()[..]) {
            return true;
        }
        at += len.max(0) as usize;
    }
    false
}

/// The field at `at` (`dropped_arrivals` in the read-back); None when NULL.
fn field_at(values: &[u8], at: usize) -> Option<&[u8]> {
    let len = copy::be_i32(values.get(at..at + 4)?);
    (len >= 0).then(|| values.get(at + 4..at + 4 + len as usize))?
}

/// A key digest as its own hash: the map of the file's events hashes nothing again.
#[derive(Default)]
struct KeyIsHash(u64);

impl Hasher for KeyIsHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (u64 keys); this keeps any other key usable.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Digests as their own hashes.
type DigestMap<V> = HashMap<u64, V, BuildHasherDefault<KeyIsHash>>;

/// The file's events: by group digest, then by key digest, the digest of the row and the
/// arrival. Maps, not a sorted list: a stored row is found with a memory access or two, not
/// twenty (a binary search of a large file's list cost a third of a re-load's client CPU).
/// By group first: the stored rows come back a group at a time, and one group's map stays
/// in the processor's cache while they are looked up (one map of the whole file did not).
#[derive(Debug, Default)]
struct FileEvents {
    groups: DigestMap<DigestMap<(u64, i64)>>,
    len: usize,
}

impl FileEvents {
    /// Adds the file's event; false when its key is there already.
    fn insert(&mut self, e: Digests) -> bool {
        let fresh = self
            .groups
            .entry(e.group)
            .or_default()
            .insert(e.key, (e.row, e.arrival))
            .is_none();
        self.len += usize::from(fresh);
        fresh
    }

    /// The row digest and arrival of the file's event of a stored row's group and key.
    fn get(&self, stored: &Digests) -> Option<(u64, i64)> {
        self.groups.get(&stored.group)?.get(&stored.key).copied()
    }
}

/// The comparison's sink: the file's trades and quotes by group and key, or only their sums
/// (`sums`, a file without arrival times).
#[derive(Default)]
struct Entries {
    events: FileEvents,
    sums: Option<[Tally; 2]>,
    /// Why the parse stopped early (the file merges instead).
    stopped: Option<&'static str>,
    scratch: Vec<u8>,
    /// The first and last event time (UTC microseconds).
    event_tm: Option<(i64, i64)>,
}

impl Sink for Entries {
    fn event(&mut self, e: &Event) -> Result<(), Stop> {
        let (from, to) = self.event_tm.unwrap_or((e.event_tm, e.event_tm));
        self.event_tm = Some((from.min(e.event_tm), to.max(e.event_tm)));
        if let Some(sums) = &mut self.sums {
            self.scratch.clear();
            let start = encode_row(&mut self.scratch, e);
            let (i, fields) = match e.values {
                Values::Trade { .. } => (0, TRADES.row_fields),
                Values::Quote { .. } => (1, QUOTES.row_fields),
            };
            sums[i].add(digest::of_sent(&self.scratch[start..], fields));
            return Ok(());
        }
        if self.events.len >= MAX_EVENTS {
            self.stopped = Some("too many events to compare in memory");
            return Err(Stop::Diverted);
        }
        self.scratch.clear();
        let start = encode_row(&mut self.scratch, e);
        let table = match e.values {
            Values::Trade { .. } => TRADES,
            Values::Quote { .. } => QUOTES,
        };
        let Some(mut entry) = digest::of_sent(&self.scratch[start..], table.row_fields) else {
            self.stopped = Some("a record it could not digest");
            return Err(Stop::Diverted);
        };
        entry.key ^= table.tag;
        // An event twice in the file (or two keys of one digest): the merge deduplicates.
        if !self.events.insert(entry) {
            self.stopped = Some("an event is more than once in the file");
            return Err(Stop::Diverted);
        }
        Ok(())
    }
}

/// How the stored rows of one table compare with the file's entries.
#[derive(Debug, Default, PartialEq, Eq)]
struct Compared {
    /// The file's events found stored as the file has them, or lost to a later arrival that
    /// records the file's arrival among its dropped ones.
    as_in_file: u64,
    /// The file's events stored otherwise: the merge has something to write.
    differ: u64,
}

impl Compared {
    /// Judges one stored tuple of a read-back of `table` (`groups`: the digests of the
    /// file's groups by number).
    fn add(&mut self, entries: &FileEvents, values: &[u8], table: Table, groups: &[u64]) {
        let Some((mut stored, dropped_at)) = digest::of_stored(values, table.row_fields, groups)
        else {
            self.differ += 1;
            return;
        };
        stored.key ^= table.tag;
        let Some((row, arrival)) = entries.get(&stored) else {
            // Another file's event of the same groups.
            return;
        };
        if row == stored.row
            || (stored.arrival > arrival && array_holds(field_at(values, dropped_at), arrival))
        {
            self.as_in_file += 1;
        } else {
            self.differ += 1;
        }
    }
}

/// The file's hash when the comparison is worth trying: the file's first records' day and
/// exchange have events stored, and a committed load stored these very bytes before. The
/// parse then trusts that hash (its watch on the file started before it) rather than taking
/// it again.
async fn worth_trying(
    tx: &mut PgConnection,
    file: &PriceFile,
    settings: &Settings,
) -> Result<Option<Hashed>, sqlx::Error> {
    let Some(heads) = super::direct::head_groups(&file.path, settings) else {
        return Ok(None);
    };
    let (days, exchanges): (Vec<_>, Vec<_>) = heads.groups.iter().cloned().unzip();
    let stored: bool = sqlx::query_scalar(include_str!("sql/head_stored.sql"))
        .bind(&days)
        .bind(&exchanges)
        .fetch_one(&mut *tx)
        .await?;
    if !stored {
        return Ok(None);
    }
    let path = file.path.clone();
    let Ok(Ok(hashed)) = tokio::task::spawn_blocking(move || Hashed::take(&path)).await else {
        return Ok(None);
    };
    let loaded: bool = sqlx::query_scalar(include_str!("sql/loaded_before.sql"))
        .bind(&hashed.sha256)
        .fetch_one(&mut *tx)
        .await?;
    Ok(loaded.then_some(hashed))
}

/// A file the comparison found stored as it is.
pub struct Unchanged {
    pub parsed: ParsedEvents,
    /// The first and last event time of the file, for `market.event_daily`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Leaves the comparison: what it did since its savepoint is undone, and the file merges.
async fn merge_instead(
    tx: &mut PgConnection,
    file: &PriceFile,
    reason: &str,
) -> Result<Option<Unchanged>, sqlx::Error> {
    sqlx::raw_sql("ROLLBACK TO SAVEPOINT stockdb_compare")
        .execute(&mut *tx)
        .await?;
    tracing::info!(
        "{}: {reason}; the events go through the merge",
        file.path.display()
    );
    Ok(None)
}

/// The comparison inside the file's transaction: `Some` when every event of the file is
/// stored as the file has it (nothing to write; the file's groups are then in
/// `pg_temp.stockdb_event_groups`), `None` when the file is to merge (nothing of the
/// comparison left).
pub async fn unchanged(
    tx: &mut PgConnection,
    file: &PriceFile,
    settings: &Settings,
) -> Result<Option<Unchanged>, Failure> {
    let db = |e| Failure::db(file, e);
    let Some(hashed) = worth_trying(tx, file, settings).await.map_err(db)? else {
        return Ok(None);
    };
    sqlx::raw_sql("SAVEPOINT stockdb_compare")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let by_sums = matches!(
        read::sniff_file(&file.path),
        Some(super::parse::Shape::Vendor(_))
    );
    let parse = {
        let (path, settings) = (file.path.clone(), settings.clone());
        tokio::task::spawn_blocking(move || {
            let mut entries = Entries {
                sums: by_sums.then(Default::default),
                ..Entries::default()
            };
            let read = read::read_events(&path, &settings, Some(hashed), &mut entries);
            Ok((read, entries))
        })
    };
    let (parsed, entries) = match join(parse).await {
        Ok((Ok(parsed), entries)) => (parsed, entries),
        Ok((Err(Stop::Diverted), entries)) => {
            let why = entries.stopped.unwrap_or("it stopped early");
            return merge_instead(tx, file, why).await.map_err(db);
        }
        Ok((Err(stop), _)) | Err(stop) => return Err(refused(file, &stop)),
    };
    let events = match &entries.sums {
        Some([trades, quotes]) => (trades.rows + quotes.rows) as i64,
        None => entries.events.len as i64,
    };
    store_groups(&mut *tx, &parsed.groups).await.map_err(db)?;
    let stored: i64 = sqlx::query_scalar(include_str!("sql/stored_events.sql"))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    if entries.sums.is_some() && stored != events {
        // The sums compare whole groups: they must hold the file's events only.
        return merge_instead(tx, file, "its groups hold other events than the file's")
            .await
            .map_err(db);
    }
    if stored > MAX_READ_PER_EVENT * events {
        return merge_instead(tx, file, "its groups hold many more events than the file")
            .await
            .map_err(db);
    }
    let at = |micros| DateTime::<Utc>::from_timestamp_micros(micros);
    let (from, to) = match entries.event_tm {
        Some((first, last)) => (at(first), at(last)),
        None => (None, None),
    };
    let times = super::EventTimes { from, to };
    let any = |e| Failure::any(file, e);
    let numbered = digest::of_groups(&parsed.groups);
    // Each stored row: into the sums (a file without arrival times) or looked up by key.
    let mut sums = [Tally::default(); 2];
    let mut compared = Compared::default();
    for (i, (sql, table)) in [
        (include_str!("sql/read_back_trades.sql"), TRADES),
        (include_str!("sql/read_back_quotes.sql"), QUOTES),
    ]
    .into_iter()
    .enumerate()
    {
        super::each_stored(tx, sql, times, |values| match entries.sums {
            Some(_) => {
                let row = digest::of_stored(values, table.row_fields, &numbered);
                sums[i].add(row.map(|(row, _)| row));
            }
            None => compared.add(&entries.events, values, table, &numbered),
        })
        .await
        .map_err(any)?;
    }
    if let Some(file_sums) = entries.sums {
        if sums != file_sums {
            return merge_instead(
                tx,
                file,
                "some of its events are not stored as the file has them",
            )
            .await
            .map_err(db);
        }
        tracing::info!(
            "{}: every event is stored as the file has it (counts and digest sums); nothing written",
            file.path.display()
        );
        return Ok(Some(Unchanged { parsed, from, to }));
    }
    let all = compared.differ == 0 && compared.as_in_file == entries.events.len as u64;
    if !all {
        return merge_instead(
            tx,
            file,
            "some of its events are not stored as the file has them",
        )
        .await
        .map_err(db);
    }
    tracing::info!(
        "{}: every event is stored as the file has it; nothing written",
        file.path.display()
    );
    Ok(Some(Unchanged { parsed, from, to }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn quote(arrival: Option<i64>, bid_pr: f64) -> Event {
        Event {
            line: 1,
            trade_dt: NaiveDate::from_ymd_opt(2020, 8, 3).unwrap(),
            symbol: "AAAA".into(),
            exchange: "NYSE".into(),
            event_tm: 1_596_461_400_123_000,
            event_ns: 1_596_461_400_123_000_000,
            event_seq_nb: 3,
            arrival_tm: arrival,
            values: Values::Quote {
                bid_pr: Some(bid_pr),
                bid_size: 100,
                ask_pr: Some(10.51),
                ask_size: 200,
            },
            vendor: None,
        }
    }

    /// The digests of the tests' one group, number 1.
    fn groups() -> Vec<u64> {
        let e = quote(None, 0.0);
        digest::of_groups(&[(e.trade_dt, e.symbol, e.exchange)].into_iter().collect())
    }

    /// A stored tuple as the read-back sends it: the group's number (1), the rest of the row,
    /// then `dropped_arrivals`.
    fn stored(e: &Event, dropped: &[i64]) -> Vec<u8> {
        let mut buf = Vec::new();
        let start = encode_row(&mut buf, e);
        let mut field = digest::NULL_FIELD.to_vec();
        if !dropped.is_empty() {
            let mut array = Vec::new();
            for v in [1i32, 0, 1184, dropped.len() as i32, 1] {
                array.extend_from_slice(&v.to_be_bytes());
            }
            for d in dropped {
                copy::put_i64(&mut array, *d);
            }
            field = (array.len() as i32).to_be_bytes().to_vec();
            field.extend_from_slice(&array);
        }
        digest::read_back_values(&buf[start..], 1, &field)
    }

    fn entries(e: &Event) -> FileEvents {
        let mut sink = Entries::default();
        sink.event(e).unwrap();
        sink.events
    }

    #[test]
    fn a_stored_row_equal_to_the_files_is_as_in_file() {
        let file = quote(Some(1_596_470_000_000_000), 10.5);
        let mut c = Compared::default();
        c.add(&entries(&file), &stored(&file, &[]), QUOTES, &groups());
        assert_eq!(
            c,
            Compared {
                as_in_file: 1,
                differ: 0
            }
        );
    }

    #[test]
    fn other_values_or_a_newer_file_arrival_differ() {
        let file = quote(Some(1_596_470_000_000_000), 10.5);
        let mut c = Compared::default();
        // Same arrival, another price.
        c.add(
            &entries(&file),
            &stored(&quote(file.arrival_tm, 10.6), &[]),
            QUOTES,
            &groups(),
        );
        // The stored row arrived before the file's.
        c.add(
            &entries(&file),
            &stored(&quote(Some(1), 10.5), &[]),
            QUOTES,
            &groups(),
        );
        assert_eq!(
            c,
            Compared {
                as_in_file: 0,
                differ: 2
            }
        );
    }

    #[test]
    fn a_later_arrival_counts_only_when_it_recorded_the_files() {
        let file = quote(Some(1_596_470_000_000_000), 10.5);
        let later = quote(Some(1_596_480_000_000_000), 10.6);
        let arrival = file.arrival_tm.unwrap() - copy::PG_EPOCH_MICROS;
        let mut c = Compared::default();
        c.add(
            &entries(&file),
            &stored(&later, &[arrival - 5, arrival]),
            QUOTES,
            &groups(),
        );
        assert_eq!(
            c,
            Compared {
                as_in_file: 1,
                differ: 0
            }
        );
        c.add(
            &entries(&file),
            &stored(&later, &[arrival - 5]),
            QUOTES,
            &groups(),
        );
        c.add(&entries(&file), &stored(&later, &[]), QUOTES, &groups());
        assert_eq!(
            c,
            Compared {
                as_in_file: 1,
                differ: 2
            }
        );
    }

    #[test]
    fn another_files_event_is_not_counted() {
        let file = quote(None, 10.5);
        let mut other = quote(None, 10.5);
        other.event_seq_nb = 4;
        let mut c = Compared::default();
        c.add(&entries(&file), &stored(&other, &[]), QUOTES, &groups());
        assert_eq!(c, Compared::default());
    }

    #[test]
    fn a_trade_and_a_quote_of_one_key_are_two_events() {
        let mut sink = Entries::default();
        let quote = quote(Some(1), 10.5);
        let trade = Event {
            values: Values::Trade {
                execution_id: None,
                price: 10.5,
                size: 100,
            },
            ..quote.clone()
        };
        sink.event(&quote).unwrap();
        sink.event(&trade).unwrap();
        assert_eq!(sink.events.len, 2);
        // The stored trade is found as the file's trade, not taken for the quote.
        let mut c = Compared::default();
        c.add(&sink.events, &stored(&trade, &[]), TRADES, &groups());
        c.add(&sink.events, &stored(&quote, &[]), QUOTES, &groups());
        assert_eq!(
            c,
            Compared {
                as_in_file: 2,
                differ: 0
            }
        );
    }

    #[test]
    fn an_event_twice_in_the_file_is_not_compared() {
        let mut sink = Entries::default();
        sink.event(&quote(Some(1), 10.5)).unwrap();
        assert!(matches!(
            sink.event(&quote(Some(2), 10.5)),
            Err(Stop::Diverted)
        ));
        assert_eq!(sink.stopped, Some("an event is more than once in the file"));
    }
}
