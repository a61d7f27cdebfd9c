//! `stockdb demo`: the quick start: a database (local cluster unless DATABASE_URL is set),
//! the project's fixtures loaded, the status and two headline reports printed.

use super::Format;
use crate::cli::GlobalArgs;
use crate::load::job::Settings;
use crate::load::{self, Request};
use anyhow::{Result, bail};
use std::path::PathBuf;

/// Set up a database, load the fixtures and print the status and headline reports (the quick start).
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb demo                       # local cluster in .stockdb/
  DATABASE_URL=postgres://postgres:postgres@localhost:5432/stockdb stockdb demo")]
pub struct Args {
    /// The fixtures directory of a stockdb checkout.
    #[arg(long, default_value = "fixtures")]
    pub fixtures: PathBuf,
}

/// The fixture sets the demo loads: a Yahoo-style file, a Kaggle-style tree, intraday bars
/// and exchange trade/quote files.
const SETS: [&str; 4] = ["yahoo", "kaggle", "intraday", "events"];

/// Loads the fixtures and prints the load summary and the status.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let paths: Vec<PathBuf> = SETS.iter().map(|s| args.fixtures.join(s)).collect();
    if let Some(missing) = paths.iter().find(|p| !p.is_dir()) {
        bail!(
            "{} not found: run the demo from a stockdb checkout, or give --fixtures DIR",
            missing.display()
        );
    }
    let request = Request {
        paths,
        symbol: None,
        jobs: 2,
        bulk_copies: 2,
        settings: Settings {
            rejects_dir: global.db.home.join("rejects"),
            ..Settings::default()
        },
        dry_run: false,
        progress: !global.no_progress && !global.quiet,
        days: Default::default(),
    };
    let view = super::load::View {
        roots: request.paths.clone(),
        every_file: global.verbose > 0,
        width: crate::output::width(),
    };
    let summary = load::run(&global.db.location(), request).await?;
    super::load::report(&summary, Format::Table, global.quiet, &view)?;
    let status = super::status::Args {
        symbols: 20,
        loads: 0,
        format: Format::Table,
        schema: false,
    };
    crate::outln!("");
    super::status::run(global, status).await?;
    // The headline reports, as a user would run them.
    for (title, name, symbol, from) in [
        (
            "Quarterly averages of ACME",
            "quarterly_average",
            Some("ACME"),
            None,
        ),
        (
            "ACME moving averages in December 2023",
            "moving_averages",
            Some("ACME"),
            Some("2023-12-01"),
        ),
        (
            "MSFT daily bars and VWAP from its intraday files",
            "vwap_daily",
            Some("MSFT"),
            None,
        ),
        (
            "ACME trades on 2020-08-06 with their 30-minute moving average and the prior close",
            "trade_analytics",
            Some("ACME"),
            Some("2020-08-06"),
        ),
        (
            "Trades and quotes per day and exchange, with the duplicate arrivals dropped",
            "event_counts",
            None,
            None,
        ),
    ] {
        crate::outln!(
            "\n{title} (stockdb report {name}{}{}):",
            symbol.map(|s| format!(" --symbol {s}")).unwrap_or_default(),
            from.map(|f| format!(" --from {f}")).unwrap_or_default()
        );
        let args = super::report::Args {
            name: Some(name.to_string()),
            file: None,
            symbol: symbol.map(str::to_string),
            from: from.map(str::to_string),
            to: None,
            params: Vec::new(),
            format: Default::default(),
            queries: None,
            timing: false,
        };
        super::report::run(global, args).await?;
    }
    Ok(())
}
