//! The copy path of an event file (issue 25): its records COPY straight into
//! `market.trades` and `market.quotes`, as the server's own COPY would write them, instead of
//! through the staging table, the deduplication and the merge.
//!
//! It holds for the usual first load of a day: a file whose (trade date, exchange) groups have
//! no events stored yet, and which holds each event once. Of one run's files, only the largest
//! of a day tries it ([`choose_copy_files`]). The file takes those groups' locks
//! (the same locks as the merge, `DAY_LOCK_CLASS`) from its first records before it
//! writes, so no other stockdb load writes the groups meanwhile. Whatever breaks the
//! assumption sends the file to the merge, from a savepoint, with nothing of it left:
//! a group with events stored, a record of a group it did not lock, an event twice in the file
//! or already stored by another tool (the tables' key refuses it), or rows of another writer
//! in its groups at the check.
//!
//! The sanity check reads the groups' rows back in binary and compares their count and the
//! sum of their digests with what was sent: equal means the same multiset of bit-identical
//! rows (`copy::digest`).

use super::daily::DailyCounts;
use super::digest::{self, Tally};
use super::encode::encode_row;
use super::parse::{Event, EventReader, Item, Values};
use super::read::{self, Sink, io_stop};
use super::{DAY_LOCK_CLASS, ParsedEvents, lock_hashes};
use crate::load::files::PriceFile;
use crate::load::input::{CHUNK, Chunks, Sent, Stop, join, refused, send_chunks};
use crate::load::job::{Failure, RunState, Settings, WriteContext, interrupted};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;

/// Trades wait on disk beyond this many bytes while the quotes stream (one COPY at a time on a
/// connection): the memory stays flat whatever the file's size.
const SPOOL_IN_MEMORY: usize = 1 << 20;

/// What a file's first records hold.
pub struct HeadGroups {
    /// Their (trade date, exchange) groups: the copy path locks these before it writes.
    pub groups: BTreeSet<(NaiveDate, String)>,
    /// Their first and last event time (UTC microseconds): the chunks created beforehand.
    times: Vec<i64>,
}

/// Marks the event files that try the copy path: of those whose first records hold a (trade
/// date, exchange), the largest, so that a day's late correction file does not take an empty
/// day first and send the day's large file through the merge. `STOCKDB_EVENT_COPY=off` marks
/// none (every file merges; for comparing the paths).
pub fn choose_copy_files(files: &mut [PriceFile], settings: &Settings) {
    if std::env::var("STOCKDB_EVENT_COPY").is_ok_and(|v| v == "off") {
        return;
    }
    let mut heads = Vec::new();
    let mut largest: std::collections::HashMap<(NaiveDate, String), (u64, usize)> =
        std::collections::HashMap::new();
    for (i, file) in files.iter().enumerate() {
        if file.kind != crate::load::files::Kind::Events {
            continue;
        }
        let Some(head) = head_groups(&file.path, settings) else {
            continue;
        };
        let size = std::fs::metadata(&file.path).map_or(0, |m| m.len());
        for group in &head.groups {
            let best = largest.entry(group.clone()).or_insert((size, i));
            if size > best.0 {
                *best = (size, i);
            }
        }
        heads.push((i, head));
    }
    for (i, head) in heads {
        files[i].copy_first = head.groups.iter().all(|g| largest[g].1 == i);
    }
}

/// What the file's first 64 KiB hold; None when no record is read.
pub fn head_groups(path: &Path, settings: &Settings) -> Option<HeadGroups> {
    let mut head = read::head(path)?;
    let shape = super::parse::sniff(&head, Some(path))?;
    if head.len() == 64 * 1024 {
        // A record cut at 64 KiB could read as another one: whole lines only.
        let end = head.iter().rposition(|&b| b == b'\n')? + 1;
        head.truncate(end);
    }
    let zone = settings
        .parse
        .timezone
        .unwrap_or(crate::load::stamps::DEFAULT_ZONE);
    // A vendor's day file holds every exchange of the day, most of them after its head: it
    // locks the vendor's published list of codes for its head's days.
    let listed = match &shape {
        super::parse::Shape::Vendor(layout) => layout.listed_exchanges(),
        _ => &[],
    };
    let mut reader = EventReader::new(head.as_slice(), shape, zone);
    let mut groups = BTreeSet::new();
    let mut times: Option<(i64, i64)> = None;
    while let Ok(Some(item)) = reader.next_item() {
        if let Item::Event(e) = item {
            let (first, last) = times.unwrap_or((e.event_tm, e.event_tm));
            times = Some((first.min(e.event_tm), last.max(e.event_tm)));
            groups.insert((e.trade_dt, e.exchange));
        }
    }
    let days: BTreeSet<NaiveDate> = groups.iter().map(|(d, _)| *d).collect();
    for day in days {
        groups.extend(listed.iter().map(|x| (day, x.to_string())));
    }
    let (first, last) = times?;
    let mut times = vec![first, last];
    times.dedup();
    Some(HeadGroups { groups, times })
}

