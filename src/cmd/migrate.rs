//! `stockdb migrate`: create the TimescaleDB extension when available and apply migrations.

use crate::cli::GlobalArgs;
use crate::db;
use anyhow::Result;

/// Apply pending schema migrations (load does this by itself when needed).
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb migrate
  DATABASE_URL=postgres://user:pass@host/db stockdb migrate")]
pub struct Args {}

/// Prints the migrations applied now, or that the schema is up to date.
pub async fn run(global: &GlobalArgs, _args: Args) -> Result<()> {
    let database = db::open(&global.db.location()).await?;
    if !global.quiet {
        if database.applied.is_empty() {
            crate::outln!(
                "schema is up to date ({} migrations)",
                crate::migrate::known().len()
            );
        } else {
            for name in &database.applied {
                crate::outln!("applied {name}");
            }
        }
        crate::outln!("server tier: {}", database.server.tier);
    }
    if let Some(note) = &database.server.note {
        crate::output::note(note);
    }
    Ok(())
}
