//! Connecting to the database: the URL from `--database-url` / `DATABASE_URL` or the local
//! cluster, connection retry, server tier detection, and schema preparation.

pub mod aggregates;
pub mod citus;
pub mod cluster;
pub mod columnstore;
pub mod copy;
pub mod nodelay;
pub mod private;
pub mod reader;
pub mod tier;

use anyhow::{Context, Result};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub use tier::{ServerInfo, Tier};

/// Where the database is: a URL, or else the local cluster under `home`.
#[derive(Debug, Clone)]
pub struct Location {
    /// A PostgreSQL/TimescaleDB connection URL; None (or blank) means the local cluster.
    pub database_url: Option<String>,
    /// Directory of the local cluster (data in HOME/pgdata, socket and log in HOME/run).
    pub home: PathBuf,
}

/// A connection URL, resolved from the arguments; starts the local cluster when none was given.
pub async fn resolve_url(args: &Location) -> Result<String> {
    match &args.database_url {
        Some(url) if !url.trim().is_empty() => Ok(url.clone()),
        _ => start_local_cluster(args).await,
    }
}

/// Initializes and starts the local cluster when needed, creates its market database, and
/// returns that database's URL.
pub async fn start_local_cluster(args: &Location) -> Result<String> {
    let cluster = cluster::Cluster::new(&args.home)?;
    let home = args.home.display().to_string();
    let url = tokio::task::spawn_blocking(move || cluster.ensure_running())
        .await?
        .with_context(|| format!("starting the local PostgreSQL cluster in {home}"))?;
    create_database_if_missing(&url).await?;
    Ok(url)
}

/// Creates the URL's database (connecting to `postgres` to do so) unless it exists.
pub async fn create_database_if_missing(url: &str) -> Result<()> {
    let target = options(url)?;
    let name = target
        .get_database()
        .unwrap_or(cluster::DB_NAME)
        .to_string();
    let mut conn = connect_with(target.clone().database("postgres"), url).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
        {
            Ok(_) => {}
            // Another process created it between our check and our CREATE.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e).with_context(|| format!("creating database {name}")),
        }
    }
    conn.close().await.ok();
    Ok(())
}

/// The URL with any password replaced by `***`, safe to print or log.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &url[scheme_end + 3 + at..]
        ),
        _ => url.to_string(),
    }
}

fn options(url: &str) -> Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url)
        .with_context(|| format!("invalid database URL {}", redact(url)))?;
    // Statement logging would flood the output with every COPY chunk; -vv shows them anyway.
    Ok(options
        .application_name("stockdb")
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(tracing::log::LevelFilter::Info, Duration::from_secs(60)))
}

/// Retries only while the server refuses or resets connections (it may be starting up);
/// any other error (bad password, unknown database) is final at once.
fn is_transient(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Io(io) if matches!(io.kind(),
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::NotFound))
}

/// One connection, retried with backoff for about 10 s while the server refuses connections.
pub async fn connect(url: &str) -> Result<PgConnection> {
    connect_with(options(url)?, url).await
}

async fn connect_with(options: PgConnectOptions, url: &str) -> Result<PgConnection> {
    let mut delay = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    loop {
        match options.connect().await {
            Ok(conn) => {
                nodelay::set_on_tcp_sockets();
                return Ok(conn);
            }
            Err(err) if is_transient(&err) && waited < Duration::from_secs(10) => {
                tracing::info!("connection refused, retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
            Err(err) => {
                return Err(err).with_context(|| format!("connecting to {}", redact(url)));
            }
        }
    }
}

/// A pool of up to `size` connections; `after_connect` SQL runs once on each new connection.
/// Acquiring gives up after 10 s: the pool retries refused connections until then, and a
/// server that stays away that long has crashed or gone (the loader then starts no more files).
pub async fn pool(url: &str, size: u32, after_connect: Option<&'static str>) -> Result<PgPool> {
    // Connect once first so that a refused connection gets the same retry as `connect`.
    connect(url).await?.close().await.ok();
    let mut opts = PgPoolOptions::new()
        .max_connections(size)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10));
    opts = opts.after_connect(move |conn, _meta| {
        Box::pin(async move {
            nodelay::set_on_tcp_sockets();
            writer_settings(conn).await?;
            if let Some(sql) = after_connect {
                sqlx::raw_sql(sql).execute(conn).await?;
            }
            Ok(())
        })
    });
    opts.connect_with(options(url)?)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

/// True for a unique violation: SQLSTATE 23505, or the same message with XX000, which Citus
/// gives a COPY that hit one on a shard.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = err else {
        return false;
    };
    match e.code().as_deref() {
        Some("23505") => true,
        Some("XX000") => e
            .message()
            .starts_with("duplicate key value violates unique constraint"),
        _ => false,
    }
}

