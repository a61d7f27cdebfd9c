//! `stockdb refresh`: bring the period aggregates up to date by hand.

use crate::cli::GlobalArgs;
use crate::{analytics, db};
use anyhow::Result;
use chrono::NaiveDate;
use std::time::Instant;

/// Recompute the period aggregates (weekly … yearly) over a date range (default: all days).
///
/// `stockdb load` already does this for the days it loads; use this after changing
/// market.daily_prices by other means, or when `status` reports stale aggregates. It also
/// recounts the rows and days per symbol that `status` shows, the counts `data_quality` shows,
/// and recomputes the stored 30-day medians `volume_features` reads (from --from on), the
/// moving-average crosses `golden_cross` reads and the return counts `returns_distribution`
/// reads (every day), and the intraday roll-ups (5-minute to daily) over all intraday bars.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb refresh
  stockdb refresh --from 2020-01-01 --to 2020-12-31
  stockdb refresh --schedule 1h     # an exact refresh every hour, whoever wrote the prices
  stockdb refresh --schedule off    # or --unschedule")]
pub struct Args {
    /// Timescale tier: schedule stockdb's exact refresh this often (e.g. 1h, 15 minutes; `off`
    /// removes it): a TimescaleDB job that force-refreshes the buckets holding days any writer
    /// changed, so rows written by other tools reach every level with no stockdb command, and
    /// puts the chunks other writers left partial back into the columnstore.
    #[arg(long, value_name = "INTERVAL", conflicts_with = "unschedule")]
    pub schedule: Option<String>,
    /// Timescale tier: remove the scheduled refresh (as `--schedule off`).
    #[arg(long)]
    pub unschedule: bool,
    /// First day of the range (default: the first loaded day).
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last day of the range (default: the last loaded day).
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
}

/// Refreshes and says what.
pub async fn run(global: &GlobalArgs, mut args: Args) -> Result<()> {
    if args
        .schedule
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("off"))
    {
        args.schedule = None;
        args.unschedule = true;
    }
    let database = db::open(&global.db.location()).await?;
    if args.schedule.is_some() || args.unschedule {
        anyhow::ensure!(
            database.aggregates == analytics::Aggregates::Continuous,
            "refresh policies are for continuous aggregates (timescale tier); on this tier the \
             aggregates are tables written inside each load, and rows written by other tools \
             come in with `stockdb refresh` (run it from cron for a schedule)"
        );
        let mut conn = db::connect(&database.url).await?;
        analytics::schedule(&mut conn, args.schedule.as_deref()).await?;
        if !global.quiet {
            match &args.schedule {
                Some(every) => crate::outln!(
                    "stockdb's exact refresh of the {} aggregates and the columnstore's conversion run every {every} (TimescaleDB job market.refresh_changed)",
                    analytics::PERIODS.len()
                ),
                None => crate::outln!("scheduled refresh removed"),
            }
        }
        return Ok(());
    }
    // Two connections: independent aggregates refresh at the same time.
    let pool = db::pool(&database.url, 2, None).await?;
    let started = Instant::now();
    let range = analytics::refresh(&pool, database.aggregates, args.from, args.to).await?;
    // The intraday roll-ups are few beside the bars: always recomputed whole.
    let intraday = Instant::now();
    analytics::intraday::refresh_all(&pool, database.aggregates).await?;
    analytics::trade_bars::refresh_all(&pool, database.aggregates).await?;
    if !global.quiet {
        crate::outln!(
            "refreshed the {} intraday roll-ups in {:.2} s",
            analytics::intraday::LEVELS.len(),
            intraday.elapsed().as_secs_f64()
        );
    }
    if !global.quiet {
        match range {
            Some((from, to)) => crate::outln!(
                "refreshed {} aggregates from {from} to {to} in {:.2} s",
                analytics::PERIODS.len(),
                started.elapsed().as_secs_f64()
            ),
            None => crate::outln!("nothing to refresh: no prices loaded"),
        }
    }
    // After the refresh, unlike `load`: the refresh stores the volume medians again in
    // market.daily_prices (medians_store.sql), which leaves the chunks it wrote partial.
    let converted =
        db::columnstore::convert(&pool, database.server.tier, db::columnstore::Scope::Pending)
            .await?;
    if !global.quiet && converted.chunks > 0 {
        crate::outln!("{converted}");
    }
    Ok(())
}
