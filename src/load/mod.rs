//! `stockdb load`: find the files, load the symbol listing, load price files in parallel
//! (one transaction each, `job`), and sum up. ARCHITECTURE.md maps the folder: the
//! kind-agnostic `job`, `input`, `copy` and `verify`, and one folder per kind.

pub mod daily;
pub mod discover;
pub mod events;
pub mod files;
pub mod follow;
pub mod input;
pub mod intraday;
pub mod job;
mod kinds;
pub mod meta;
pub mod stamps;
mod symbol_lock;
pub mod values;
pub mod verify;

use crate::db::{self, Location, ServerInfo};
use anyhow::{Context, Result};
use futures_util::StreamExt;
use job::{FileReport, Outcome, Settings, Target};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// One `stockdb load` invocation.
#[derive(Debug, Clone)]
pub struct Request {
    pub paths: Vec<PathBuf>,
    pub symbol: Option<String>,
    pub jobs: usize,
    /// Files streaming a first load's large COPY at once, at most `jobs` (such COPYs contend
    /// on the server; [`job::RunState::bulk_copy_slot`]).
    pub bulk_copies: usize,
    pub settings: Settings,
    pub dry_run: bool,
    pub progress: bool,
    /// Day files to take, by the day in their names (`--from`, `--to`).
    pub days: files::DayRange,
}

/// Everything a load run did, for the summary table or JSON.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: Vec<FileReport>,
    pub symbols_listed: u64,
    pub totals: Totals,
    pub elapsed_seconds: f64,
    /// Time spent refreshing continuous aggregates after the loads (timescale tier).
    pub refresh_seconds: f64,
    /// Why that refresh failed, if it did (the prices stay committed).
    pub refresh_error: Option<String>,
    /// The chunks moved into TimescaleDB's columnstore after the loads (timescale tier).
    pub columnstore: crate::db::columnstore::Converted,
    /// Why that conversion failed, if it did (the rows stay committed, in row storage).
    pub columnstore_error: Option<String>,
    pub dry_run: bool,
    pub server: Option<ServerInfo>,
}

/// Sums over all files.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub files: usize,
    pub loaded: usize,
    pub refused: usize,
    pub rolled_back: usize,
    pub failed: usize,
    pub interrupted: usize,
    pub rows_in_file: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub warnings: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows kept as stored (`--on-conflict keep`).
    pub kept: u64,
    /// Updated rows that another file had written last.
    pub overwritten: u64,
    /// Dividends and splits in the files.
    pub actions: u64,
    pub rows_per_second: f64,
}

impl Totals {
    /// Counts one file's report.
    pub fn add(&mut self, r: &FileReport) {
        self.files += 1;
        match r.outcome {
            Outcome::Loaded | Outcome::Validated => self.loaded += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::RolledBack => self.rolled_back += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Interrupted => self.interrupted += 1,
        }
        if matches!(r.outcome, Outcome::Loaded | Outcome::Validated) {
            self.rows_in_file += r.rows_in_file;
            self.accepted += r.accepted;
            self.rejected += r.rejected;
            self.warnings += r.warnings;
            self.inserted += r.inserted;
            self.updated += r.updated;
            self.unchanged += r.unchanged;
            self.kept += r.kept;
            self.overwritten += r.overwritten;
            self.actions += r.actions;
        }
    }
}

/// Runs a load (or a dry run, which connects to nothing); the first Ctrl-C rolls back the
/// files in flight.
pub async fn run(location: &Location, req: Request) -> Result<Summary> {
    run_with(location, req, interrupt_watch()).await
}