/// Creates the hypertables' chunks for the event times of the file's first records that have
/// none yet, in a transaction of its own on `pool` (see `sql/chunk_create.sql`): files of
/// other days then write at the same time instead of one after another. Nothing to do without
/// TimescaleDB; an empty chunk left by a file that rolls back holds nothing.
pub async fn create_chunks(pool: &sqlx::PgPool, heads: &HeadGroups) -> Result<(), sqlx::Error> {
    let mut tx = pool
        .begin_with(crate::db::columnstore::BEGIN_WRITING)
        .await?;
    let chunked: bool =
        sqlx::query_scalar("SELECT to_regclass('timescaledb_information.chunks') IS NOT NULL")
            .fetch_one(&mut *tx)
            .await?;
    if !chunked {
        return Ok(());
    }
    for &micros in &heads.times {
        let Some(at) = DateTime::<Utc>::from_timestamp_micros(micros) else {
            continue;
        };
        let missing: bool = sqlx::query_scalar(include_str!("sql/chunk_missing.sql"))
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
        if missing {
            for sql in [
                include_str!("sql/chunk_create.sql"),
                include_str!("sql/chunk_placeholders.sql"),
            ] {
                sqlx::query(sql).bind(at).execute(&mut *tx).await?;
            }
        }
    }
    tx.commit().await
}

/// What the parse thread sent, beside [`ParsedEvents`].
#[derive(Debug, Default)]
struct Written {
    trades: Tally,
    quotes: Tally,
    /// `market.event_daily` of the file's groups.
    daily: DailyCounts,
    /// The first and last event time (UTC microseconds).
    event_tm: Option<(i64, i64)>,
}

/// The copy path's sink: the table streamed first as COPY chunks (the quotes; the trades of a
/// file that holds only trades), the other's tuples spooled (sent once the first is in).
struct TableSink {
    first: Chunks,
    trades_first: bool,
    spool: tempfile::SpooledTempFile,
    scratch: Vec<u8>,
    heads: BTreeSet<(NaiveDate, String)>,
    /// The last (trade date, exchange) found among `heads`.
    checked: Option<(NaiveDate, String)>,
    written: Written,
}

impl Sink for TableSink {
    fn event(&mut self, e: &Event) -> Result<(), Stop> {
        // Records come in runs of one day and exchange: look it up once a run.
        if self
            .checked
            .as_ref()
            .is_none_or(|(d, x)| *d != e.trade_dt || *x != e.exchange)
        {
            if !self
                .heads
                .iter()
                .any(|(d, x)| *d == e.trade_dt && *x == e.exchange)
            {
                return Err(Stop::Diverted);
            }
            self.checked = Some((e.trade_dt, e.exchange.clone()));
        }
        self.written.daily.add(e);
        let (from, to) = self.written.event_tm.unwrap_or((e.event_tm, e.event_tm));
        self.written.event_tm = Some((from.min(e.event_tm), to.max(e.event_tm)));
        let (tally, fields) = match e.values {
            Values::Quote { .. } => (&mut self.written.quotes, super::QUOTE_FIELDS),
            Values::Trade { .. } => (&mut self.written.trades, super::TRADE_FIELDS),
        };
        if matches!(e.values, Values::Trade { .. }) == self.trades_first {
            let start = encode_row(&mut self.first.buf, e);
            tally.add(digest::of_sent(&self.first.buf[start..], fields));
            self.first.flush_full()
        } else {
            self.scratch.clear();
            let start = encode_row(&mut self.scratch, e);
            tally.add(digest::of_sent(&self.scratch[start..], fields));
            self.spool.write_all(&self.scratch).map_err(io_stop)
        }
    }
}

