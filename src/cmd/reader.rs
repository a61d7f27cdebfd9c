//! `stockdb grant-reader NAME` / `revoke-reader NAME`: read-only logins for BI tools.

use crate::cli::GlobalArgs;
use crate::db::{self, reader};
use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;

/// Create or update a read-only login for BI tools (Grafana, Metabase, Superset, Tableau).
///
/// The role can read symbols, prices, period aggregates and moving averages, and write
/// nothing. The password is never echoed or logged: stockdb sends the server only its
/// SCRAM-SHA-256 verifier.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb grant-reader grafana                          # asks for the password
  READER_PASSWORD=... stockdb grant-reader grafana --password-env READER_PASSWORD
  stockdb grant-reader ops --password-env OPS_PW --with-load-history")]
pub struct GrantArgs {
    /// Name of the login role.
    pub name: String,
    /// Take the password from this environment variable instead of a prompt.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Also let the role read market.load_runs (file paths and error texts of loads).
    #[arg(long)]
    pub with_load_history: bool,
}

/// Revoke a reader's access and drop its login role.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb revoke-reader grafana")]
pub struct RevokeArgs {
    /// Name of the login role.
    pub name: String,
}

fn password(args: &GrantArgs) -> Result<String> {
    if let Some(var) = &args.password_env {
        return std::env::var(var)
            .with_context(|| format!("--password-env {var}: the variable is not set"));
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password; give --password-env VAR");
    }
    let first = rpassword::prompt_password(format!("Password for {}: ", args.name))?;
    let again = rpassword::prompt_password("Again: ")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}

/// Grants and prints the settings a BI tool needs (never the password).
pub async fn grant(global: &GlobalArgs, args: GrantArgs) -> Result<()> {
    let password = password(&args)?;
    let (database, mut conn) = db::open_connected(&global.db.location()).await?;
    let created = reader::grant(&mut conn, &args.name, &password, args.with_load_history).await?;
    if !global.quiet {
        let opts = PgConnectOptions::from_str(&database.url)?;
        // The local cluster's URL names its socket; BI tools connect over TCP on loopback.
        let host = match opts.get_socket() {
            Some(_) => "127.0.0.1".to_string(),
            None => opts.get_host().to_string(),
        };
        crate::outln!(
            "{} read-only role {}.\nConnect your BI tool with:\n  host:     {host}\n  port:     {}\n  database: {}\n  user:     {}\n  password: (the one you gave{})\n  schema:   market",
            if created { "created" } else { "updated" },
            args.name,
            opts.get_port(),
            opts.get_database().unwrap_or("postgres"),
            args.name,
            args.password_env
                .as_ref()
                .map(|v| format!(", in ${v}"))
                .unwrap_or_default(),
        );
    }
    Ok(())
}

/// Revokes and drops.
pub async fn revoke(global: &GlobalArgs, args: RevokeArgs) -> Result<()> {
    let (_, mut conn) = db::open_connected(&global.db.location()).await?;
    reader::revoke(&mut conn, &args.name).await?;
    if !global.quiet {
        crate::outln!("revoked and dropped role {}", args.name);
    }
    Ok(())
}
