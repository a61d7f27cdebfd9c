//! Server tiers (DESIGN.md §3): what the server offers decides how stockdb stores and
//! aggregates, while the schema names stay the same in every tier.

use anyhow::Result;
use serde::Serialize;
use sqlx::PgConnection;
use std::fmt;

/// The server tiers: TimescaleDB's two, plain PostgreSQL, and Citus past one machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// TimescaleDB with the Timescale License: hypertables and continuous aggregates.
    Timescale,
    /// TimescaleDB Apache-2 build (distribution packages): hypertables, materialized views.
    Apache,
    /// Plain PostgreSQL: plain tables and materialized views.
    Postgres,
    /// Citus (DESIGN.md §10): the postgres tier's tables, distributed by symbol over workers.
    Citus,
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Timescale => "timescale",
            Tier::Apache => "apache",
            Tier::Postgres => "postgres",
            Tier::Citus => "citus",
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
    /// Version of the created citus extension, if any.
    pub citus_version: Option<String>,
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
    let citus_version: Option<String> =
        sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'citus'")
            .fetch_optional(&mut *conn)
            .await?;
    let tier = if citus_version.is_some() {
        Tier::Citus
    } else if timescaledb_version.is_some() {
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
        citus_version,
        note: None,
    })
}

/// False when `STOCKDB_TIMESCALEDB=off`: plain PostgreSQL is wanted even where TimescaleDB is
/// installed (the local cluster does not preload it, and stockdb does not create it). The
/// benchmark uses it to measure both tiers on one machine.
pub fn timescaledb_wanted() -> bool {
    !std::env::var("STOCKDB_TIMESCALEDB").is_ok_and(|v| v.eq_ignore_ascii_case("off"))
}

/// Creates the timescaledb extension when the server has it but the database does not (and
/// the server is no Citus node), then detects the tier. Failing to create it is not an
/// error: the postgres tier works.
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
    let preloaded = |name: &str| preloads.split(',').any(|l| l.trim() == name);
    let citus: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
            .fetch_one(&mut *conn)
            .await?;
    let mut note = None;
    if citus || preloaded("citus") {
        // A Citus server never has TimescaleDB beside it. Citus is not created here: without
        // workers registered (citus_add_node) a database would be "distributed" over the
        // coordinator alone, which only the cluster's administrator can set up right.
        if !citus {
            let msg = "citus is preloaded on this server but not created in this database; \
                       using plain PostgreSQL. To use the citus tier, CREATE EXTENSION citus \
                       in the database on every node and register the workers (citus_add_node) \
                       before the first `stockdb migrate` (docs/scale-out.md)."
                .to_string();
            tracing::warn!("{msg}");
            note = Some(msg);
        }
    } else if let (false, Some(version), true, false) = (
        created,
        &available,
        timescaledb_wanted(),
        preloaded("timescaledb"),
    ) {
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
