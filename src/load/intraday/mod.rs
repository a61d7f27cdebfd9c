//! Intraday bar files (issue 11): one file's transaction. A blocking thread parses the bars
//! (`parse`), decides the resolution from a sample and streams binary COPY chunks; the bars
//! go straight into `market.intraday_bars` when the symbol has none at that resolution, else
//! through a staging table and an upsert. Then the sanity check and the roll-ups: a new
//! (symbol, resolution)'s with COPY (into the tables, or the continuous aggregates' storage on
//! the timescale tier), else recomputed (tables tiers) or recorded as a stale range for the
//! refresh after commit (timescale tier), all inside the file's transaction of `load::job`.

pub mod encode;
pub mod market;
pub mod parse;
pub mod sniff;
pub mod vendor;

use super::files::PriceFile;
use super::input::{
    CHUNK, Sent, Stop, Watch, dry_run_report, join, open_hashed, refused, send_chunks,
};
use super::job::{
    Conflicts, ErrorKind, Failure, FileKind, FileReport, OnConflict, Outcome, Settings,
    WriteContext, interrupted,
};
use super::values::BadRow;
use super::verify::{self, FileCounts, TableCounts};
use crate::analytics::Aggregates;
use crate::analytics::intraday::{self, RollUps};
use crate::db::copy;
use chrono::{DateTime, NaiveDate, Utc};
use parse::{BarReader, Grid, Item};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use tokio::sync::{mpsc, oneshot};

/// What the parse thread found in an intraday file.
#[derive(Debug, Default)]
pub struct ParsedBars {
    pub rows: u64,
    pub accepted: u64,
    pub warned: u64,
    pub rejected: Vec<BadRow>,
    /// First and last bar (UTC microseconds).
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Sum of the accepted volumes, for the check of a COPY straight into the table.
    pub volume: i128,
    pub sha256: String,
    pub format: String,
    pub columns: String,
    pub resolution: String,
    pub symbol: Option<String>,
    /// First and last exchange day.
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// The roll-ups of the accepted bars, when the [`Plan`] asks for them.
    pub rollups: RollUps,
    /// The resolution in microseconds.
    pub resolution_micros: i64,
    /// Accepted bars identical to the table's (a re-load): not sent, already verified.
    pub identical: u64,
}

impl From<parse::FileError> for Stop {
    fn from(e: parse::FileError) -> Stop {
        use crate::load::input::FileError as Unreadable;
        Stop::File(match e {
            parse::FileError::Layout(m) => Unreadable::Header(m),
            parse::FileError::Csv { line, message } => Unreadable::Csv { line, message },
            parse::FileError::Io(e) => Unreadable::Io(e),
        })
    }
}

/// The resolution a file name gives (`MSFT_15min.csv`), if any.
fn named_resolution(path: &Path) -> Option<i64> {
    let stem = path.file_name()?.to_string_lossy().to_string();
    stem.split(['_', ' ', '.', '-'])
        .find_map(sniff::resolution_word)
}