/// For the rest of the current transaction, executions of a prepared statement reuse its plan
/// (`true`) or are each planned again (`false`, the writers' session setting: see
/// sql/writer_settings.sql). Planned again, every foreign-key check of a statement that inserts
/// many rows is planned again too.
pub async fn reuse_plans(conn: &mut PgConnection, reuse: bool) -> sqlx::Result<()> {
    let sql = if reuse {
        "SET LOCAL plan_cache_mode = auto"
    } else {
        "SET LOCAL plan_cache_mode = force_custom_plan"
    };
    sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
}

/// Settings for a connection that writes (every pool's connections): see
/// sql/writer_settings.sql.
async fn writer_settings(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::raw_sql(include_str!("sql/writer_settings.sql"))
        .execute(conn)
        .await
        .map(|_| ())
}

/// A prepared database: where it is, what it offers, which migrations were applied just now.
#[derive(Debug, Clone)]
pub struct Database {
    pub url: String,
    pub server: ServerInfo,
    pub applied: Vec<String>,
    /// How the period aggregates are stored on this database.
    pub aggregates: aggregates::Aggregates,
}

/// Connects, creates the TimescaleDB extension when it is available, and applies pending
/// migrations.
pub async fn open(args: &Location) -> Result<Database> {
    let (database, conn) = open_connected(args).await?;
    conn.close().await.ok();
    Ok(database)
}

/// [`open`], keeping the connection it prepared the database on: a command that then runs one
/// query saves a second connect and, over TCP, a second password exchange.
pub async fn open_connected(args: &Location) -> Result<(Database, PgConnection)> {
    let url = resolve_url(args).await?;
    let mut conn = connect(&url).await?;
    let (server, applied) = prepare(&mut conn).await?;
    let aggregates = aggregates::detect(&mut conn).await?;
    let database = Database {
        url,
        server,
        applied,
        aggregates,
    };
    Ok((database, conn))
}

/// Extension and migrations under an advisory lock, so that two loaders starting together
/// do not race to create the same objects.
pub async fn prepare(conn: &mut PgConnection) -> Result<(ServerInfo, Vec<String>)> {
    const LOCK: i64 = 0x5f0c_bdb0_0001;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK)
        .execute(&mut *conn)
        .await?;
    let result = async {
        let info = tier::ensure_extension(conn).await?;
        if info.tier == Tier::Citus {
            // Citus warns of every view a migration creates before V34 distributes its tables
            // ("has dependency to ... not in Citus' metadata"): expected, and not the user's.
            sqlx::raw_sql("SET client_min_messages = error")
                .execute(&mut *conn)
                .await?;
        }
        let applied = crate::migrate::run(conn).await;
        if info.tier == Tier::Citus {
            sqlx::raw_sql("RESET client_min_messages")
                .execute(&mut *conn)
                .await?;
        }
        let applied = applied?;
        Ok::<_, anyhow::Error>((info, applied))
    }
    .await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK)
        .execute(&mut *conn)
        .await?;
    result
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://bob:s3cret@db.example:5432/market?sslmode=require"),
            "postgres://bob:***@db.example:5432/market?sslmode=require"
        );
        assert_eq!(
            redact("postgres://bob@localhost/market"),
            "postgres://bob@localhost/market"
        );
        assert_eq!(
            redact("postgres://stockdb@localhost:5433/stockdb?host=/tmp/x"),
            "postgres://stockdb@localhost:5433/stockdb?host=/tmp/x"
        );
        assert_eq!(
            redact("postgresql://u:p%40ss@h/d"),
            "postgresql://u:***@h/d"
        );
    }
}
