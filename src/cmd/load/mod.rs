//! `stockdb load PATH...`: load price CSVs, one verified transaction per file. The summary
//! printed afterwards is in `summary.rs`.

mod follow;
mod summary;

use super::Format;
use crate::cli::GlobalArgs;
use crate::error::Failure;
use crate::load::job::{OnConflict, Settings};
use crate::load::values::ParseOptions;
use crate::load::{self, Request, Summary};
use crate::output;
use anyhow::Result;
use std::path::PathBuf;
pub use summary::View;

/// Load daily OHLCV files (Yahoo, Kaggle trees, Alpha Vantage, Nasdaq.com, Investing.com, Stooq, yfinance, headerless rows) into market.daily_prices, and intraday bar files (Alpha Vantage intraday, yfinance 1-minute, a datetime column) into market.intraday_bars, and exchange trade/quote event files (Spark CSV, JSON lines, the sectioned sample) into market.trades and market.quotes.
///
/// Each file is one transaction with a sanity check: all its rows or none. Re-loading a file
/// changes nothing; a corrected file updates only the days that changed.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb load MSFT.csv                       # symbol MSFT from the file name
  stockdb load prices.csv --symbol MSFT
  stockdb load kaggle/                        # stocks/, etfs/ and symbols_valid_meta.csv
  stockdb load kaggle/ --max-bad-rows 1 --jobs 4
  stockdb load kaggle/ -v                     # every file in the summary, not only those to look at
  stockdb load data.csv --date-format '%d.%m.%Y' --dry-run
  stockdb load nasdaq/MSFT.csv --on-conflict keep   # add new days only, keep the stored ones
  stockdb load intraday_1min_MSFT.csv SPY_15min.csv     # intraday bars, New York time
  stockdb load minutes/ --timezone Europe/London        # naive times in another exchange's zone
  stockdb load data/                          # <trade_dt>/<EXCHANGE>/part-*.txt event trees (csv/, json/)
  stockdb load --follow landing/              # load each day file once it is complete, until Ctrl-C
  stockdb load --follow trades.csv            # tail a growing file, committing every second
  kcat -C -b host -t trades -e | stockdb load - --name trades.csv   # a stream on standard input

With more than 20 files the summary lists only the files that need a look (refused, rejected
rows, warnings, updated days, …) and counts the rest; -v or --format json list every file.