/// [`run`], stopping to start files once `cancel` turns true.
pub async fn run_with(
    location: &Location,
    req: Request,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> Result<Summary> {
    // Restarted once the database is ready: rows/s measures loading, not starting a cluster.
    let mut started = Instant::now();
    let mut plan = discover::discover(&req.paths, req.symbol.as_deref(), req.days)?;
    if plan.skipped_days > 0 {
        tracing::info!("--from/--to: {} day file(s) left out", plan.skipped_days);
    }
    events::choose_copy_files(&mut plan.files, &req.settings);
    let listings = plan
        .meta
        .iter()
        .map(|p| meta::read(p))
        .collect::<Result<Vec<_>>>()?;

    let progress = progress_bar(req.progress, plan.files.len());
    let run_state = job::RunState::new(cancel, req.bulk_copies.min(req.jobs));
    let run_state = &run_state;
    let mut server = None;
    let loaded_at;
    let mut refresh_seconds = 0.0;
    let mut refresh_error = None;
    let mut columnstore = crate::db::columnstore::Converted::default();
    let mut columnstore_error = None;
    let mut symbols_listed = 0;
    let mut reports: Vec<(usize, FileReport)> = if req.dry_run {
        symbols_listed = listings.iter().map(|l| l.symbol.len() as u64).sum();
        let reports = futures_util::stream::iter(plan.files.iter().enumerate())
            .map(|(i, f)| {
                let (settings, progress) = (&req.settings, &progress);
                async move {
                    let r = kinds::load(f, settings, None, run_state).await;
                    progress.inc(1);
                    (i, r)
                }
            })
            .buffer_unordered(req.jobs)
            .collect::<Vec<_>>()
            .await;
        loaded_at = Instant::now();
        reports
    } else {
        let database = db::open(location).await?;
        started = Instant::now();
        let url = database.url.clone();
        server = Some(database.server.clone());
        let records = db::pool(&url, 2, None).await?;
        if !listings.is_empty() {
            let mut conn = records.acquire().await?;
            for (listing, path) in listings.iter().zip(&plan.meta) {
                symbols_listed += meta::store(&mut conn, listing)
                    .await
                    .with_context(|| format!("{}: storing the symbol listing", path.display()))?;
            }
        }
        let distributed = database.server.tier == crate::db::Tier::Citus;
        if distributed {
            symbol_lock::list_beforehand(&records, &plan.files)
                .await
                .context("listing the files' symbols in market.symbols")?;
        }
        let data = db::pool(&url, req.jobs as u32, Some(include_str!("sql/staging.sql"))).await?;
        let target = Target {
            data: &data,
            records: &records,
            aggregates: database.aggregates,
            distributed,
        };
        // Files of one symbol load one after the other, in the order given, so that a later
        // download wins over an earlier one; different symbols load in parallel.
        let reports = futures_util::stream::iter(by_symbol(&plan.files))
            .map(|group| {
                let (settings, progress) = (&req.settings, &progress);
                async move {
                    let mut done = Vec::with_capacity(group.len());
                    for (i, f) in group {
                        progress.set_message(f.symbol.clone());
                        done.push((i, kinds::load(f, settings, Some(target), run_state).await));
                        progress.inc(1);
                    }
                    done
                }
            })
            .buffer_unordered(req.jobs)
            .flat_map(futures_util::stream::iter)
            .collect()
            .await;
        data.close().await;
        loaded_at = Instant::now();
        // Before the refresh: the refresh then reads the new rows from the columnstore, whose
        // batches come in (symbol, time) order and merge into its groups without a sort (the
        // 5-minute roll-up's two windows of 2.1M new bars: 3.0 and 3.5 s against 5.6 and 3.6 s
        // from row storage; a 9.2M-row daily tree's refresh: 22-27 s against 32-38 s).
        // `stockdb refresh` converts after: its refresh stores medians in market.daily_prices.
        if !run_state.connection_lost() {
            match db::columnstore::convert(
                &records,
                database.server.tier,
                db::columnstore::Scope::Pending,
            )
            .await
            {
                Ok(done) => columnstore = done,
                Err(e) => {
                    columnstore_error = Some(format!(
                        "the loaded rows are committed, but moving them into the columnstore failed: {e:#}; the next load, `stockdb refresh` or `stockdb migrate` tries again"
                    ))
                }
            }
        }
        let refresh_started = Instant::now();
        if database.aggregates == crate::analytics::Aggregates::Continuous
            && run_state.connection_lost()
        {
            // The committed files' ranges stay in market.stale_ranges: status and reports say so.
            crate::output::note(
                "the aggregates were not refreshed because the connection was lost; run `stockdb refresh` once the server is back",
            );
        } else if database.aggregates == crate::analytics::Aggregates::Continuous {
            let refreshed = async {
                crate::analytics::refresh_pending(&records, database.aggregates).await?;
                crate::analytics::intraday::refresh_pending(&records, database.aggregates).await?;
                crate::analytics::trade_bars::refresh_pending(&records, database.aggregates).await
            }
            .await;
            if let Err(e) = refreshed {
                refresh_error = Some(format!(
                    "the loaded prices are committed, but refreshing the aggregates failed: {e:#}; run `stockdb refresh`"
                ));
            }
        }
        refresh_seconds = refresh_started.elapsed().as_secs_f64();
        records.close().await;
        reports
    };
    progress.finish_and_clear();
    reports.sort_by_key(|(i, _)| *i);
    let files: Vec<FileReport> = reports.into_iter().map(|(_, r)| r).collect();
    let mut totals = Totals::default();
    files.iter().for_each(|r| totals.add(r));
    let elapsed = loaded_at.duration_since(started).as_secs_f64();
    totals.rows_per_second = if elapsed > 0.0 {
        totals.accepted as f64 / elapsed
    } else {
        0.0
    };
    Ok(Summary {
        files,
        symbols_listed,
        totals,
        elapsed_seconds: elapsed,
        refresh_seconds,
        refresh_error,
        columnstore,
        columnstore_error,
        dry_run: req.dry_run,
        server,
    })
}

/// Turns true on the first Ctrl-C; a second one ends the process at once (the server rolls
/// back whatever was in flight when the connections drop).
fn interrupt_watch() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            crate::output::warning(
                "interrupted: finishing no new files, rolling back the ones in flight (Ctrl-C again to quit at once)",
            );
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    rx
}

