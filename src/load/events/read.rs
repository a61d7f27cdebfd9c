//! The parse thread of an event file: reads every record, counts and judges it, and hands each
//! accepted event to a [`Sink`]: the staging table's tuples (the merge) or the tables'
//! own tuples (the copy path, `direct.rs`).

use super::ParsedEvents;
use super::parse::{Event, EventReader, Item, Shape, Values};
use crate::load::input::{FileError, Stop, Watch, open_hashed, open_plain};
use crate::load::job::Settings;
use chrono::{NaiveDate, Utc};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

/// Where the parse thread puts each accepted event (ripgrep's `Sink`).
pub trait Sink {
    /// Takes one accepted event; an `Err` stops the read.
    fn event(&mut self, event: &Event) -> Result<(), Stop>;
}

/// The first 64 KiB of a file (gzip decompressed), or less when it is shorter.
pub fn head(path: &Path) -> Option<Vec<u8>> {
    let reader = open_plain(path).ok()?;
    let mut head = Vec::with_capacity(64 * 1024);
    reader.take(64 * 1024).read_to_end(&mut head).ok()?;
    Some(head)
}

/// The shape of an event file from its first 64 KiB (gzip too); None when it is not one.
pub fn sniff_file(path: &Path) -> Option<Shape> {
    super::parse::sniff(&head(path)?, Some(path))
}

pub fn io_stop(e: std::io::Error) -> Stop {
    Stop::File(FileError::Io(e))
}

/// A file's SHA-256 that a caller took already, and the watch on the file started before it
/// did: the parse then trusts that hash instead of taking it again (a re-load's comparison
/// hashes the file first to see whether it was loaded before).
pub struct Hashed {
    pub sha256: String,
    pub watch: Watch,
}

impl Hashed {
    /// Hashes the file, watching it from before the first byte read.
    pub fn take(path: &Path) -> std::io::Result<Hashed> {
        let watch = Watch::new(std::fs::File::open(path)?).map_err(|_| {
            std::io::Error::other("the file's size and modification time could not be read")
        })?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut watch.file(), &mut hasher)?;
        Ok(Hashed {
            sha256: format!("{:x}", hasher.finalize()),
            watch,
        })
    }
}

/// Reads the whole file, giving each accepted event to `sink`; the counts, the rejected rows
/// (up to `--max-bad-rows`) and the file's SHA-256 (`hashed`'s when given, else its own).
pub fn read_events(
    path: &Path,
    settings: &Settings,
    hashed: Option<Hashed>,
    sink: &mut impl Sink,
) -> Result<ParsedEvents, Stop> {
    let shape = sniff_file(path).ok_or_else(|| {
        Stop::File(FileError::AtLine {
            line: 1,
            message: "not a trade/quote event file any more (it changed?)".into(),
        })
    })?;
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let (watch, known, input) = match hashed {
        Some(Hashed { sha256, watch }) => (watch, Some(sha256), open_plain(path)),
        None => {
            let watch = Watch::new(std::fs::File::open(path).map_err(io_stop)?)?;
            (watch, None, open_hashed(path, &hasher))
        }
    };
    let input = input.map_err(io_stop)?;
    let zone = settings
        .parse
        .timezone
        .unwrap_or(crate::load::stamps::DEFAULT_ZONE);
    if let Shape::Vendor(layout) = &shape
        && let Some(why) = layout.refusal()
    {
        return Err(Stop::File(FileError::AtLine {
            line: 1,
            message: why.to_string(),
        }));
    }
    let mut reader = EventReader::new(input, shape.clone(), zone);
    let mut parsed = ParsedEvents {
        shape: Some(shape),
        ..ParsedEvents::default()
    };
    let mut last: Option<(NaiveDate, String, String)> = None;
    while let Some(item) = reader.next_item().map_err(io_stop)? {
        match item {
            Item::Event(event) => {
                sink.event(&event)?;
                parsed.accepted += 1;
                match event.values {
                    Values::Trade { .. } => {
                        parsed.trades += 1;
                        let t = event.event_tm;
                        let (a, b) = parsed.trade_times.unwrap_or((t, t));
                        parsed.trade_times = Some((a.min(t), b.max(t)));
                    }
                    Values::Quote {
                        bid_pr: Some(bid),
                        ask_pr: Some(ask),
                        ..
                    } if ask < bid && ask > 0.0 => {
                        // Real in consolidated data (quotes of different exchanges): it loads.
                        parsed.quotes += 1;
                        parsed.crossed += 1;
                    }
                    Values::Quote { .. } => parsed.quotes += 1,
                }
                let day = event.trade_dt;
                let local = chrono::DateTime::<Utc>::from_timestamp_micros(event.event_tm)
                    .map(|t| t.with_timezone(&zone).date_naive());
                if local.is_none_or(|d| (d - day).num_days().abs() > 1) {
                    parsed.warned += 1;
                }
                parsed.first_day = Some(parsed.first_day.map_or(day, |d| d.min(day)));
                parsed.last_day = Some(parsed.last_day.map_or(day, |d| d.max(day)));
                // Records come in runs of one group: look it up once a run.
                if last
                    .as_ref()
                    .is_none_or(|(d, s, x)| *d != day || *s != event.symbol || *x != event.exchange)
                {
                    let group = (day, event.symbol, event.exchange);
                    if !parsed.groups.contains(&group) {
                        parsed.groups.insert(group.clone());
                    }
                    last = Some(group);
                }
            }
            Item::Bad(row) => {
                if parsed.rejected.len() as u64 >= settings.max_bad_rows {
                    return Err(Stop::TooManyBadRows {
                        row: Box::new(row),
                        limit: settings.max_bad_rows,
                    });
                }
                parsed.rejected.push(row);
            }
        }
    }
    parsed.symbols = parsed.groups.iter().map(|(_, s, _)| s.clone()).collect();
    parsed.rows = reader.rows;
    drop(reader);
    watch.check()?;
    parsed.sha256 = known.unwrap_or_else(|| format!("{:x}", hasher.borrow_mut().finalize_reset()));
    Ok(parsed)
}
