//! The command line: global options and the list of subcommands (each defined in `cmd/`).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Load stock market CSVs into TimescaleDB or PostgreSQL, verified per file, and query them with SQL.
#[derive(Debug, Parser)]
#[command(name = "stockdb", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more about what happens (-vv for debug output).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never draw a progress bar (it is only drawn on a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// Where the database is: a URL, or else the local cluster under `--home`.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL/TimescaleDB connection URL. Without it, stockdb runs its own local cluster.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory of the local cluster (data in HOME/pgdata, socket and log in HOME/run).
    #[arg(long, env = "STOCKDB_HOME", global = true, default_value = ".stockdb")]
    pub home: PathBuf,
}

impl DatabaseArgs {
    /// The plain location the library takes.
    pub fn location(&self) -> crate::db::Location {
        crate::db::Location {
            database_url: self.database_url.clone(),
            home: self.home.clone(),
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Load(crate::cmd::load::Args),
    Report(crate::cmd::report::Args),
    Chart(crate::cmd::chart::Args),
    Refresh(crate::cmd::refresh::Args),
    Migrate(crate::cmd::migrate::Args),
    Status(crate::cmd::status::Args),
    Db(crate::cmd::db::Args),
    GrantReader(crate::cmd::reader::GrantArgs),
    RevokeReader(crate::cmd::reader::RevokeArgs),
    Demo(crate::cmd::demo::Args),
    Generate(crate::cmd::generate::Args),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn load_takes_paths_and_flags() {
        let cli = Cli::try_parse_from([
            "stockdb",
            "load",
            "a.csv",
            "dir",
            "--jobs",
            "3",
            "--max-bad-rows",
            "2",
            "--strict",
            "--format",
            "json",
        ])
        .unwrap();
        let Command::Load(args) = cli.command else {
            panic!("expected load, got {:?}", cli.command)
        };
        assert_eq!(args.paths.len(), 2);
        assert_eq!(args.jobs, Some(3));
        assert_eq!(args.max_bad_rows, 2);
        assert!(args.strict);
    }

    #[test]
    fn load_needs_a_path() {
        assert!(Cli::try_parse_from(["stockdb", "load"]).is_err());
    }
}
