//! Read-only BI logins: create, update or drop a role that can read the market schema and
//! nothing else (DESIGN.md §1.3).

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// PostgreSQL's own default iteration count for SCRAM-SHA-256.
const SCRAM_ITERATIONS: u32 = 4096;

/// A role name as an SQL identifier, quoted; refuses what PostgreSQL would truncate.
pub fn quote_ident(name: &str) -> Result<String> {
    if name.is_empty() || name.len() > 63 {
        bail!("a role name has 1 to 63 bytes, {name:?} has {}", name.len());
    }
    if name.chars().any(char::is_control) {
        bail!("the role name {name:?} contains a control character");
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677), so the
/// server never sees the password itself. Passwords are taken as given (no SASLprep), which
/// matches PostgreSQL for ASCII passwords.
pub fn scram_verifier(password: &str, salt: &[u8]) -> String {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, SCRAM_ITERATIONS, &mut salted);
    let hmac = |key: &[u8], msg: &[u8]| {
        // HMAC accepts keys of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        mac.update(msg);
        mac.finalize().into_bytes()
    };
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${SCRAM_ITERATIONS}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key),
        B64.encode(server_key)
    )
}

fn random_salt() -> Result<[u8; 16]> {
    use std::io::Read;
    let mut salt = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut salt))
        .context("reading /dev/urandom for a password salt")?;
    Ok(salt)
}

async fn current_database(conn: &mut PgConnection) -> Result<String> {
    Ok(sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(conn)
        .await?)
}

fn fill(template: &str, role: &str, database: &str, password: &str) -> String {
    template
        .replace("{role}", role)
        .replace("{database}", database)
        .replace("{password}", password)
}

/// Creates or updates the reader role; `load_history` also grants `market.load_runs`.
pub async fn grant(
    conn: &mut PgConnection,
    name: &str,
    password: &str,
    load_history: bool,
) -> Result<bool> {
    if password.is_empty() {
        bail!("the password is empty");
    }
    let role = quote_ident(name)?;
    let database = quote_ident(&current_database(conn).await?)?;
    let verifier = scram_verifier(password, &random_salt()?);
    let mut tx = conn.begin().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
    if !exists {
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE ROLE {role}")))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("creating role {name}"))?;
    }
    let sql = fill(
        include_str!("sql/grant_reader.sql"),
        &role,
        &database,
        &verifier,
    );
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("granting read access to {name}"))?;
    let history = if load_history { "GRANT" } else { "REVOKE" };
    let direction = if load_history { "TO" } else { "FROM" };
    sqlx::raw_sql(AssertSqlSafe(format!(
        "{history} SELECT ON market.load_runs {direction} {role}"
    )))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(!exists)
}

/// Revokes everything `grant` gave and drops the role.
pub async fn revoke(conn: &mut PgConnection, name: &str) -> Result<()> {
    let role = quote_ident(name)?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        bail!("there is no role {name:?}");
    }
    let database = quote_ident(&current_database(conn).await?)?;
    let sql = fill(include_str!("sql/revoke_reader.sql"), &role, &database, "");
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await
        .with_context(|| {
            format!("dropping role {name} (it may own objects or have rights in other databases)")
        })?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scram_verifier_matches_an_independent_computation() {
        // RFC 7677 section 3's password and salt; the expected keys were computed
        // independently with Python's hashlib.pbkdf2_hmac and hmac. Logging in with a
        // verifier made here is tested against a real server in tests/reader.rs.
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = scram_verifier("pencil", &salt);
        assert_eq!(
            v,
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("grafana").unwrap(), "\"grafana\"");
        assert_eq!(quote_ident("a\"b").unwrap(), "\"a\"\"b\"");
        assert!(quote_ident("").is_err());
        assert!(quote_ident(&"x".repeat(64)).is_err());
    }
}