/// The files grouped by symbol (files in given order), each with its index in the plan; the
/// groups in order of symbol, then event files, each its own group, in the order given. Why
/// symbol order: the jobs then add neighbouring keys at the end of the prices' primary key,
/// where the folders of a tree (`etfs/` before `stocks/`) had them insert all over it once the
/// second folder began.
fn by_symbol(files: &[files::PriceFile]) -> Vec<Vec<(usize, &files::PriceFile)>> {
    // Event files name many symbols; their merges take turns on an advisory lock.
    fn key(f: &files::PriceFile) -> &str {
        match f.kind {
            files::Kind::Events => f.path.to_str().unwrap_or_default(),
            // Files of many symbols: each on its own (their bars are checked by day).
            files::Kind::Intraday if f.symbol_per_row => f.path.to_str().unwrap_or_default(),
            _ => f.symbol.as_str(),
        }
    }
    let mut groups: Vec<Vec<(usize, &files::PriceFile)>> = Vec::new();
    let mut slot: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, f) in files.iter().enumerate() {
        let g = *slot.entry(key(f)).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push((i, f));
    }
    groups.sort_by_key(|g| match g[0].1.kind {
        files::Kind::Events => (true, ""),
        _ => (false, g[0].1.symbol.as_str()),
    });
    groups
}

fn progress_bar(enabled: bool, files: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(files as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} files ({per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, symbol: &str, kind: files::Kind) -> files::PriceFile {
        files::PriceFile {
            path: path.into(),
            symbol: symbol.to_string(),
            asset_class: None,
            symbol_in_file: false,
            symbol_per_row: false,
            kind,
            copy_first: false,
            piece: None,
        }
    }

    #[test]
    fn groups_come_in_symbol_order_with_each_symbols_files_as_given() {
        use files::Kind::{Daily, Events, Intraday};
        let plan = [
            file("stocks/MSFT.csv", "MSFT", Daily),
            file("day2.txt", "", Events),
            file("etfs/SPY.csv", "SPY", Daily),
            file("day1.txt", "", Events),
            file("stocks/AAPL.csv", "AAPL", Daily),
            file("later/MSFT.csv", "MSFT", Daily),
            file("AAPL_1m.csv", "AAPL", Intraday),
        ];
        let order: Vec<Vec<usize>> = by_symbol(&plan)
            .iter()
            .map(|g| g.iter().map(|(i, _)| *i).collect())
            .collect();
        assert_eq!(
            order,
            vec![vec![4, 6], vec![0, 5], vec![2], vec![1], vec![3]]
        );
    }
}
