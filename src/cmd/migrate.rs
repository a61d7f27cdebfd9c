//! `stockdb migrate`: create the TimescaleDB extension when available and apply migrations.

use crate::cli::GlobalArgs;
use crate::db;
use anyhow::Result;

/// Apply pending schema migrations (load does this by itself when needed), then move what
/// is not in TimescaleDB's columnstore into it (timescale tier).
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "On the timescale tier it also converts again, once, the trade and quote chunks
converted before their trade dates were recorded for chunk skipping (migration V18).

Examples:
  stockdb migrate
  DATABASE_URL=postgres://user:pass@host/db stockdb migrate"
)]
pub struct Args {}

/// Prints the migrations applied now, or that the schema is up to date.
pub async fn run(global: &GlobalArgs, _args: Args) -> Result<()> {
    let database = db::open(&global.db.location()).await?;
    let converted = match database.server.tier {
        db::Tier::Timescale => {
            // Two chunks at a time, as `load` and `refresh` do; and the event chunks converted
            // before their trade dates' ranges were kept (V18), once.
            let pool = db::pool(&database.url, 2, None).await?;
            let scope = db::columnstore::Scope::PendingAndUnranged;
            let converted = db::columnstore::convert(&pool, database.server.tier, scope).await?;
            pool.close().await;
            converted
        }
        _ => db::columnstore::Converted::default(),
    };
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
        if converted.chunks > 0 {
            crate::outln!("{converted}");
        }
    }
    if let Some(note) = &database.server.note {
        crate::output::note(note);
    }
    Ok(())
}
