//! Reading a daily file on the parse thread: the rows it accepts and rejects, what it sends
//! to the server (a first load's rows, or only the changed ones), and what the stored
//! features need of them.

use super::actions::Action;
use super::encode;
use super::parse::{Item, PriceReader, Row};
use crate::analytics::crosses::CrossFinder;
use crate::analytics::features::{QualityCounter, RollingMedian};
use crate::analytics::periods::{PeriodRows, Prices};
use crate::analytics::returns::ReturnCounter;
use crate::load::files::PriceFile;
use crate::load::input::{Chunks, HashingReader, Stop, Watch, decompressed};
use crate::load::job::{FileReport, Settings};
use crate::load::values::BadRow;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::rc::Rc;
use tokio::sync::mpsc;

impl FileReport {
    /// Takes the counts and the format of a daily file's parse.
    pub(super) fn take_parsed(&mut self, parsed: &Parsed) {
        self.rows_in_file = parsed.rows;
        self.accepted = parsed.accepted;
        self.rejected = parsed.rejected.len() as u64;
        self.warnings = parsed.warned;
        self.first_day = parsed.first_day;
        self.last_day = parsed.last_day;
        self.sha256 = Some(parsed.sha256.clone());
        self.format = Some(parsed.format.clone());
        self.columns = Some(parsed.columns.clone());
        self.dates = Some(parsed.dates.clone());
    }
}

/// What the parse thread found in a file it read to the end.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) rows: u64,
    pub(super) accepted: u64,
    pub(super) warned: u64,
    pub(super) first_day: Option<NaiveDate>,
    pub(super) last_day: Option<NaiveDate>,
    pub(super) rejected: Vec<BadRow>,
    pub(super) sha256: String,
    pub(super) format: String,
    pub(super) columns: String,
    pub(super) dates: String,
    /// The period aggregates of the accepted rows (written when the symbol is new).
    pub(super) periods: PeriodRows,
    /// [`copy::digest`] of each accepted row, kept when the rows go straight into the table
    /// (the sanity check compares them with the rows read back).
    pub(super) digests: Vec<u64>,
    /// Accepted rows identical to the table's (re-loads): not sent, already verified.
    pub(super) identical: u64,
    /// Days of the rows sent to the server (new or changed): what the aggregates must redo.
    pub(super) changed_days: Vec<NaiveDate>,
    /// The stored 30-day median of rows going straight into the table (a symbol's first load).
    pub(super) medians: RollingMedian,
    /// Suspicious rows and gaps among the rows sent (all of them on a first load).
    pub(super) quality: QualityCounter,
    /// The moving-average crosses of rows going straight into the table (a symbol's first load).
    pub(super) crosses: CrossFinder,
    /// Their daily-return counts.
    pub(super) returns: ReturnCounter,
    /// Dividends and splits on the accepted rows (a one-symbol file's).
    pub(super) actions: Vec<Action>,
}

/// What the parse thread sends to the server.
pub(super) enum Mode {
    /// `--dry-run`: staging tuples, thrown away.
    Validate,
    /// A symbol's first load: rows of `market.daily_prices` for this symbol, written by the
    /// load with this run id.
    Direct { symbol: String, run_id: i64 },
    /// A re-load: staging tuples for the rows whose day is new or whose values differ from
    /// the table's (day → digest of the values already there).
    Changes(HashMap<NaiveDate, u64>),
}

/// A price file opened for reading: its rows, and the SHA-256 of the bytes read so far.
struct Opened {
    rows: PriceReader<Box<dyn Read>>,
    hasher: Rc<RefCell<Sha256>>,
    watch: Watch,
}

impl Opened {
    fn open(path: &Path, settings: &Settings) -> Result<Opened, Stop> {
        let file = std::fs::File::open(path).map_err(|e| Stop::File(e.into()))?;
        let watch = Watch::new(file.try_clone().map_err(|e| Stop::File(e.into()))?)?;
        let hasher = Rc::new(RefCell::new(Sha256::new()));
        let raw = HashingReader {
            inner: file,
            hasher: Rc::clone(&hasher),
        };
        let reader = decompressed(raw, path);
        let rows = PriceReader::new(reader, settings.parse.clone()).map_err(Stop::File)?;
        Ok(Opened {
            rows,
            hasher,
            watch,
        })
    }

    /// A `Parsed` with the file's format, nothing counted yet.
    fn parsed(&self, settings: &Settings) -> Parsed {
        let layout = self.rows.layout();
        Parsed {
            format: layout.label().to_string(),
            columns: layout.header.mapping(),
            dates: match &settings.parse.date_format {
                Some(f) => format!("{f} (--date-format)"),
                None => layout.header.dates.label().to_string(),
            },
            ..Parsed::default()
        }
    }

    /// After the last row: the row count and digest, or `Changed` if the file moved meanwhile.
    fn close(self, parsed: &mut Parsed) -> Result<(), Stop> {
        parsed.rows = self.rows.rows;
        drop(self.rows);
        self.watch.check()?;
        parsed.sha256 = format!("{:x}", self.hasher.borrow_mut().finalize_reset());
        Ok(())
    }
}

