//! stockdb: load stock market CSVs into TimescaleDB or PostgreSQL, verified per file, and
//! query them with SQL. `run` is the whole program; `main.rs` only maps its outcome to an exit code.

pub mod analytics;
pub mod chart;
pub mod cli;
pub mod cmd;
pub mod db;
pub mod error;
pub mod generate;
pub mod load;
pub mod migrate;
pub mod output;
pub mod report;

pub use error::{exit_code, is_broken_pipe};

/// Runs one parsed command line to completion on a fresh tokio runtime.
pub fn run(cli: cli::Cli) -> anyhow::Result<()> {
    init_tracing(&cli.global);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cmd::run(cli))
}

fn init_tracing(global: &cli::GlobalArgs) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info,sqlx=warn",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("STOCKDB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // try_init: tests may call run() several times in one process.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(output::stderr_colours())
        .event_format(output::Labelled)
        .try_init();
}
