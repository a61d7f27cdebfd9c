//! `stockdb generate`: a synthetic Kaggle-shaped tree for benchmarks and tests.

use crate::cli::GlobalArgs;
use crate::output;
use anyhow::Result;
use std::path::PathBuf;

/// Write a deterministic synthetic tree (stocks/, etfs/, symbols_valid_meta.csv) of any size,
/// one-minute bar files (--intraday) or exchange trade/quote files (--events).
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb generate --symbols 2642 --out /tmp/real                     # ~8.7M rows, shaped like Kaggle
  stockdb generate --symbols 100 --shape uniform --years 5 --out /tmp/tree   # ~130k rows
  stockdb generate --intraday --symbols 500 --days 60 --out /tmp/minutes     # ~11M one-minute bars
  stockdb generate --events --symbols 200 --days 2 --quotes 1000000 --out /tmp/ev  # 1M quotes a day
  stockdb generate --vendor polygon-minute --symbols 10000 --days 21 --out /tmp/poly  # ~11M minute bars, a month
  stockdb generate --vendor polygon-trades --symbols 10000 --days 1 --trades 70400000 --out /tmp/ticks  # 2024-04-05's size")]
pub struct Args {
    /// Number of symbols (files); every fifth is an ETF.
    #[arg(long, default_value_t = 100)]
    pub symbols: usize,
    /// real: listing dates spread from 1962 to 2021 as in the Kaggle tree (files of 1 to
    /// ~15,000 rows); uniform: every file covers about --years years.
    #[arg(long, value_enum, default_value_t = crate::generate::Shape::Real)]
    pub shape: crate::generate::Shape,
    /// Years of history per symbol with --shape uniform (some symbols start later).
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Output directory (created).
    #[arg(long)]
    pub out: PathBuf,
    /// One-minute bar files (under OUT/intraday) instead of a daily tree.
    #[arg(long)]
    pub intraday: bool,
    /// Trade/quote event files (under OUT/events, Spark layout, CSV and JSON lines) instead
    /// of a daily tree.
    #[arg(long, conflicts_with = "intraday")]
    pub events: bool,
    /// Full-market day files in a vendor's layout (Polygon/Massive flat files, Databento
    /// CSV, NYSE Daily TAQ): bars, trades (--trades a day) or quotes (--quotes a day),
    /// --symbols tickers (10,000 is the whole US market) over --days weekdays.
    #[arg(long, value_enum, conflicts_with_all = ["intraday", "events"])]
    pub vendor: Option<crate::generate::vendor::Layout>,
    /// Weekdays of minute bars per symbol with --intraday (from 2024-01-02), or of event
    /// files with --events (from 2020-08-03).
    #[arg(long, default_value_t = 60)]
    pub days: usize,
    /// Quotes per day, all symbols and exchanges, with --events and the vendor quote layouts.
    #[arg(long, default_value_t = 1_000_000)]
    pub quotes: u64,
    /// Trades per day, all symbols, with the vendor trade layouts (70,400,000 is Polygon's
    /// count for 2024-04-05).
    #[arg(long, default_value_t = 1_000_000)]
    pub trades: u64,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Generates and says how much.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let out = args.out.clone();
    let g = tokio::task::spawn_blocking(move || {
        if let Some(ticks) = args.vendor.and_then(|l| l.ticks()) {
            let quotes = matches!(
                ticks,
                crate::generate::ticks::Ticks::PolygonQuotes
                    | crate::generate::ticks::Ticks::TaqNbbo
                    | crate::generate::ticks::Ticks::DatabentoMbp1 { .. }
            );
            let per_day = if quotes { args.quotes } else { args.trades };
            crate::generate::ticks::generate(
                &out,
                ticks,
                args.symbols,
                args.days,
                per_day,
                args.seed,
            )
        } else if let Some(layout) = args.vendor {
            crate::generate::vendor::generate(&out, layout, args.symbols, args.days, args.seed)
        } else if args.events {
            crate::generate::generate_events(&out, args.symbols, args.days, args.quotes, args.seed)
        } else if args.intraday {
            crate::generate::generate_intraday(&out, args.symbols, args.days, args.seed)
        } else {
            crate::generate::generate(&out, args.symbols, args.shape, args.years, args.seed)
        }
    })
    .await??;
    if !global.quiet {
        crate::outln!(
            "wrote {} files, {} rows under {}",
            output::group(g.files as u64),
            output::group(g.rows),
            args.out.display()
        );
    }
    Ok(())
}