/// The parse thread of the copy path: the first table's COPY stream (`first_done` set just
/// before its last chunk, so the receiver knows it is whole), then the other's.
fn parse_direct(
    path: &Path,
    settings: &Settings,
    heads: BTreeSet<(NaiveDate, String)>,
    (first, trades_first): (mpsc::Sender<Vec<u8>>, bool),
    second: mpsc::Sender<Vec<u8>>,
    first_done: &AtomicBool,
) -> Result<(ParsedEvents, Written), Stop> {
    let mut sink = TableSink {
        first: Chunks::new(first),
        trades_first,
        spool: tempfile::SpooledTempFile::new(SPOOL_IN_MEMORY),
        scratch: Vec::with_capacity(256),
        heads,
        checked: None,
        written: Written::default(),
    };
    let parsed = read::read_events(path, settings, None, &mut sink)?;
    let TableSink {
        first,
        mut spool,
        written,
        ..
    } = sink;
    first_done.store(true, Ordering::Release);
    first.finish()?;
    let mut trades = Chunks::new(second);
    spool.seek(SeekFrom::Start(0)).map_err(io_stop)?;
    let mut piece = vec![0u8; CHUNK];
    loop {
        let n = spool.read(&mut piece).map_err(io_stop)?;
        if n == 0 {
            break;
        }
        trades.buf.extend_from_slice(&piece[..n]);
        trades.flush_full()?;
    }
    trades.finish()?;
    Ok((parsed, written))
}

