//! The daily kind: one bar per symbol and day, from Yahoo, Kaggle, Nasdaq.com and the other
//! sites' exports (`format/`), into `market.daily_prices` with its period tables and stored
//! features. The file's transaction around it is the shared one of `load::job`.

pub mod actions;
pub mod encode;
pub mod format;
pub mod header;
pub mod parse;
mod read;
pub mod vendor;

use header::Field;
use parse::PriceReader;

use crate::analytics::crosses;
use crate::analytics::features;
use crate::analytics::returns::{self, ReturnCounter};
use crate::analytics::{self, Aggregates};
use crate::db;
use crate::load::files::{PriceFile, check_symbol};
use crate::load::input::{
    Sent, Stop, drain, dry_run_report, join, open_plain, refusal_message, send_chunks,
};
use crate::load::job::{
    self, Conflicts, ErrorKind, Failure, FileKind, FileReport, OnConflict, Outcome, Settings,
    WriteContext, interrupted, symbols_label,
};
use crate::load::values::BadRow;
use crate::load::verify::{self, FileCounts};
use chrono::NaiveDate;
use read::{Grouped, Mode, Parsed, encode_rows, read_grouped, spawn_parser};
use sqlx::PgConnection;
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Daily bars, for the file's job.
pub struct Daily;

impl FileKind for Daily {
    async fn validate(&self, file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>) {
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
            return write_grouped(tx, file, context, report).await;
        }
        let (chunks, rx) = mpsc::channel::<Vec<u8>>(4);
        let source = |mode| spawn_parser(file, context.settings, mode, chunks);
        let done = write_symbol(tx, file, &file.symbol, source, rx, context).await?;
        report.take_parsed(&done.parsed);
        report.add_written(&done);
        Ok(done.parsed.rejected)
    }
}

/// `--dry-run`: parse and validate only.
async fn validate(file: &PriceFile, settings: &Settings) -> (FileReport, Vec<BadRow>) {
    let mut report = FileReport::new(file);
    if file.symbol_per_row {
        let (path, owned) = (file.path.clone(), settings.clone());
        let read = tokio::task::spawn_blocking(move || read_whole(&path, &owned)).await;
        return match read {
            Ok(read) => dry_run_report(report, &file.path, read, |report, grouped| {
                report.take_parsed(&grouped.file);
                report.symbol = symbols_label(grouped.symbols.keys());
                grouped.file.rejected
            }),
            Err(e) => {
                report.outcome = Outcome::Failed;
                report.error = Some(format!("{}: {e}", file.path.display()));
                (report, Vec::new())
            }
        };
    }
    let (tx, rx) = mpsc::channel::<Vec<u8>>(4);
    let parse = spawn_parser(file, settings, Mode::Validate, tx);
    drain(rx).await;
    dry_run_report(report, &file.path, join(parse).await, |report, parsed| {
        report.take_parsed(&parsed);
        parsed.rejected
    })
}

/// A file naming a symbol on each row, read whole: a vendor's day bars, or any other layout.
fn read_whole(path: &std::path::Path, settings: &Settings) -> Result<Grouped, Stop> {
    if vendor::is_vendor_days(path) {
        return vendor::read(path, settings);
    }
    read_grouped(path, settings)
}

