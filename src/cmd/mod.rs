//! One module per subcommand, each with its clap `Args` and one `run` function.

pub mod chart;
pub mod db;
pub mod demo;
pub mod generate;
pub mod load;
pub mod migrate;
pub mod reader;
pub mod refresh;
pub mod report;
pub mod status;

use crate::cli::{Cli, Command};

/// Dispatches to the subcommand.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Load(args) => load::run(&global, args).await,
        Command::Migrate(args) => migrate::run(&global, args).await,
        Command::Status(args) => status::run(&global, args).await,
        Command::Report(args) => report::run(&global, args).await,
        Command::Chart(args) => chart::run(&global, args).await,
        Command::Refresh(args) => refresh::run(&global, args).await,
        Command::GrantReader(args) => reader::grant(&global, args).await,
        Command::RevokeReader(args) => reader::revoke(&global, args).await,
        Command::Db(args) => db::run(&global, args).await,
        Command::Demo(args) => demo::run(&global, args).await,
        Command::Generate(args) => generate::run(&global, args).await,
    }
}

/// Output formats of the summary commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    #[default]
    Table,
    /// JSON for programs.
    Json,
}