/// What the COPYs of the copy path did.
enum Copied {
    /// Both COPYs are in: what the parse found and sent, and the rows the server took.
    Done {
        parsed: Box<ParsedEvents>,
        written: Box<Written>,
        trades: u64,
        quotes: u64,
    },
    /// The file goes through the merge, for this reason.
    General(&'static str),
}

/// A COPY error: a unique violation sends the file to the merge (an event twice in the
/// file, or stored by another tool); any other fails it.
fn copy_failed(file: &PriceFile, e: sqlx::Error) -> Result<Copied, Failure> {
    if crate::db::is_unique_violation(&e) {
        Ok(Copied::General(
            "an event is twice in the file or stored already",
        ))
    } else {
        Err(Failure::db(file, e))
    }
}

/// Parses the file and streams its quotes, then its trades, into the tables; a file that
/// holds only trades (a vendor's trades file) streams them as it is read instead. The
/// quotes come first otherwise: a statement that creates a chunk holds a lock on its
/// hypertable to commit, and files taking the two tables in opposite orders would deadlock;
/// a trades-only file writes no quote and so creates no quote chunk.
async fn copy_file(
    tx: &mut PgConnection,
    file: &PriceFile,
    settings: &Settings,
    run: &RunState,
    heads: BTreeSet<(NaiveDate, String)>,
) -> Result<Copied, Failure> {
    let trades_first = matches!(
        read::sniff_file(&file.path),
        Some(super::parse::Shape::Vendor(layout)) if layout.trades_only()
    );
    let (first_sql, second_sql) = match trades_first {
        true => (
            include_str!("sql/copy_trades.sql"),
            include_str!("sql/copy_quotes.sql"),
        ),
        false => (
            include_str!("sql/copy_quotes.sql"),
            include_str!("sql/copy_trades.sql"),
        ),
    };
    let (first_tx, mut first_rx) = mpsc::channel::<Vec<u8>>(4);
    let (second_tx, mut second_rx) = mpsc::channel::<Vec<u8>>(4);
    let first_done = Arc::new(AtomicBool::new(false));
    let parse = {
        let (path, settings, done) = (file.path.clone(), settings.clone(), first_done.clone());
        tokio::task::spawn_blocking(move || {
            parse_direct(
                &path,
                &settings,
                heads,
                (first_tx, trades_first),
                second_tx,
                &done,
            )
        })
    };

    let mut copy_in = tx
        .copy_in_raw(first_sql)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let sent = send_chunks(&mut copy_in, &mut first_rx, run).await;
    let whole = first_done.load(Ordering::Acquire);
    let first = match sent {
        Sent::All if whole => copy_in.finish().await,
        Sent::All => {
            // The parse stopped before the end of the quotes: say why.
            copy_in.abort("stockdb: file refused").await.ok();
            drop(second_rx);
            return match join(parse).await {
                Err(Stop::Diverted) => Ok(Copied::General(
                    "a record of a trade date or exchange that its first records do not hold",
                )),
                Err(stop) => Err(refused(file, &stop)),
                Ok(_) => Ok(Copied::General("its first table's rows ended early")),
            };
        }
        Sent::Cancelled => {
            copy_in.abort("stockdb: interrupted").await.ok();
            drop(second_rx);
            join(parse).await.ok();
            return Err(interrupted(file));
        }
        Sent::Failed(e) => {
            copy_in.abort("stockdb: send failed").await.ok();
            Err(e)
        }
    };
    let first = match first {
        Ok(n) => n,
        Err(e) => {
            drop(second_rx);
            join(parse).await.ok();
            return copy_failed(file, e);
        }
    };

    let mut copy_in = tx
        .copy_in_raw(second_sql)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let sent = send_chunks(&mut copy_in, &mut second_rx, run).await;
    drop(second_rx);
    match (join(parse).await, sent) {
        (_, Sent::Cancelled) => {
            copy_in.abort("stockdb: interrupted").await.ok();
            Err(interrupted(file))
        }
        (_, Sent::Failed(e)) => {
            copy_in.abort("stockdb: send failed").await.ok();
            copy_failed(file, e)
        }
        (Err(stop), Sent::All) => {
            copy_in.abort("stockdb: file refused").await.ok();
            Err(refused(file, &stop))
        }
        (Ok((parsed, written)), Sent::All) => match copy_in.finish().await {
            Ok(second) => Ok(Copied::Done {
                parsed: Box::new(parsed),
                written: Box::new(written),
                trades: if trades_first { first } else { second },
                quotes: if trades_first { second } else { first },
            }),
            Err(e) => copy_failed(file, e),
        },
    }
}

/// Reads back one table's rows of the file's groups (`sql`: read_back_trades.sql or
/// read_back_quotes.sql; `groups`: the digests of the file's groups by number) and tallies
/// them as the COPY wrote them, without the `dropped_arrivals` the read-back adds.
async fn read_back(
    tx: &mut PgConnection,
    sql: &str,
    row_fields: usize,
    times: super::EventTimes,
    groups: &[u64],
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    super::each_stored(tx, sql, times, |values| {
        tally.add(digest::of_stored(values, row_fields, groups).map(|(row, _)| row));
    })
    .await?;
    Ok(tally)
}

/// What the copy path wrote and checked, for the file's report.
pub struct DirectDone {
    pub parsed: ParsedEvents,
    /// Events written (all of the file's: each was new and once in it).
    pub inserted: u64,
    /// `market.event_daily` of the file's groups, counted from its records.
    pub daily: DailyCounts,
}

/// Leaves the copy path: everything it did since its savepoint, locks included, is undone.
async fn general(
    tx: &mut PgConnection,
    file: &PriceFile,
    reason: &str,
) -> Result<Option<DirectDone>, sqlx::Error> {
    sqlx::raw_sql("ROLLBACK TO SAVEPOINT stockdb_direct")
        .execute(&mut *tx)
        .await?;
    tracing::info!("{}: {reason}; not the copy path", file.path.display());
    Ok(None)
}

/// The copy path inside the file's transaction, up to and including its sanity check, with
/// the groups in `pg_temp.stockdb_event_groups`; `Ok(None)` when the file takes the general
/// path instead (nothing of it left). `market.event_daily` is the caller's.
pub async fn write(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    heads: HeadGroups,
) -> Result<Option<DirectDone>, Failure> {
    let (settings, run) = (context.settings, context.run);
    let db = |e| Failure::db(file, e);
    sqlx::raw_sql("SAVEPOINT stockdb_direct")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let (days, exchanges): (Vec<NaiveDate>, Vec<String>) = heads.groups.iter().cloned().unzip();
    // The same keys, in the same order, as the merge's locks of these groups.
    let keys: Vec<i32> = sqlx::query_scalar(
        "SELECT DISTINCT hashtext(d::text || ' ' || e) AS k \
         FROM unnest($1::date[], $2::text[]) AS h(d, e) ORDER BY k",
    )
    .bind(&days)
    .bind(&exchanges)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    lock_hashes(&mut *tx, DAY_LOCK_CLASS, keys)
        .await
        .map_err(db)?;
    let stored: bool = sqlx::query_scalar(include_str!("sql/head_stored.sql"))
        .bind(&days)
        .bind(&exchanges)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    if stored {
        return general(tx, file, "its trade date and exchange have events stored")
            .await
            .map_err(db);
    }
    // After the day's locks: a file of the same day waits for them, not for the chunks.
    create_chunks(context.records, &heads).await.map_err(db)?;
    // After the day's locks (`RunState::bulk_copy_slot`).
    let _slot = run.bulk_copy_slot().await;
    let (parsed, written, trades, quotes) =
        match copy_file(tx, file, settings, run, heads.groups).await? {
            Copied::General(reason) => return general(tx, file, reason).await.map_err(db),
            Copied::Done {
                parsed,
                written,
                trades,
                quotes,
            } => (*parsed, *written, trades, quotes),
        };
    if trades != written.trades.rows || quotes != written.quotes.rows {
        return Err(super::check_failed(
            file,
            format!(
                "{} trades and {} quotes sent, but the server copied {trades} and {quotes}",
                written.trades.rows, written.quotes.rows
            ),
        ));
    }
    super::store_groups(tx, &parsed.groups).await.map_err(db)?;
    let (first, last) = written.event_tm.unwrap_or_default();
    let at = |micros| DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default();
    let times = super::EventTimes {
        from: Some(at(first)),
        to: Some(at(last)),
    };
    let any = |e| Failure::any(file, e);
    let numbered = digest::of_groups(&parsed.groups);
    let trades_back = read_back(
        tx,
        include_str!("sql/read_back_trades.sql"),
        super::TRADE_FIELDS,
        times,
        &numbered,
    )
    .await
    .map_err(any)?;
    let quotes_back = read_back(
        tx,
        include_str!("sql/read_back_quotes.sql"),
        super::QUOTE_FIELDS,
        times,
        &numbered,
    )
    .await
    .map_err(any)?;
    if trades_back.rows > written.trades.rows || quotes_back.rows > written.quotes.rows {
        return general(tx, file, "another writer stored events of its groups")
            .await
            .map_err(db);
    }
    if trades_back != written.trades || quotes_back != written.quotes {
        return Err(super::check_failed(
            file,
            format!(
                "of {} trades and {} quotes sent, {} and {} read back from market.trades / market.quotes, and their values differ",
                written.trades.rows, written.quotes.rows, trades_back.rows, quotes_back.rows
            ),
        ));
    }
    Ok(Some(DirectDone {
        parsed,
        inserted: trades + quotes,
        daily: written.daily,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::copy::{HEADER, TRAILER, TupleReader};

    fn event(values: Values) -> Event {
        Event {
            line: 7,
            trade_dt: NaiveDate::from_ymd_opt(2020, 8, 3).unwrap(),
            symbol: "AAAA".into(),
            exchange: "NYSE".into(),
            event_tm: 1_596_461_400_123_000,
            event_ns: 1_596_461_400_123_000_000,
            event_seq_nb: 3,
            arrival_tm: None,
            values,
            vendor: None,
        }
    }

    /// The sanity check digests what `encode_row` sends; the read-back hands `TupleReader`'s
    /// values of the stored rows, their groups by number: the two tallies must agree.
    #[test]
    fn the_digest_of_a_sent_tuple_equals_that_of_the_tuple_read_back() {
        let rows = [
            event(Values::Quote {
                bid_pr: Some(10.5),
                bid_size: 100,
                ask_pr: Some(10.51),
                ask_size: 200,
            }),
            event(Values::Trade {
                execution_id: None,
                price: 10.5,
                size: 300,
            }),
        ];
        let fields = |e: &Event| match e.values {
            Values::Trade { .. } => crate::load::events::TRADE_FIELDS,
            Values::Quote { .. } => crate::load::events::QUOTE_FIELDS,
        };
        let groups = digest::of_groups(
            &rows
                .iter()
                .map(|e| (e.trade_dt, e.symbol.clone(), e.exchange.clone()))
                .collect(),
        );
        let mut sent = Tally::default();
        let mut stream = HEADER.to_vec();
        for row in &rows {
            let mut buf = Vec::new();
            let start = encode_row(&mut buf, row);
            sent.add(digest::of_sent(&buf[start..], fields(row)));
            // Three group fields become one number; `dropped_arrivals` is added.
            let fields = (fields(row) - 3 + 2) as i16;
            stream.extend_from_slice(&fields.to_be_bytes());
            let values = digest::read_back_values(&buf[start..], 1, &digest::NULL_FIELD);
            stream.extend_from_slice(&values);
        }
        stream.extend_from_slice(TRAILER);
        let mut back = Tally::default();
        let mut reader = TupleReader::default();
        let mut i = 0;
        let mut tally = |v: &[u8]| {
            back.add(digest::of_stored(v, fields(&rows[i]), &groups).map(|(d, _)| d));
            i += 1;
        };
        // In two pieces, as the server's chunks may cut a tuple anywhere.
        let (a, b) = stream.split_at(HEADER.len() + 13);
        reader.feed(a, &mut tally).unwrap();
        reader.feed(b, &mut tally).unwrap();
        assert_eq!(back, sent);
        assert_eq!(back.rows, 2);
        // A changed price changes the tally.
        let mut other = Tally::default();
        let changed = event(Values::Trade {
            execution_id: None,
            price: 10.51,
            size: 300,
        });
        for row in [&rows[0], &changed] {
            let mut buf = Vec::new();
            let start = encode_row(&mut buf, row);
            other.add(digest::of_sent(&buf[start..], fields(row)));
        }
        assert_eq!(other.rows, sent.rows);
        assert_ne!(other, sent);
    }
}