/// A grouped file: read whole, then each symbol written in turn (sorted, so that two files
/// sharing symbols lock them in the same order), each with its own sanity check.
async fn write_grouped(
    tx: &mut PgConnection,
    file: &PriceFile,
    context: WriteContext<'_>,
    report: &mut FileReport,
) -> Result<Vec<BadRow>, Failure> {
    let (path, owned) = (file.path.clone(), context.settings.clone());
    let grouped = tokio::task::spawn_blocking(move || read_whole(&path, &owned))
        .await
        .map_err(|e| Failure::any(file, e.into()))?
        .map_err(|stop| Failure {
            outcome: Outcome::Refused,
            message: refusal_message(&stop, &file.path),
            kind: ErrorKind::Other,
        })?;
    report.take_parsed(&grouped.file);
    report.symbol = symbols_label(grouped.symbols.keys());
    let Grouped {
        symbols,
        mut actions,
        file: whole,
        transactions,
        digests,
    } = grouped;
    // A vendor's day file whose every row is stored as it gives it: nothing to write.
    if let (Some(digests), Some(first), Some(last)) = (digests, whole.first_day, whole.last_day)
        && whole.rows == whole.accepted + whole.rejected.len() as u64
        && vendor::unchanged(&mut *tx, &symbols, (first, last), digests)
            .await
            .map_err(|e| Failure::any(file, e))?
    {
        let rows: usize = symbols.values().map(Vec::len).sum();
        report.unchanged = whole.accepted;
        report.in_table = rows as u64;
        report.check_passed = true;
        report.write_path = Some("unchanged".into());
        return Ok(whole.rejected);
    }
    if whole.rows != whole.accepted + whole.rejected.len() as u64 {
        return Err(Failure {
            outcome: Outcome::RolledBack,
            message: format!(
                "{}: {} rows in the file but {} accepted and {} rejected; the file was rolled back",
                file.path.display(),
                whole.rows,
                whole.accepted,
                whole.rejected.len()
            ),
            kind: ErrorKind::Other,
        });
    }
    for (symbol, rows) in symbols {
        let symbol = check_symbol(&symbol).map_err(|e| Failure {
            outcome: Outcome::Refused,
            message: format!(
                "{}: {e:#} (file refused, nothing loaded)",
                file.path.display()
            ),
            kind: ErrorKind::Other,
        })?;
        let (chunks, rx) = mpsc::channel::<Vec<u8>>(4);
        let symbol_actions = actions.remove(&symbol).unwrap_or_default();
        let source = move |mode: Mode| {
            tokio::task::spawn_blocking(move || {
                let mut parsed = encode_rows(&rows, &mode, chunks)?;
                parsed.actions = symbol_actions;
                Ok(parsed)
            })
        };
        let done = write_symbol(tx, file, &symbol, source, rx, context).await?;
        report.add_written(&done);
        sqlx::query("TRUNCATE pg_temp.stockdb_staging")
            .execute(&mut *tx)
            .await
            .map_err(|e| Failure::db(file, e))?;
    }
    store_transactions(tx, file, transactions).await?;
    Ok(whole.rejected)
}

/// A vendor's trade counts into the rows just written, then checked: every count stored.
async fn store_transactions(
    tx: &mut PgConnection,
    file: &PriceFile,
    counts: Vec<(String, NaiveDate, i64)>,
) -> Result<(), Failure> {
    if counts.is_empty() {
        return Ok(());
    }
    let db = |e| Failure::db(file, e);
    let n = counts.len() as i64;
    let mut symbols = Vec::with_capacity(counts.len());
    let mut days = Vec::with_capacity(counts.len());
    let mut values = Vec::with_capacity(counts.len());
    for (s, d, v) in counts {
        symbols.push(crate::load::files::check_symbol(&s).unwrap_or(s));
        days.push(d);
        values.push(v);
    }
    sqlx::query(include_str!("sql/transactions_store.sql"))
        .bind(&symbols)
        .bind(&days)
        .bind(&values)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let stored: i64 = sqlx::query_scalar(include_str!("sql/transactions_check.sql"))
        .bind(&symbols)
        .bind(&days)
        .bind(&values)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    if stored != n {
        return Err(Failure {
            outcome: Outcome::RolledBack,
            message: format!(
                "{}: {stored} of {n} trade counts are in market.daily_prices; the file was rolled back",
                file.path.display()
            ),
            kind: ErrorKind::Other,
        });
    }
    Ok(())
}

/// What one symbol's part of a transaction wrote.
struct Written {
    parsed: Parsed,
    inserted: u64,
    updated: u64,
    /// Stored days left with other values (`--on-conflict keep`).
    kept: u64,
    /// Updated days another file had written last.
    overwritten: u64,
    /// Dividends and splits written.
    actions: u64,
    in_table: u64,
}

impl FileReport {
    /// Adds one symbol's writes (a grouped file has several).
    fn add_written(&mut self, done: &Written) {
        self.inserted += done.inserted;
        self.updated += done.updated;
        self.kept += done.kept;
        self.overwritten += done.overwritten;
        self.actions += done.actions;
        self.unchanged += done
            .parsed
            .accepted
            .saturating_sub(done.inserted + done.updated + done.kept);
        self.in_table += done.in_table;
        self.check_passed = true;
    }
}

