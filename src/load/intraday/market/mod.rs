//! Intraday files naming a symbol on every row (issue 43): vendor day files of the whole
//! market and long files, in the file's transaction of `load::job`. A file whose New York day
//! has no bars at its resolution yet is COPYed straight into `market.intraday_bars` (under a
//! savepoint: a bar outside that day, or a bar the file repeats, sends it to the merge). A
//! re-load whose bars sum to the same digests as the stored ones writes nothing. Anything else
//! is staged with its line numbers, its repeats judged, and merged. Each path is checked.

mod merge;
pub mod read;
mod spool;

use super::vendor;
use crate::analytics::Aggregates;
use crate::analytics::intraday;
use crate::db::copy;
use crate::load::files::PriceFile;
use crate::load::input::{
    Chunks, Sent, Stop, Watch, dry_run_report, join, open_hashed, refused, send_chunks,
};
use crate::load::job::{
    ErrorKind, Failure, FileReport, Outcome, Settings, WriteContext, interrupted, symbols_label,
};
use crate::load::stamps;
use crate::load::values::BadRow;
use crate::load::verify::{self, FileCounts, TableCounts};
use chrono::{DateTime, NaiveDate, Utc};
use read::{MarketBar, MarketItem, MarketReader};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::rc::Rc;
use tokio::sync::mpsc;

/// What the parse thread found in a market file.
#[derive(Debug, Default)]
pub struct MarketParsed {
    pub rows: u64,
    pub accepted: u64,
    pub warned: u64,
    pub rejected: Vec<BadRow>,
    /// First and last bar (UTC microseconds).
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Wrapping sum of each accepted bar's [`copy::digest`] of [`put_values`]: equal to the
    /// table's over the same bars when every bar is stored with the file's values.
    pub digests: u64,
    pub symbols: BTreeSet<String>,
    pub sha256: String,
    pub format: String,
    pub columns: String,
    /// Bar width in microseconds.
    pub resolution: i64,
    /// The roll-ups of the copy path, spooled ([`spool::Spool`]); None when not grouped by symbol.
    pub levels: Option<intraday::DayLevels>,
}

/// What the parse thread sends.
#[derive(Debug, Clone, Copy)]
enum Pass {
    /// Nothing (`--dry-run`, or the digests of a re-load).
    Read,
    /// Rows of `market.intraday_bars`; a bar outside `[from, to)` diverts the file.
    Direct { run_id: i64, from: i64, to: i64 },
    /// Rows of the staging table, with their lines.
    Staged { run_id: i64 },
}

/// A bar's symbol and values as binary COPY writes (and reads back) them: `read_back.sql`'s
/// columns.
fn put_values(buf: &mut Vec<u8>, symbol: &str, bar: &MarketBar) {
    copy::put_text(buf, symbol);
    copy::put_i64(buf, bar.ts - copy::PG_EPOCH_MICROS);
    for v in [bar.open, bar.high, bar.low, bar.close] {
        copy::put_f64(buf, v);
    }
    copy::put_i64(buf, bar.volume);
    copy::put_opt_i64(buf, bar.transactions);
}

fn put_tuple(buf: &mut Vec<u8>, pass: Pass, line: u64, symbol: &str, res: i64, bar: &MarketBar) {
    let run_id = match pass {
        Pass::Read => return,
        Pass::Direct { run_id, .. } => {
            buf.extend_from_slice(&10i16.to_be_bytes());
            run_id
        }
        Pass::Staged { run_id } => {
            buf.extend_from_slice(&11i16.to_be_bytes());
            copy::put_i64(buf, line as i64);
            run_id
        }
    };
    copy::put_text(buf, symbol);
    copy::put_interval(buf, res);
    copy::put_i64(buf, bar.ts - copy::PG_EPOCH_MICROS);
    for v in [bar.open, bar.high, bar.low, bar.close] {
        copy::put_f64(buf, v);
    }
    copy::put_i64(buf, bar.volume);
    copy::put_opt_i64(buf, bar.transactions);
    copy::put_i64(buf, run_id);
}

/// Opens the file's reader: the first opening recognises the layout, the second is hashed.
fn open(
    path: &Path,
    settings: &Settings,
    hasher: &Rc<RefCell<Sha256>>,
) -> Result<MarketReader<Box<dyn std::io::Read>>, Stop> {
    let mut first_open = true;
    MarketReader::open(
        || {
            if first_open {
                first_open = false;
                return open_hashed(path, &Rc::new(RefCell::new(Sha256::new())));
            }
            open_hashed(path, hasher)
        },
        path,
        settings.parse.timezone,
        settings.parse.strict,
    )
    .map_err(Stop::from)
}

