//! `stockdb db start|stop|status|url`: the local PostgreSQL cluster (DESIGN.md §4).

use crate::cli::GlobalArgs;
use crate::db::{self, cluster::Cluster, cluster::State};
use anyhow::Result;

/// Manage the local PostgreSQL cluster that stockdb uses when no DATABASE_URL is given.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb db start            # initdb on first use, then start; prints the URL
  psql \"$(stockdb db url)\"
  stockdb db stop
  STOCKDB_HOME=/data/stockdb stockdb db status")]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with the cluster.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Initialize (first time) and start the cluster; print its URL.
    Start,
    /// Stop the cluster.
    Stop,
    /// Print whether the cluster exists and runs, where, and with which binaries.
    Status,
    /// Print the URL of the cluster's market database.
    Url,
}

/// Runs the action.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let cluster = Cluster::new(&global.db.home)?;
    match args.action {
        Action::Start => {
            let url = db::start_local_cluster(&global.db.location()).await?;
            crate::outln!("{url}");
        }
        Action::Stop => {
            let stopped = tokio::task::spawn_blocking(move || cluster.stop()).await??;
            if !global.quiet {
                crate::outln!("{}", if stopped { "stopped" } else { "not running" });
            }
        }
        Action::Status => {
            let state = cluster.state()?;
            let state_text = match state {
                State::NotInitialized => "not initialized (stockdb db start creates it)",
                State::Stopped => "stopped",
                State::Running => "running",
            };
            crate::outln!("cluster:     {state_text}");
            crate::outln!("home:        {}", global.db.home.display());
            crate::outln!("binaries:    {}", cluster.bindir().display());
            crate::outln!(
                "timescaledb: {}",
                if cluster.timescaledb_installed() {
                    "installed (preloaded)"
                } else {
                    "not installed"
                }
            );
            if state != State::NotInitialized {
                crate::outln!("url:         {}", cluster.url()?);
                crate::outln!("log:         {}", cluster.log_file().display());
            }
            if global.db.database_url.is_some() {
                crate::outln!(
                    "note:        DATABASE_URL is set, so other commands use that database, not this cluster"
                );
            }
        }
        Action::Url => {
            if cluster.state()? == State::NotInitialized {
                anyhow::bail!("the local cluster is not initialized; run `stockdb db start`");
            }
            crate::outln!("{}", cluster.url()?);
        }
    }
    Ok(())
}