/// One symbol inside the file's transaction: lock it, choose how to send its rows, COPY
/// them (`source` starts the thread that encodes them into `rx`), merge, verify, and redo
/// its aggregates.
async fn write_symbol<F>(
    tx: &mut PgConnection,
    file: &PriceFile,
    symbol: &str,
    source: F,
    mut rx: mpsc::Receiver<Vec<u8>>,
    context: WriteContext<'_>,
) -> Result<Written, Failure>
where
    F: FnOnce(Mode) -> tokio::task::JoinHandle<Result<Parsed, Stop>>,
{
    let WriteContext {
        settings,
        aggregates,
        run,
        run_id,
        records,
        distributed,
    } = context;
    let asset_class = file.asset_class.map(|c| c.as_str());
    super::symbol_lock::hold(tx, records, symbol, asset_class, distributed)
        .await
        .map_err(|e| Failure::db(file, e))?;
    // Asked after the symbol's lock is held: no other load of the symbol runs until commit.
    // `counted`: the rows stockdb counted at its last write of the symbol; another tool wrote
    // rows since when it differs from `rows_before`.
    let (rows_before, last_before, counted): (i64, Option<NaiveDate>, Option<i64>) =
        sqlx::query_as(
            "SELECT count(*), max(day), \
                    (SELECT rows FROM market.symbol_stats WHERE symbol = $1) \
             FROM market.daily_prices WHERE symbol = $1",
        )
        .bind(symbol)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let is_new = rows_before == 0;
    // A file without an Adj Close column says nothing of it: the stored values stay (issue 23).
    let adj_known = is_new || adj_close_column(file);

    let mode = if is_new {
        Mode::Direct {
            symbol: symbol.to_string(),
            run_id,
        }
    } else if appends(file, rows_before) {
        // Every row goes to staging and the upsert sorts new from unchanged.
        Mode::Changes(HashMap::new())
    } else {
        Mode::Changes(
            verify::known_rows(&mut *tx, symbol, adj_known)
                .await
                .map_err(|e| Failure::any(file, e))?,
        )
    };
    let parse = source(mode);
    let copy_sql = if is_new {
        include_str!("sql/copy_direct.sql")
    } else {
        include_str!("sql/copy_staging.sql")
    };
    let mut copy_in = tx
        .copy_in_raw(copy_sql)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let send_error = match send_chunks(&mut copy_in, &mut rx, run).await {
        Sent::All => None,
        Sent::Failed(e) => Some(e),
        Sent::Cancelled => {
            copy_in.abort("stockdb: interrupted").await.ok();
            return Err(interrupted(file));
        }
    };
    // Closing our end stops the parse thread if it is still sending.
    drop(rx);
    let parsed = join(parse).await;
    let mut parsed = match (parsed, send_error) {
        (_, Some(e)) => {
            copy_in.abort("stockdb: send failed").await.ok();
            return Err(Failure::db(file, e));
        }
        (Err(stop), None) => {
            copy_in.abort("stockdb: file refused").await.ok();
            return Err(Failure {
                outcome: Outcome::Refused,
                message: refusal_message(&stop, &file.path),
                kind: ErrorKind::Other,
            });
        }
        (Ok(parsed), None) => parsed,
    };
    let copied = copy_in.finish().await.map_err(|e| Failure::db(file, e))?;

    let kept_days = if is_new || copied == 0 || settings.on_conflict.updates() {
        0
    } else {
        conflicts(&mut *tx, file, symbol, adj_known, settings.on_conflict).await?
    };
    let (inserted, updated, overwritten): (i64, i64, i64) = if is_new {
        (copied as i64, 0, 0)
    } else if copied == 0 {
        // Every row was identical to the table's: nothing to merge.
        (0, 0, 0)
    } else {
        // Days after the symbol's last stored one overwrite nothing: a pure append skips it.
        let appends_only =
            matches!((parsed.first_day, last_before), (Some(first), Some(last)) if first > last);
        let overwritten: i64 = if appends_only {
            0
        } else {
            sqlx::query_scalar(include_str!("sql/overwritten.sql"))
                .bind(symbol)
                .bind(adj_known)
                .bind(file.path.display().to_string())
                .bind(settings.on_conflict.updates())
                .bind(parsed.first_day)
                .bind(parsed.last_day)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| Failure::db(file, e))?
        };
        let (inserted, updated): (i64, i64) = sqlx::query_as(include_str!("sql/merge.sql"))
            .bind(symbol)
            .bind(adj_known)
            .bind(run_id)
            .bind(settings.on_conflict.updates())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| Failure::db(file, e))?;
        (inserted, updated, overwritten)
    };

    let table = if is_new {
        let digests = std::mem::take(&mut parsed.digests);
        verify::read_back(&mut *tx, symbol, copied, digests).await
    } else {
        verify::table_counts(
            &mut *tx,
            symbol,
            adj_known,
            (parsed.first_day, parsed.last_day),
        )
        .await
    };
    let mut table = table.map_err(|e| Failure::any(file, e))?;
    let in_table = table.in_table;
    // Rows found identical in the read-back were not sent, and are verified already.
    table.staged += parsed.identical;
    table.matching += parsed.identical;
    let counts = FileCounts {
        rows_in_file: parsed.rows,
        accepted: parsed.accepted,
        rejected: parsed.rejected.len() as u64,
        copied: copied + parsed.identical,
        kept: kept_days,
    };
    if let Err(msg) = verify::check(counts, table) {
        let whose = if file.symbol_per_row {
            format!(" (symbol {symbol})")
        } else {
            String::new()
        };
        return Err(Failure {
            outcome: Outcome::RolledBack,
            message: format!(
                "{}{whose}: {msg}; the file was rolled back",
                file.path.display()
            ),
            kind: ErrorKind::Other,
        });
    }
    let actions = actions::write(
        &mut *tx,
        file,
        symbol,
        &parsed.actions,
        settings.on_conflict,
        run_id,
    )
    .await?;
    if let (Some(first), Some(last)) = (parsed.first_day, parsed.last_day) {
        sqlx::query(include_str!("sql/symbol_stats.sql"))
            .bind(symbol)
            .bind(in_table as i64)
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await
            .map_err(|e| Failure::db(file, e))?;
    }
    // The quality counts: as counted in the rows sent, where those were all of the symbol's
    // rows (a first load) or days appended after its last; otherwise recounted in SQL.
    let first_changed = parsed.changed_days.iter().min().copied();
    let appended = updated == 0
        && inserted as usize == parsed.changed_days.len()
        && first_changed.is_none_or(|f| last_before.is_some_and(|l| f > l));
    let write = parsed
        .quality
        .write(is_new, appended, inserted + updated > 0, last_before);
    features::store_quality(&mut *tx, symbol, write)
        .await
        .map_err(|e| Failure::any(file, e))?;
    // The stored medians: streamed in with a new symbol's rows when its days came in order;
    // otherwise recomputed here from the first changed day (its window reaches back 29 days).
    let medians_from = if is_new {
        parsed.medians.out_of_order.then_some(None)
    } else {
        (inserted + updated > 0).then(|| parsed.changed_days.iter().min().copied())
    };
    if let Some(from) = medians_from {
        features::refresh_medians(&mut *tx, symbol, from)
            .await
            .map_err(|e| Failure::any(file, e))?;
    }
    // The moving-average crosses and daily-return counts: found as a new symbol's rows streamed
    // in when its days came in order; continued from the symbol's last row when days were
    // appended after rows only stockdb wrote; otherwise recomputed in SQL from the first
    // changed day. Their rows reference market.symbols, and each row's foreign-key check is a
    // prepared statement that the writers' session setting plans again for every row: reused
    // plans took a 2,642-file first load's files from 24.9-25.3 s to 23.7-24.5 s on
    // TimescaleDB (BENCHMARKS.md).
    let changed = inserted + updated > 0;
    if changed {
        db::reuse_plans(&mut *tx, true)
            .await
            .map_err(|e| Failure::db(file, e))?;
    }
    let kept = match last_before {
        _ if is_new && !parsed.crosses.out_of_order => {
            store_streamed(&mut *tx, symbol, &parsed).await
        }
        Some(last) if appended && inserted > 0 && counted == Some(rows_before) => {
            continue_appended(&mut *tx, symbol, last, rows_before).await
        }
        _ if inserted + updated > 0 => {
            let from = if is_new { None } else { first_changed };
            recompute_kept(&mut *tx, symbol, from).await
        }
        _ => Ok(()),
    };
    kept.map_err(|e| Failure::any(file, e))?;
    if changed {
        db::reuse_plans(&mut *tx, false)
            .await
            .map_err(|e| Failure::db(file, e))?;
        let done = match (aggregates, is_new, parsed.periods.finished()) {
            (Aggregates::Tables, true, Some(rows)) => {
                analytics::write_periods(&mut *tx, symbol, rows).await
            }
            _ => {
                let days = &parsed.changed_days;
                analytics::changed(&mut *tx, aggregates, symbol, days, last_before).await
            }
        };
        done.map_err(|e| Failure::any(file, e))?;
    }
    Ok(Written {
        parsed,
        inserted: inserted as u64,
        updated: updated as u64,
        kept: kept_days,
        overwritten: overwritten as u64,
        actions,
        in_table,
    })
}