/// The parse thread: reads the whole file, sending what `pass` asks for.
fn parse_market(
    path: &Path,
    settings: &Settings,
    pass: Pass,
    tx: Option<mpsc::Sender<Vec<u8>>>,
) -> Result<MarketParsed, Stop> {
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let watch = Watch::new(std::fs::File::open(path).map_err(|e| Stop::File(e.into()))?)?;
    let mut reader = open(path, settings, &hasher)?;
    let resolution = reader.resolution();
    let mut parsed = MarketParsed {
        format: reader.layout().label(),
        columns: reader.layout().mapping(),
        resolution,
        ..MarketParsed::default()
    };
    let mut chunks = tx.map(Chunks::new);
    let io = |e: std::io::Error| Stop::File(e.into());
    let mut spool = match pass {
        Pass::Direct { .. } => Some(spool::Spool::new(resolution).map_err(io)?),
        _ => None,
    };
    let mut values = Vec::with_capacity(128);
    let mut last_symbol = String::new();
    while let Some(item) = reader.next_item().map_err(Stop::from)? {
        match item {
            MarketItem::Bar(bar, warned) => {
                if let Pass::Direct { from, to, .. } = pass
                    && !(from..to).contains(&bar.ts)
                {
                    return Err(Stop::Diverted);
                }
                let symbol = reader.symbol();
                values.clear();
                put_values(&mut values, symbol, &bar);
                parsed.digests = parsed.digests.wrapping_add(copy::digest(&values));
                if let Some(chunks) = chunks.as_mut() {
                    put_tuple(&mut chunks.buf, pass, reader.line, symbol, resolution, &bar);
                    chunks.flush_full()?;
                }
                if let Some(spool) = spool.as_mut() {
                    spool.push(symbol, &bar).map_err(io)?;
                }
                if symbol != last_symbol {
                    last_symbol.clear();
                    last_symbol.push_str(symbol);
                    if !parsed.symbols.contains(symbol) {
                        parsed.symbols.insert(symbol.to_string());
                    }
                }
                parsed.accepted += 1;
                parsed.warned += u64::from(warned);
                parsed.first = Some(parsed.first.map_or(bar.ts, |f| f.min(bar.ts)));
                parsed.last = Some(parsed.last.map_or(bar.ts, |l| l.max(bar.ts)));
            }
            MarketItem::Bad(row) => {
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
    if let Some(chunks) = chunks {
        chunks.finish()?;
    }
    if let Some(spool) = spool {
        parsed.levels = spool.finish().map_err(io)?;
    }
    parsed.rows = reader.rows;
    drop(reader);
    watch.check()?;
    parsed.sha256 = format!("{:x}", hasher.borrow_mut().finalize_reset());
    Ok(parsed)
}

fn spawn(
    file: &PriceFile,
    settings: &Settings,
    pass: Pass,
    tx: Option<mpsc::Sender<Vec<u8>>>,
) -> tokio::task::JoinHandle<Result<MarketParsed, Stop>> {
    let (path, settings) = (file.path.clone(), settings.clone());
    tokio::task::spawn_blocking(move || parse_market(&path, &settings, pass, tx))
}

impl FileReport {
    fn take_market(&mut self, parsed: &MarketParsed) {
        self.rows_in_file = parsed.rows;
        self.accepted = parsed.accepted;
        self.rejected = parsed.rejected.len() as u64;
        self.warnings = parsed.warned;
        // Day bars are stamped at midnight UTC of their day; others are instants.
        let daily = parsed.resolution >= vendor::DAY_MICROS;
        let day = |t: Option<i64>| match daily {
            true => t
                .and_then(DateTime::<Utc>::from_timestamp_micros)
                .map(|t| t.date_naive()),
            false => t.and_then(stamps::new_york_day),
        };
        self.first_day = day(parsed.first);
        self.last_day = day(parsed.last);
        self.sha256 = Some(parsed.sha256.clone());
        self.format = Some(format!(
            "{} ({} bars)",
            parsed.format,
            super::parse::label_of(parsed.resolution)
        ));
        self.columns = Some(parsed.columns.clone());
        self.dates = Some("UTC instants".into());
        self.symbol = symbols_label(parsed.symbols.iter());
    }
}

/// `--dry-run`: read and judge every row, write nothing.
pub async fn validate(file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>) {
    let report = FileReport::new(file);
    let parsed = join(spawn(file, settings, Pass::Read, None)).await;
    dry_run_report(report, &file.path, parsed, |report, parsed| {
        report.take_market(&parsed);
        parsed.rejected
    })
}

/// The New York day a file holds (its name's, else its first bar's) and its bar width; None
/// when no bar can be read.
fn peek(path: &Path, settings: &Settings) -> Result<(Option<NaiveDate>, i64), Stop> {
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let mut reader = open(path, settings, &hasher)?;
    let resolution = reader.resolution();
    if let Some(day) = crate::load::files::day_of_name(path) {
        return Ok((Some(day), resolution));
    }
    for _ in 0..1000 {
        match reader.next_item().map_err(Stop::from)? {
            Some(MarketItem::Bar(bar, _)) => {
                return Ok((stamps::new_york_day(bar.ts), resolution));
            }
            Some(MarketItem::Bad(_)) => continue,
            None => break,
        }
    }
    Ok((None, resolution))
}

/// One market file inside its transaction (begun and committed by the caller).
pub async fn write(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let settings = context.settings;
    let (path, owned) = (file.path.clone(), settings.clone());
    let (day, resolution) = tokio::task::spawn_blocking(move || peek(&path, &owned))
        .await
        .map_err(|e| Failure::any(file, e.into()))?
        .map_err(|stop| refused(file, &stop))?;
    if resolution >= vendor::DAY_MICROS {
        return Err(Failure {
            outcome: Outcome::Refused,
            message: format!(
                "{}: day bars are daily prices, not intraday bars (file refused, nothing loaded)",
                file.path.display()
            ),
            kind: ErrorKind::Other,
        });
    }
    if let Some(day) = day {
        let (from, to) = (
            stamps::new_york_start(day),
            stamps::new_york_start(day.succ_opt().unwrap_or(day)),
        );
        // The day's stored bars at this resolution, read once: none, and the file's bars COPY
        // straight into the table; else they may be the file's already. (An EXISTS here read
        // the whole table on the plain tier, whose BRIN index only a bitmap scan uses.)
        let stored = read_back(tx, resolution, Some(from), Some(to - 1))
            .await
            .map_err(|e| Failure::any(file, e))?;
        if stored.0 == 0 {
            if let Some(parsed) = direct(tx, file, context, (from, to), report).await? {
                return Ok(parsed);
            }
        } else if let Some(rejected) = unchanged(file, settings, stored, report).await? {
            return Ok(rejected);
        }
    }
    merge::staged(tx, file, context, report).await
}

fn at(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_micros(micros)
}

/// COPYs the file's rows through `copy_sql`; the parse's result, or the failure.
async fn copy_rows(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    pass: Pass,
    copy_sql: &str,
) -> Result<(Result<MarketParsed, Stop>, Result<u64, sqlx::Error>), Failure> {
    let (chunks, mut rx) = mpsc::channel::<Vec<u8>>(4);
    let parse = spawn(file, context.settings, pass, Some(chunks));
    let mut copy_in = tx
        .copy_in_raw(copy_sql)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let sent = send_chunks(&mut copy_in, &mut rx, context.run).await;
    drop(rx);
    let parsed = join(parse).await;
    match (parsed, sent) {
        (_, Sent::Cancelled) => {
            copy_in.abort("stockdb: interrupted").await.ok();
            Err(interrupted(file))
        }
        (parsed, Sent::Failed(e)) => {
            copy_in.abort("stockdb: send failed").await.ok();
            Ok((parsed, Err(e)))
        }
        (Err(stop), Sent::All) => {
            copy_in.abort("stockdb: file refused").await.ok();
            Ok((Err(stop), Ok(0)))
        }
        (Ok(parsed), Sent::All) => {
            let copied = copy_in.finish().await;
            Ok((Ok(parsed), copied))
        }
    }
}

/// The copy path: the file's bars straight into the table, checked by reading them back.
/// None when the file is not for it (a bar outside the day, a repeated bar): rolled back to
/// the savepoint, for the merge.
async fn direct(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    (from, to): (i64, i64),
    report: &mut FileReport,
) -> Result<Option<Vec<BadRow>>, Failure> {
    let db = |e| Failure::db(file, e);
    let pass = Pass::Direct {
        run_id: context.run_id,
        from,
        to,
    };
    // One large COPY per CPU at once (`RunState::bulk_copy_slot`): the day's check (a lock-free
    // read) was made; held to the end of the file, roll-ups included.
    let _slot = context.run.bulk_copy_slot().await;
    sqlx::raw_sql("SAVEPOINT stockdb_market")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let sql = "COPY market.intraday_bars (symbol, resolution, ts, open, high, low, close, volume, transactions, load_run_id) FROM STDIN (FORMAT binary)";
    let (parsed, copied) = copy_rows(tx, file, context, pass, sql).await?;
    let divert = match (&parsed, &copied) {
        (Err(Stop::Diverted), _) => true,
        (_, Err(e)) => crate::db::is_unique_violation(e),
        _ => false,
    };
    if divert {
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT stockdb_market")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        return Ok(None);
    }
    let mut parsed = match (parsed, copied) {
        (Err(stop), _) => return Err(refused(file, &stop)),
        (_, Err(e)) => return Err(db(e)),
        (Ok(parsed), Ok(_)) => parsed,
    };
    report.take_market(&parsed);
    let res = parsed.resolution;
    let (count, digests) = read_back(tx, res, parsed.first, parsed.last)
        .await
        .map_err(|e| Failure::any(file, e))?;
    let same = digests == parsed.digests;
    let table = TableCounts {
        staged: count,
        matching: if same { count } else { 0 },
        kept: 0,
        in_table: count,
    };
    check(file, &parsed, 0, parsed.accepted, table)?;
    // The day had no bars at this resolution: its roll-ups as the bars streamed in, with COPY.
    let written = match parsed.levels.take() {
        Some(levels) => intraday::write_day(&mut *tx, context.aggregates, res, (from, to), levels)
            .await
            .map_err(|e| Failure::any(file, e))?,
        None => false,
    };
    let changed = parsed.first.zip(parsed.last).filter(|_| !written);
    finish(tx, file, context, &parsed, changed).await?;
    report.inserted = parsed.accepted;
    report.in_table = count;
    report.check_passed = true;
    report.write_path = Some("copy".into());
    Ok(Some(parsed.rejected))
}

/// A re-load: when the file's bars sum to the digests of the day's stored bars (`stored`: how
/// many, their digests' sum), every bar is stored as the file has it and there are no others,
/// and nothing is written. None when they differ.
async fn unchanged(
    file: &PriceFile,
    settings: &Settings,
    (count, digests): (u64, u64),
    report: &mut FileReport,
) -> Result<Option<Vec<BadRow>>, Failure> {
    let parsed = join(spawn(file, settings, Pass::Read, None))
        .await
        .map_err(|stop| refused(file, &stop))?;
    if count != parsed.accepted || digests != parsed.digests {
        return Ok(None);
    }
    report.take_market(&parsed);
    report.unchanged = parsed.accepted;
    report.in_table = count;
    report.check_passed = true;
    report.write_path = Some("unchanged".into());
    Ok(Some(parsed.rejected))
}

/// The bars at `resolution` between `first` and `last`: how many, and their digests' sum.
async fn read_back(
    conn: &mut PgConnection,
    resolution: i64,
    first: Option<i64>,
    last: Option<i64>,
) -> anyhow::Result<(u64, u64)> {
    let (Some(first), Some(last)) = (first, last) else {
        return Ok((0, 0));
    };
    let text = |t: i64| at(t).map(|t| t.to_rfc3339()).unwrap_or_default();
    let sql = copy::with_literals(
        include_str!("sql/read_back.sql"),
        &[
            ("resolution", &format!("{resolution} microseconds")),
            ("from", &text(first)),
            ("to", &text(last)),
        ],
    );
    let (mut count, mut sum) = (0u64, 0u64);
    let mut tuples = copy::TupleReader::default();
    let mut stream = conn.copy_out_raw(&sql).await?;
    use futures_util::TryStreamExt;
    while let Some(chunk) = stream.try_next().await? {
        tuples
            .feed(&chunk, |values| {
                count += 1;
                sum = sum.wrapping_add(copy::digest(values));
            })
            .map_err(anyhow::Error::msg)?;
    }
    Ok((count, sum))
}

/// The sanity check of either path.
fn check(
    file: &PriceFile,
    parsed: &MarketParsed,
    kept: u64,
    copied: u64,
    table: TableCounts,
) -> Result<(), Failure> {
    let counts = FileCounts {
        rows_in_file: parsed.rows,
        accepted: parsed.accepted,
        rejected: parsed.rejected.len() as u64,
        copied,
        kept,
    };
    verify::check(counts, table).map_err(|msg| Failure {
        outcome: Outcome::RolledBack,
        message: format!(
            "{}: {}; the file was rolled back",
            file.path.display(),
            msg.replace("market.daily_prices", "market.intraday_bars")
        ),
        kind: ErrorKind::Other,
    })
}

/// After the bars: their symbols in `market.symbols`, and the roll-ups over the changed span
/// (recomputed in the transaction for tables; recorded for the refresh after commit).
async fn finish(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    parsed: &MarketParsed,
    changed: Option<(i64, i64)>,
) -> Result<(), Failure> {
    let db = |e| Failure::db(file, e);
    let symbols: Vec<&str> = parsed.symbols.iter().map(String::as_str).collect();
    sqlx::query(
        "INSERT INTO market.symbols (symbol) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
    )
    .bind(&symbols)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let Some((from, to)) = changed else {
        return Ok(());
    };
    let sql = match context.aggregates {
        Aggregates::Tables => "SELECT market.refresh_intraday_tables(NULLIF($1, '*'), $2, $3)",
        Aggregates::Continuous => {
            "INSERT INTO market.intraday_stale_ranges (symbol, from_ts, to_ts) VALUES ($1, $2, $3)"
        }
    };
    sqlx::query(sql)
        .bind("*")
        .bind(at(from))
        .bind(at(to))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    Ok(())
}