Exit codes: 0 all files loaded; 1 some file refused or failed (the others are loaded);
3 a sanity check failed (that file was rolled back); 130 interrupted by Ctrl-C (files in
flight rolled back, files done stay loaded).")]
pub struct Args {
    /// Files (.csv, .csv.gz, .us.txt; events: part-*.txt, .json, .jsonl) or directories to load; directories are searched recursively. `-` reads standard input, committing every --commit-interval.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub follow: follow::FollowArgs,
    /// Symbol for a single file (default: the one the file names in a ticker line or column, else the file name, e.g. msft.csv → MSFT).
    #[arg(long)]
    pub symbol: Option<String>,
    /// Files loaded in parallel, each over its own connection (default: 4 per CPU, at most 16; of them, 1 per CPU streams a first load's large COPY: a new symbol's intraday bars, a new trade date's events).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(usize))]
    pub jobs: Option<usize>,
    /// Bad rows skipped per file (written to the rejects file) before the file is refused.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub max_bad_rows: u64,
    /// Directory for the rejects files of skipped rows.
    #[arg(long, default_value = "rejects", value_name = "DIR")]
    pub rejects: PathBuf,
    /// Treat suspicious rows (zero volume, price <= 0, open/close outside [low, high],
    /// high < low, weekend date) as bad rows instead of loading them with a warning.
    #[arg(long)]
    pub strict: bool,
    /// Date format (chrono strftime syntax) when dates are neither YYYY-MM-DD nor M/D/YYYY.
    #[arg(long, value_name = "FMT")]
    pub date_format: Option<String>,
    /// Exchange time zone of intraday files' naive timestamps (tz database name); offsets in the file win.
    #[arg(long, value_name = "TZ", default_value = None, value_parser = parse_zone)]
    pub timezone: Option<chrono_tz::Tz>,
    /// Days (and bars) already stored with other values: the file's values replace them
    /// (update), stay as stored and are counted as kept (keep), or refuse the file, naming the
    /// first such day and both values (error). For daily and intraday bars and dividends and
    /// splits; trade and quote events always keep each event's latest arrival.
    #[arg(long, value_enum, default_value_t = ConflictArg::Update, value_name = "WHAT")]
    pub on_conflict: ConflictArg,
    /// Take only day files from this day on, by the date in their names (`2024-03-08.csv.gz`,
    /// `xnas-itch-20240308.ohlcv-1m.csv`), before they are opened; files without a date in
    /// their name are taken.
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Take only day files up to this day (inclusive), as --from.
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// Parse and validate everything, and show each file's format, columns, dates, symbol and days; connect to no database, write no table.
    #[arg(long)]
    pub dry_run: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `--on-conflict`: what a file does to days already stored with other values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConflictArg {
    /// The file's values replace the stored ones (the default).
    Update,
    /// Only new days are inserted; stored days stay as they are.
    Keep,
    /// The file is refused when a stored day differs.
    Error,
}

/// More files in flight than CPUs: while one transaction waits for a round trip or its
/// commit's WAL flush, another uses the CPU, and concurrent commits share one flush. On
/// 2 cores, 8 jobs load the benchmark tree 1.25x faster than 2 (BENCHMARKS.md).
fn default_jobs() -> usize {
    (4 * cpus()).clamp(2, 16)
}

/// Files streaming a first load's large COPY at once (a new symbol's intraday bars, a new
/// trade date's events) unless `--jobs` says otherwise: one per CPU. Such COPYs contend on
/// the server's chunks; on 2 cores 2 at once beat 8 by 7-15% (BENCHMARKS.md). Re-loads and
/// small files keep every job.
fn default_bulk_copies() -> usize {
    cpus().clamp(1, 16)
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs the load and prints its summary; fails (exit 1 or 3) when some file was not loaded.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    if args.follow.follow || args.paths.iter().any(|p| p.as_os_str() == "-") {
        return follow::run(global, args).await;
    }
    let request = request(global, &args);
    let view = View {
        roots: request.paths.clone(),
        every_file: global.verbose > 0,
        width: output::width(),
    };
    let summary = load::run(&global.db.location(), request).await?;
    report(&summary, args.format, global.quiet, &view)
}

/// The library's request for these arguments.
fn request(global: &GlobalArgs, args: &Args) -> Request {
    let jobs = args.jobs.unwrap_or_else(default_jobs).max(1);
    Request {
        paths: args.paths.clone(),
        symbol: args.symbol.clone(),
        jobs,
        bulk_copies: args.jobs.unwrap_or_else(default_bulk_copies).max(1),
        settings: Settings {
            parse: ParseOptions {
                date_format: args.date_format.clone(),
                strict: args.strict,
                timezone: args.timezone,
            },
            max_bad_rows: args.max_bad_rows,
            rejects_dir: args.rejects.clone(),
            on_conflict: match args.on_conflict {
                ConflictArg::Update => OnConflict::Update,
                ConflictArg::Keep => OnConflict::Keep,
                ConflictArg::Error => OnConflict::Error,
            },
            append_rejects: false,
        },
        dry_run: args.dry_run,
        progress: !global.no_progress && !global.quiet,
        days: crate::load::files::DayRange {
            from: args.from,
            to: args.to,
        },
    }
}

/// Full errors printed under a summary that lists only the files needing a look.
const MOST_ERRORS: usize = 10;

/// Prints the summary (stdout) and the errors (stderr); turns failures into the exit code.
pub fn report(summary: &Summary, format: Format, quiet: bool, view: &View) -> Result<()> {
    match format {
        Format::Json => output::print(serde_json::to_string_pretty(summary)?)?,
        Format::Table if !quiet => output::print(summary::render(summary, view))?,
        Format::Table => {}
    }
    let errors: Vec<&String> = summary
        .files
        .iter()
        .filter_map(|f| f.error.as_ref())
        .collect();
    // A large tree's table shows every refused file's reason already; its full errors on
    // stderr stop after a few, so that the summary is not scrolled away (issue 26). JSON
    // readers and -v get every one.
    let shown = match format {
        Format::Table if !summary::lists_every_file(summary, view) => MOST_ERRORS,
        _ => usize::MAX,
    };
    for error in errors.iter().take(shown) {
        output::error(error);
    }
    if errors.len() > shown {
        output::note(format_args!(
            "{} more files were not loaded; -v prints every error, and --format json and `stockdb report load_history` list them",
            output::group((errors.len() - shown) as u64)
        ));
    }
    if let Some(e) = &summary.refresh_error {
        output::error(e);
    }
    if let Some(e) = &summary.columnstore_error {
        output::warning(e);
    }
    let t = &summary.totals;
    if t.interrupted > 0 {
        return Err(Failure::Interrupted.into());
    }
    if t.rolled_back > 0 {
        return Err(Failure::SanityCheck {
            failed: t.rolled_back,
            total: t.files,
        }
        .into());
    }
    if t.refused + t.failed > 0 {
        return Err(Failure::FilesNotLoaded {
            failed: t.refused + t.failed,
            total: t.files,
        }
        .into());
    }
    if summary.refresh_error.is_some() {
        anyhow::bail!("the aggregates are stale");
    }
    Ok(())
}

/// A tz database name such as `America/New_York` or `Europe/London`.
fn parse_zone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.parse()
        .map_err(|_| format!("{name:?} is not a tz database time zone (e.g. America/New_York)"))
}