/// The parse thread: reads the file, sends its grid once decided, then COPY chunks of
/// `market.intraday_bars` tuples for `symbol`.
fn parse_bars(
    path: &Path,
    symbol: &str,
    settings: &Settings,
    grid_tx: oneshot::Sender<Grid>,
    plan_rx: oneshot::Receiver<Plan>,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<ParsedBars, Stop> {
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let watch =
        Watch::new(std::fs::File::open(path).map_err(|e| Stop::from(parse::FileError::Io(e)))?)?;
    let mut first_open = true;
    let mut reader = BarReader::open(
        || {
            // The first opening only recognises the layout: hash the second, read whole.
            if first_open {
                first_open = false;
                return open_hashed(path, &Rc::new(RefCell::new(Sha256::new())));
            }
            open_hashed(path, &hasher)
        },
        settings.parse.timezone,
        settings.parse.strict,
        named_resolution(path),
    )
    .map_err(Stop::from)?;
    let grid = reader.decide_grid().map_err(Stop::from)?;
    let zone = reader.zone();
    let layout = reader.layout().clone();
    let mut parsed = ParsedBars {
        format: layout.source.label().to_string(),
        columns: layout.mapping(),
        resolution: grid.label(),
        resolution_micros: grid.resolution,
        ..ParsedBars::default()
    };
    // The async side waits for the grid before choosing where the COPY goes.
    if grid_tx.send(grid).is_err() {
        return Err(Stop::Cancelled);
    }
    // Then tells which bars the table has already (a re-load), to send only the others.
    let Plan {
        known,
        rollups,
        run_id,
    } = plan_rx.blocking_recv().map_err(|_| Stop::Cancelled)?;
    let mut buf = Vec::with_capacity(CHUNK + 256);
    buf.extend_from_slice(copy::HEADER);
    while let Some(item) = reader.next_item().map_err(Stop::from)? {
        match item {
            Item::Bar(bar, warned) => {
                let start = buf.len();
                let digest = encode::encode_bar(&mut buf, symbol, grid.resolution, &bar, run_id);
                if let Some(known) = &known
                    && known.get(&bar.ts) == Some(&digest)
                {
                    buf.truncate(start);
                    parsed.identical += 1;
                }
                parsed.accepted += 1;
                parsed.warned += u64::from(warned);
                parsed.volume += i128::from(bar.volume);
                if rollups {
                    parsed.rollups.push(&bar);
                }
                parsed.first = Some(parsed.first.map_or(bar.ts, |f| f.min(bar.ts)));
                parsed.last = Some(parsed.last.map_or(bar.ts, |l| l.max(bar.ts)));
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
        if buf.len() >= CHUNK {
            let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK + 256));
            tx.blocking_send(full).map_err(|_| Stop::Cancelled)?;
        }
    }
    buf.extend_from_slice(copy::TRAILER);
    tx.blocking_send(buf).map_err(|_| Stop::Cancelled)?;
    parsed.rows = reader.rows;
    parsed.symbol = reader.row_symbol.clone();
    let day = |ts: i64| {
        DateTime::<Utc>::from_timestamp_micros(ts).map(|t| t.with_timezone(&zone).date_naive())
    };
    parsed.first_day = parsed.first.and_then(day);
    parsed.last_day = parsed.last.and_then(day);
    drop(reader);
    watch.check()?;
    parsed.sha256 = format!("{:x}", hasher.borrow_mut().finalize_reset());
    Ok(parsed)
}

/// What the parse thread is told once its grid is known: the bars the table has already (a
/// re-load sends only the others), and whether to build the roll-ups as the bars stream in
/// (a first load at this resolution, the only case that writes them).
struct Plan {
    known: Option<HashMap<i64, u64>>,
    rollups: bool,
    /// The load's `market.load_runs` id, on every bar sent (provenance).
    run_id: i64,
}

/// The parse thread's side of the conversation: its grid, then its [`Plan`].
struct Channels {
    grid: oneshot::Sender<Grid>,
    plan: oneshot::Receiver<Plan>,
    chunks: mpsc::Sender<Vec<u8>>,
}

fn spawn(
    file: &PriceFile,
    settings: &Settings,
    ch: Channels,
) -> tokio::task::JoinHandle<Result<ParsedBars, Stop>> {
    let (path, symbol, settings) = (file.path.clone(), file.symbol.clone(), settings.clone());
    tokio::task::spawn_blocking(move || {
        parse_bars(&path, &symbol, &settings, ch.grid, ch.plan, ch.chunks)
    })
}

impl FileReport {
    fn take_bars(&mut self, parsed: &ParsedBars) {
        self.rows_in_file = parsed.rows;
        self.accepted = parsed.accepted;
        self.rejected = parsed.rejected.len() as u64;
        self.warnings = parsed.warned;
        self.first_day = parsed.first_day;
        self.last_day = parsed.last_day;
        self.sha256 = Some(parsed.sha256.clone());
        self.format = Some(format!("{} ({} bars)", parsed.format, parsed.resolution));
        self.columns = Some(parsed.columns.clone());
        self.dates = Some("exchange time".into());
    }
}

/// Intraday bars, for the file's job.
pub struct Intraday;

impl FileKind for Intraday {
    async fn validate(&self, file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>) {
        if file.symbol_per_row {
            return market::validate(file, settings).await;
        }
        validate(file, settings).await
    }

    async fn write(
        &self,
        tx: &mut PgConnection,
        file: &PriceFile,
        context: WriteContext<'_>,
        report: &mut FileReport,
    ) -> Result<Vec<BadRow>, Failure> {
        if file.symbol_per_row {
            return market::write(tx, file, context, report).await;
        }
        write(tx, file, context, report).await
    }
}

/// `--dry-run` of an intraday file: parse and judge every row, write nothing.
async fn validate(file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>) {
    let report = FileReport::new(file);
    let (grid, _grid_rx) = oneshot::channel();
    let (plan_tx, plan) = oneshot::channel();
    let _ = plan_tx.send(Plan {
        known: None,
        rollups: false,
        run_id: 0,
    });
    let (chunks, mut rx) = mpsc::channel::<Vec<u8>>(4);
    let parse = spawn(file, settings, Channels { grid, plan, chunks });
    while rx.recv().await.is_some() {}
    dry_run_report(report, &file.path, join(parse).await, |report, parsed| {
        report.take_bars(&parsed);
        parsed.rejected
    })
}

/// One intraday file inside its transaction (begun and committed by the caller).
async fn write(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let WriteContext {
        settings,
        aggregates,
        run,
        run_id,
        records,
        distributed,
    } = context;
    let db = |e| Failure::db(file, e);
    let asset_class = file.asset_class.map(|c| c.as_str());
    super::symbol_lock::hold(tx, records, &file.symbol, asset_class, distributed)
        .await
        .map_err(db)?;
    let (grid, grid_rx) = oneshot::channel();
    let (plan_tx, plan) = oneshot::channel();
    let (chunks, mut rx) = mpsc::channel::<Vec<u8>>(4);
    let parse = spawn(file, settings, Channels { grid, plan, chunks });
    let Ok(grid) = grid_rx.await else {
        // The file was refused before its grid was known.
        drop(rx);
        return Err(match join(parse).await {
            Err(stop) => refused(file, &stop),
            Ok(_) => refused(file, &Stop::Cancelled),
        });
    };
    let resolution = copy::interval_of(grid.resolution);
    // Asked with the symbol's row lock held (symbol_upsert): no other load of it runs now.
    let direct: bool = !sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM market.intraday_bars WHERE symbol = $1 AND resolution = $2)",
    )
    .bind(&file.symbol)
    .bind(resolution)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    // Waits here, after the symbol's lock (`RunState::bulk_copy_slot`), not before the file:
    // a re-load that sends nothing keeps its job.
    let _slot = match direct {
        true => Some(run.bulk_copy_slot().await),
        false => None,
    };
    // A re-load: when the table holds no more than about three times the file's bars at this
    // resolution, read them back and send only the bars that are new or differ (10.6M
    // unchanged bars: staging them all took 1.22x the server's COPY). A file of a few new
    // days beside a long history stages all its bars instead.
    let known = if direct {
        None
    } else {
        let in_table: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM market.intraday_bars WHERE symbol = $1 AND resolution = $2",
        )
        .bind(&file.symbol)
        .bind(resolution)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let file_bytes = std::fs::metadata(&file.path).map_or(0, |m| m.len());
        if in_table.max(0) as u64 <= file_bytes / 18 {
            let label = parse::label_of(grid.resolution);
            Some(
                known_bars(&mut *tx, &file.symbol, &label)
                    .await
                    .map_err(|e| Failure::any(file, e))?,
            )
        } else {
            None
        }
    };
    // The parse thread waits for this before it sends a bar; gone means it stopped already.
    let _ = plan_tx.send(Plan {
        known,
        rollups: direct,
        run_id,
    });
    let copy_sql = if direct {
        "COPY market.intraday_bars (symbol, resolution, ts, open, high, low, close, volume, load_run_id) FROM STDIN (FORMAT binary)"
    } else {
        "COPY pg_temp.stockdb_intraday_staging (symbol, resolution, ts, open, high, low, close, volume, load_run_id) FROM STDIN (FORMAT binary)"
    };
    let mut copy_in = tx.copy_in_raw(copy_sql).await.map_err(db)?;
    let sent = send_chunks(&mut copy_in, &mut rx, run).await;
    drop(rx);
    let parsed = join(parse).await;
    let mut parsed = match (parsed, sent) {
        (_, Sent::Cancelled) => {
            copy_in.abort("stockdb: interrupted").await.ok();
            return Err(interrupted(file));
        }
        (_, Sent::Failed(e)) => {
            copy_in.abort("stockdb: send failed").await.ok();
            return Err(db(e));
        }
        (Err(stop), Sent::All) => {
            copy_in.abort("stockdb: file refused").await.ok();
            return Err(refused(file, &stop));
        }
        (Ok(parsed), Sent::All) => parsed,
    };
    let copied = copy_in.finish().await.map_err(db)?;
    report.take_bars(&parsed);
    if let Some(s) = &parsed.symbol
        && *s != file.symbol
        && !file.symbol_in_file
    {
        tracing::info!(
            "{}: the Symbol column says {s}; loaded as {}",
            file.path.display(),
            file.symbol
        );
    }

    let kept = if direct || copied == 0 || settings.on_conflict.updates() {
        0
    } else {
        conflicts(&mut *tx, file, resolution, settings.on_conflict).await?
    };
    type Merged = (i64, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    // The file's first and last bar, as constants for the statements that join the table: they
    // read only those chunks and columnstore batches.
    let at = |t: Option<i64>| t.and_then(DateTime::<Utc>::from_timestamp_micros);
    let bars = (at(parsed.first), at(parsed.last));
    let (inserted, updated, overwritten, changed) = if direct {
        let range = parsed.first.zip(parsed.last);
        (copied as i64, 0, 0, range)
    } else if copied == 0 {
        // Every bar was identical to the table's: nothing to merge.
        (0, 0, 0, None)
    } else {
        let over: i64 = sqlx::query_scalar(include_str!("sql/overwritten.sql"))
            .bind(&file.symbol)
            .bind(resolution)
            .bind(file.path.display().to_string())
            .bind(settings.on_conflict.updates())
            .bind(bars.0)
            .bind(bars.1)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let (ins, upd, from, to): Merged = sqlx::query_as(include_str!("sql/merge.sql"))
            .bind(settings.on_conflict.updates())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let micros = |t: DateTime<Utc>| t.timestamp_micros();
        (ins, upd, over, from.map(micros).zip(to.map(micros)))
    };
    let table = if direct {
        direct_counts(&mut *tx, &file.symbol, resolution, &parsed)
            .await
            .map_err(db)?
    } else {
        let (staged, matching, differing, in_table): (i64, i64, i64, i64) =
            sqlx::query_as(include_str!("sql/verify.sql"))
                .bind(&file.symbol)
                .bind(resolution)
                .bind(bars.0)
                .bind(bars.1)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        // Bars found identical in the read-back were not sent, and are verified already.
        let in_table = if copied == 0 {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM market.intraday_bars WHERE symbol = $1 AND resolution = $2",
            )
            .bind(&file.symbol)
            .bind(resolution)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
        } else {
            in_table
        };
        TableCounts {
            staged: staged as u64 + parsed.identical,
            matching: matching as u64 + parsed.identical,
            kept: differing as u64,
            in_table: in_table as u64,
        }
    };
    let counts = FileCounts {
        rows_in_file: parsed.rows,
        accepted: parsed.accepted,
        rejected: parsed.rejected.len() as u64,
        copied: copied + parsed.identical,
        kept,
    };
    if let Err(msg) = verify::check(counts, table) {
        return Err(Failure {
            outcome: Outcome::RolledBack,
            message: format!(
                "{}: {}; the file was rolled back",
                file.path.display(),
                msg.replace("market.daily_prices", "market.intraday_bars")
            ),
            kind: ErrorKind::Other,
        });
    }
    // A new (symbol, resolution): its roll-ups as they streamed in, with COPY, into the
    // tables or, on the timescale tier, the continuous aggregates' storage.
    let written = match (direct, aggregates) {
        (false, _) => false,
        (true, Aggregates::Tables) => {
            intraday::write_tables(
                &mut *tx,
                &file.symbol,
                parsed.resolution_micros,
                &mut parsed.rollups,
            )
            .await
            .map_err(|e| Failure::any(file, e))?;
            true
        }
        (true, Aggregates::Continuous) => intraday::write_materialized(
            &mut *tx,
            &file.symbol,
            parsed.resolution_micros,
            &mut parsed.rollups,
        )
        .await
        .map_err(|e| Failure::any(file, e))?,
    };
    if let Some((from, to)) = changed.filter(|_| !written) {
        let at = |t: i64| DateTime::<Utc>::from_timestamp_micros(t);
        let sql = match aggregates {
            Aggregates::Tables => "SELECT market.refresh_intraday_tables($1, $2, $3)",
            Aggregates::Continuous => {
                "INSERT INTO market.intraday_stale_ranges (symbol, from_ts, to_ts) VALUES ($1, $2, $3)"
            }
        };
        sqlx::query(sql)
            .bind(&file.symbol)
            .bind(at(from))
            .bind(at(to))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    report.take_merged(
        parsed.accepted,
        (inserted, updated),
        kept,
        overwritten,
        table.in_table,
    );
    Ok(parsed.rejected)
}