impl Parsed {
    /// An accepted row: encoded as `mode` says (or left out when identical to the table's),
    /// and counted.
    fn accept(&mut self, row: &Row, warnings: u8, mode: &Mode, buf: &mut Vec<u8>) {
        match mode {
            Mode::Validate => {
                encode::encode_row(buf, row);
            }
            Mode::Direct { symbol, run_id } => {
                let median = self
                    .medians
                    .push(row.day, row.adj_close.unwrap_or(row.close));
                self.digests
                    .push(encode::encode_row_of(buf, symbol, row, median, *run_id));
                self.crosses.push(row.day, row.close);
                self.returns
                    .push(row.day, row.adj_close.unwrap_or(row.close));
                self.changed_days.push(row.day);
                self.quality.add(row.day, row.warnings());
            }
            Mode::Changes(known) => {
                let start = buf.len();
                if known.get(&row.day) == Some(&encode::encode_row(buf, row)) {
                    buf.truncate(start);
                    self.identical += 1;
                } else {
                    self.changed_days.push(row.day);
                    self.quality.add(row.day, row.warnings());
                }
            }
        }
        self.count(row, warnings);
        self.periods.add(
            row.day,
            Prices {
                open: row.open,
                high: row.high,
                low: row.low,
                close: row.close,
                volume: row.volume,
            },
        );
    }

    /// Counts an accepted row and widens the day range (no encoding: a grouped file's rows
    /// are encoded per symbol later).
    pub(super) fn count(&mut self, row: &Row, warnings: u8) {
        self.accepted += 1;
        self.warned += u64::from(warnings != 0);
        self.first_day = Some(self.first_day.map_or(row.day, |d| d.min(row.day)));
        self.last_day = Some(self.last_day.map_or(row.day, |d| d.max(row.day)));
    }

    /// A bad row: kept for the rejects file, or the end of the file past `--max-bad-rows`.
    pub(super) fn reject(&mut self, row: BadRow, settings: &Settings) -> Result<(), Stop> {
        if self.rejected.len() as u64 >= settings.max_bad_rows {
            return Err(Stop::TooManyBadRows {
                row: Box::new(row),
                limit: settings.max_bad_rows,
            });
        }
        self.rejected.push(row);
        Ok(())
    }
}

/// Runs on a blocking thread: reads, validates and encodes the file, sending COPY chunks as
/// `mode` says.
pub(super) fn parse_file(
    path: &Path,
    settings: &Settings,
    mode: &Mode,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<Parsed, Stop> {
    let mut file = Opened::open(path, settings)?;
    let mut parsed = file.parsed(settings);
    let mut chunks = Chunks::new(tx);
    while let Some(item) = file.rows.next_item().map_err(Stop::File)? {
        match item {
            Item::Row(row, warnings) => {
                parsed.accept(&row, warnings, mode, &mut chunks.buf);
                parsed.actions.extend(file.rows.action());
            }
            Item::Bad(row) => parsed.reject(row, settings)?,
        }
        chunks.flush_full()?;
    }
    chunks.finish()?;
    file.close(&mut parsed)?;
    Ok(parsed)
}

/// A file naming a symbol on each row, read whole: each symbol's accepted rows (with their
/// warning flags), and the file's counts, bad rows and digest in `file`.
pub(super) struct Grouped {
    pub(super) symbols: BTreeMap<String, Vec<(Row, u8)>>,
    /// Each symbol's dividends and splits.
    pub(super) actions: BTreeMap<String, Vec<Action>>,
    pub(super) file: Parsed,
    /// Trade counts a vendor's day file gives: (symbol, day, count).
    pub(super) transactions: Vec<(String, NaiveDate, i64)>,
    /// A vendor's day file: the wrapping sum of its rows' digests (`vendor::unchanged`).
    pub(super) digests: Option<u64>,
}

/// Runs on a blocking thread: reads a file naming a symbol on each row and groups its rows
/// by symbol (held in memory: about 70 bytes a row).
pub(super) fn read_grouped(path: &Path, settings: &Settings) -> Result<Grouped, Stop> {
    let mut file = Opened::open(path, settings)?;
    let mut parsed = file.parsed(settings);
    let mut symbols: BTreeMap<String, Vec<(Row, u8)>> = BTreeMap::new();
    let mut actions: BTreeMap<String, Vec<Action>> = BTreeMap::new();
    while let Some(item) = file.rows.next_item().map_err(Stop::File)? {
        match item {
            Item::Row(row, warnings) => {
                let symbol = file.rows.row_symbol().unwrap_or_default();
                if let Some(action) = file.rows.action() {
                    actions.entry(symbol.to_string()).or_default().push(action);
                }
                match symbols.get_mut(symbol) {
                    Some(rows) => rows.push((row, warnings)),
                    None => {
                        symbols.insert(symbol.to_string(), vec![(row, warnings)]);
                    }
                }
                parsed.count(&row, warnings);
            }
            Item::Bad(row) => parsed.reject(row, settings)?,
        }
    }
    file.close(&mut parsed)?;
    Ok(Grouped {
        symbols,
        actions,
        file: parsed,
        transactions: Vec::new(),
        digests: None,
    })
}

/// Runs on a blocking thread: encodes one symbol's rows of a grouped file as `mode` says.
pub(super) fn encode_rows(
    rows: &[(Row, u8)],
    mode: &Mode,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<Parsed, Stop> {
    let mut parsed = Parsed::default();
    let mut chunks = Chunks::new(tx);
    for (row, warnings) in rows {
        parsed.accept(row, *warnings, mode, &mut chunks.buf);
        chunks.flush_full()?;
    }
    chunks.finish()?;
    parsed.rows = parsed.accepted;
    Ok(parsed)
}

/// Starts the parse thread of a one-symbol file.
pub(super) fn spawn_parser(
    file: &PriceFile,
    settings: &Settings,
    mode: Mode,
    tx: mpsc::Sender<Vec<u8>>,
) -> tokio::task::JoinHandle<Result<Parsed, Stop>> {
    let path = file.path.clone();
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || parse_file(&path, &settings, &mode, tx))
}