/// The staged days already stored with other values, under `--on-conflict keep` or `error`:
/// how many there are (kept as stored), or the refusal naming the first one.
async fn conflicts(
    tx: &mut PgConnection,
    file: &PriceFile,
    symbol: &str,
    adj_known: bool,
    on_conflict: OnConflict,
) -> Result<u64, Failure> {
    let found: Option<Conflicts> = sqlx::query_as(include_str!("sql/conflicts.sql"))
        .bind(symbol)
        .bind(adj_known)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    // A file naming a symbol on each row says which symbol's day it is.
    let found = found.map(|(day, values, count)| match file.symbol_per_row {
        true => (format!("{symbol} {day}"), values, count),
        false => (day, values, count),
    });
    job::on_conflict(file, found, on_conflict, "day(s)")
}

/// A new symbol's crosses and return counts, as its rows streamed in.
async fn store_streamed(
    conn: &mut PgConnection,
    symbol: &str,
    parsed: &Parsed,
) -> anyhow::Result<()> {
    crosses::store(&mut *conn, symbol, &parsed.crosses).await?;
    returns::store(conn, symbol, &parsed.returns, false).await
}

/// Days appended after `last_before`: the crosses and return counts continue from the
/// symbol's last rows (the new rows and the one before them, read back).
async fn continue_appended(
    conn: &mut PgConnection,
    symbol: &str,
    last_before: NaiveDate,
    rows_before: i64,
) -> anyhow::Result<()> {
    let rows: Vec<(NaiveDate, f64, f64)> = sqlx::query_as(
        "SELECT day, close, coalesce(adj_close, close) FROM market.daily_prices \
         WHERE symbol = $1 AND day >= $2 ORDER BY day",
    )
    .bind(symbol)
    .bind(last_before)
    .fetch_all(&mut *conn)
    .await?;
    let Some(((_, _, last_price), new)) = rows.split_first() else {
        return recompute_kept(conn, symbol, None).await;
    };
    let closes: Vec<(NaiveDate, f64)> = new.iter().map(|&(d, c, _)| (d, c)).collect();
    crosses::append(&mut *conn, symbol, last_before, rows_before, &closes).await?;
    let mut counter = ReturnCounter::resume(last_before, *last_price);
    for &(day, _, price) in new {
        counter.push(day, price);
    }
    returns::store(conn, symbol, &counter, true).await
}

