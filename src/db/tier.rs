//! Server tiers (DESIGN.md §3): what the server offers decides how stockdb stores and
//! aggregates, while the schema names stay the same in every tier.

use anyhow::Result;
use serde::Serialize;
use sqlx::PgConnection;
use std::fmt;

/// The three server tiers, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// TimescaleDB with the Timescale License: hypertables and continuous aggregates.
    Timescale,
    /// TimescaleDB Apache-2 build (distribution packages): hypertables, materialized views.
    Apache,
    /// Plain PostgreSQL: plain tables and materialized views.
    Postgres,
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Timescale => "timescale",
            Tier::Apache => "apache",
            Tier::Postgres => "postgres",
        })
    }
}

impl Tier {
    /// True where `market.daily_prices` can be a hypertable.
    pub fn has_hypertables(self) -> bool {
        matches!(self, Tier::Timescale | Tier::Apache)
    }
}

/// What the connected server is and offers.
#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    /// `SHOW server_version`, e.g. `15.20 (Debian 15.20-0+deb12u1)`.
    pub server_version: String,
    pub tier: Tier,
    /// Version of the created timescaledb extension, if any.
    pub timescaledb_version: Option<String>,
    /// Why a better tier was not used, when the extension exists but could not be created.
    pub note: Option<String>,
}

/// Detects the tier without changing anything.
pub async fn detect(conn: &mut PgConnection) -> Result<ServerInfo> {
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut *conn)
        .await?;
    let timescaledb_version: Option<String> =
        sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
            .fetch_optional(&mut *conn)
            .await?;
    let tier = if timescaledb_version.is_some() {
        let license: Option<String> =
            sqlx::query_scalar("SELECT current_setting('timescaledb.license', true)")
                .fetch_one(&mut *conn)
                .await?;
        match license.as_deref() {
            Some("timescale") => Tier::Timescale,
            _ => Tier::Apache,
        }
    } else {
        Tier::Postgres
    };
    Ok(ServerInfo {
        server_version,
        tier,
        timescaledb_version,
        note: None,
    })
}

/// False when `STOCKDB_TIMESCALEDB=off`: plain PostgreSQL is wanted even where TimescaleDB is
/// installed (the local cluster does not preload it, and stockdb does not create it). The
/// benchmark uses it to measure both tiers on one machine.
pub fn timescaledb_wanted() -> bool {
    !std::env::var("STOCKDB_TIMESCALEDB").is_ok_and(|v| v.eq_ignore_ascii_case("off"))
}

/// Creates the timescaledb extension when the server has it but the database does not,
/// then detects the tier. Failing to create it is not an error: the postgres tier works.
pub async fn ensure_extension(conn: &mut PgConnection) -> Result<ServerInfo> {
    let created: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let available: Option<String> = sqlx::query_scalar(
        "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    // Without the preload, CREATE EXTENSION ends the session with FATAL instead of an error.
    let preloads: String = sqlx::query_scalar("SELECT current_setting('shared_preload_libraries')")
        .fetch_one(&mut *conn)
        .await?;
    let preloaded = preloads.split(',').any(|l| l.trim() == "timescaledb");
    let mut note = None;
    if let (false, Some(version), true, false) =
        (created, &available, timescaledb_wanted(), preloaded)
    {
        let msg = format!(
            "timescaledb {version} is installed on the server but not preloaded; using plain \
             PostgreSQL. Add it to shared_preload_libraries and restart the server to use it."
        );
        tracing::warn!("{msg}");
        note = Some(msg);
    } else if let (false, Some(version), true) = (created, &available, timescaledb_wanted())
        && let Err(err) = sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS timescaledb")
            .execute(&mut *conn)
            .await
    {
        let msg = format!(
            "timescaledb {version} is installed on the server but could not be created \
                 ({err}); using plain PostgreSQL. Add it to shared_preload_libraries and \
                 restart the server to use it."
        );
        tracing::warn!("{msg}");
        note = Some(msg);
    }
    let mut info = detect(conn).await?;
    info.note = note;
    Ok(info)
}