impl FileReport {
    /// What a checked merge of `accepted` bars did: new and changed bars, bars kept as stored
    /// (`--on-conflict keep`), changed bars another file had written, and the bars in the table.
    fn take_merged(
        &mut self,
        accepted: u64,
        (inserted, updated): (i64, i64),
        kept: u64,
        overwritten: i64,
        in_table: u64,
    ) {
        self.inserted = inserted as u64;
        self.updated = updated as u64;
        self.kept = kept;
        self.overwritten = overwritten as u64;
        self.unchanged = accepted.saturating_sub((inserted + updated) as u64 + kept);
        self.in_table = in_table;
        self.check_passed = true;
    }
}

/// Count, volume sum (text), first and last bar of a symbol at one resolution.
type DirectCounts = (
    i64,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// A symbol's intraday bars at one resolution already in the table, as bar start → digest of
/// the values ([`encode::put_bar_values`]): a re-load sends only the bars that are new or differ.
async fn known_bars(
    conn: &mut PgConnection,
    symbol: &str,
    resolution: &str,
) -> anyhow::Result<HashMap<i64, u64>> {
    let mut known = HashMap::new();
    let mut bad = false;
    let sql = include_str!("sql/read_back.sql");
    verify::each_tuple(
        conn,
        sql,
        symbol,
        Some(resolution),
        |values| match encode::bar_ts_of(values) {
            Some(ts) => {
                known.insert(ts, copy::digest(values));
            }
            None => bad = true,
        },
    )
    .await?;
    anyhow::ensure!(!bad, "reading back {symbol}: a bar without a time");
    Ok(known)
}

/// The table side after a COPY straight into the table (the symbol had no bars at this
/// resolution): the count, the volume sum and the first and last bar must be the file's.
async fn direct_counts(
    conn: &mut PgConnection,
    symbol: &str,
    resolution: sqlx::postgres::types::PgInterval,
    parsed: &ParsedBars,
) -> sqlx::Result<TableCounts> {
    let (count, volume, first, last): DirectCounts =
        sqlx::query_as(include_str!("sql/direct_counts.sql"))
            .bind(symbol)
            .bind(resolution)
            .fetch_one(conn)
            .await?;
    let same = volume.as_deref() == Some(parsed.volume.to_string().as_str())
        && first.map(|t| t.timestamp_micros()) == parsed.first
        && last.map(|t| t.timestamp_micros()) == parsed.last;
    Ok(TableCounts {
        staged: count as u64,
        matching: if same || count == 0 { count as u64 } else { 0 },
        kept: 0,
        in_table: count as u64,
    })
}

/// The staged bars already stored with other values, under `--on-conflict keep` or `error`:
/// how many there are (kept as stored), or the refusal naming the first one.
async fn conflicts(
    tx: &mut PgConnection,
    file: &PriceFile,
    resolution: sqlx::postgres::types::PgInterval,
    on_conflict: OnConflict,
) -> Result<u64, Failure> {
    let found: Option<Conflicts> = sqlx::query_as(include_str!("sql/conflicts.sql"))
        .bind(&file.symbol)
        .bind(resolution)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    super::job::on_conflict(file, found, on_conflict, "bar(s)")
}
