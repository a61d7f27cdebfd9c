//! `stockdb refresh`: bring the period aggregates up to date by hand.

use crate::cli::GlobalArgs;
use crate::{analytics, db};
use anyhow::Result;
use chrono::NaiveDate;
use std::time::Instant;

/// Recompute the period aggregates (weekly … yearly) over a date range (default: all days).
///
/// `stockdb load` already does this for the days it loads; use this after changing
/// market.daily_prices by other means, or when `status` reports stale aggregates.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb refresh
  stockdb refresh --from 2020-01-01 --to 2020-12-31")]
pub struct Args {
    /// First day of the range (default: the first loaded day).
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last day of the range (default: the last loaded day).
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
}

/// Refreshes and says what.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let database = db::open(&global.db).await?;
    // Two connections: independent aggregates refresh at the same time.
    let pool = db::pool(&database.url, 2, None).await?;
    let started = Instant::now();
    let range = analytics::refresh(&pool, database.aggregates, args.from, args.to).await?;
    if !global.quiet {
        match range {
            Some((from, to)) => println!(
                "refreshed {} aggregates from {from} to {to} in {:.2} s",
                analytics::PERIODS.len(),
                started.elapsed().as_secs_f64()
            ),
            None => println!("nothing to refresh: no prices loaded"),
        }
    }
    Ok(())
}