/// The crosses and return counts recomputed in SQL from `from` on (None: every day).
async fn recompute_kept(
    conn: &mut PgConnection,
    symbol: &str,
    from: Option<NaiveDate>,
) -> anyhow::Result<()> {
    crosses::refresh(&mut *conn, symbol, from).await?;
    returns::refresh(conn, symbol, from).await
}

/// Whether the file has an Adj Close column (the header decides; no option changes it). One
/// that cannot be read counts as having it: its parse refuses it anyway.
fn adj_close_column(file: &PriceFile) -> bool {
    let Ok(input) = open_plain(&file.path) else {
        return true;
    };
    PriceReader::new(input, Default::default())
        .map_or(true, |reader| reader.layout().header.has(Field::AdjClose))
}

/// True when the file is small beside the symbol's rows in the table (about a third or
/// less, at ~60 bytes a row): likely new days appended. Reading back the whole history to
/// compare a few rows costs more than staging them all (one new day for 2,642 symbols on
/// plain PostgreSQL: 18.7 s against 13.1 s). Either way every row is verified; this only
/// chooses the cheaper way.
fn appends(file: &PriceFile, in_table: i64) -> bool {
    let bytes = std::fs::metadata(&file.path).map_or(0, |m| m.len());
    bytes < (in_table.max(0) as u64) * 20
}
