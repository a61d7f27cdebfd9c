//! Schema migrations: refinery's embedded `migrations/` run over a sqlx connection.
//!
//! refinery has no sqlx driver; this newtype implements its async traits (STYLE.md, "Known
//! pitfalls"). Each migration runs in a transaction, with `raw_sql` because a migration file
//! holds several statements, which a prepared statement refuses.

use anyhow::{Context, Result};
use refinery_core::Migration;
use refinery_core::traits::r#async::{AsyncMigrate, AsyncQuery, AsyncTransaction};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// refinery's history table (in the `public` schema, refinery's default name).
pub const HISTORY_TABLE: &str = "refinery_schema_history";

struct SqlxMigrator<'c>(&'c mut PgConnection);

impl AsyncTransaction for SqlxMigrator<'_> {
    type Error = sqlx::Error;

    async fn execute<'a, T: Iterator<Item = &'a str> + Send + 'a>(
        &'a mut self,
        queries: T,
    ) -> Result<usize, Self::Error> {
        let mut tx = self.0.begin().await?;
        let mut count = 0;
        for query in queries {
            // The migration files are ours, embedded at build time.
            sqlx::raw_sql(AssertSqlSafe(query))
                .execute(&mut *tx)
                .await?;
            count += 1;
        }
        tx.commit().await?;
        Ok(count)
    }
}

impl AsyncQuery<Vec<Migration>> for SqlxMigrator<'_> {
    async fn query<'a>(&'a mut self, query: &'a str) -> Result<Vec<Migration>, Self::Error> {
        let rows = sqlx::query(AssertSqlSafe(query))
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter()
            .map(|row| {
                let applied_on: String = row.try_get(2)?;
                let checksum: String = row.try_get(3)?;
                let decode = |e: Box<dyn std::error::Error + Send + Sync>| sqlx::Error::Decode(e);
                Ok(Migration::applied(
                    row.try_get(0)?,
                    row.try_get(1)?,
                    OffsetDateTime::parse(&applied_on, &Rfc3339).map_err(|e| decode(e.into()))?,
                    checksum.parse::<u64>().map_err(|e| decode(e.into()))?,
                ))
            })
            .collect()
    }
}

impl AsyncMigrate for SqlxMigrator<'_> {}

/// Applies pending migrations; returns the names of those applied now (empty when up to date).
pub async fn run(conn: &mut PgConnection) -> Result<Vec<String>> {
    let report = embedded::migrations::runner()
        .set_migration_table_name(HISTORY_TABLE)
        .run_async(&mut SqlxMigrator(conn))
        .await
        .context("applying schema migrations")?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect())
}

/// Every migration the binary carries, as `V1__name`.
pub fn known() -> Vec<String> {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect()
}
