//! `stockdb generate`: a synthetic Kaggle-shaped tree for benchmarks and tests.

use crate::cli::GlobalArgs;
use crate::output;
use anyhow::Result;
use std::path::PathBuf;

/// Write a deterministic synthetic tree (stocks/, etfs/, symbols_valid_meta.csv) of any size.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb generate --symbols 100 --years 5 --out /tmp/tree     # ~130k rows
  stockdb generate --symbols 2600 --years 13 --out /tmp/big    # ~8.8M rows")]
pub struct Args {
    /// Number of symbols (files); every fifth is an ETF.
    #[arg(long, default_value_t = 100)]
    pub symbols: usize,
    /// Years of history per symbol (some symbols start later).
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Output directory (created).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Generates and says how much.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let out = args.out.clone();
    let g = tokio::task::spawn_blocking(move || {
        crate::generate::generate(&out, args.symbols, args.years, args.seed)
    })
    .await??;
    if !global.quiet {
        println!(
            "wrote {} files, {} rows under {}",
            output::group(g.files as u64),
            output::group(g.rows),
            args.out.display()
        );
    }
    Ok(())
}
