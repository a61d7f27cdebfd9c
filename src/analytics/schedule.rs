//! `stockdb refresh --schedule` (issue 24): stockdb's exact refresh as a TimescaleDB job.

use super::CONTINUOUS;
use anyhow::{Context, Result};
use sqlx::PgConnection;

/// `stockdb refresh --schedule`: a TimescaleDB job running stockdb's own exact refresh
/// (`market.refresh_changed`, migrations/V26) this often, so rows written by other tools reach
/// every level, and the chunks they left partial the columnstore, without any stockdb command;
/// `None` removes it. TimescaleDB's refresh policies
/// (which earlier versions added, and which 2.28 can leave a month, quarter or year stale) are
/// removed either way.
pub async fn schedule(conn: &mut PgConnection, every: Option<&str>) -> Result<()> {
    // Checked before anything is removed, so a bad interval changes nothing.
    if let Some(every) = every {
        let positive: bool = sqlx::query_scalar("SELECT $1::interval > interval '0'")
            .bind(every)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "--schedule {every:?} is not an interval ({e}); e.g. 1h, 15 minutes, 1 day"
                )
            })?;
        anyhow::ensure!(
            positive,
            "--schedule {every:?}: the interval must be positive"
        );
    }
    for (name, _) in CONTINUOUS {
        sqlx::query("SELECT remove_continuous_aggregate_policy($1::regclass, if_exists => true)")
            .bind(name)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("removing the refresh policy of {name}"))?;
    }
    sqlx::query(
        "SELECT delete_job(job_id) FROM timescaledb_information.jobs \
         WHERE proc_schema = 'market' AND proc_name = 'refresh_changed'",
    )
    .execute(&mut *conn)
    .await
    .context("removing the scheduled refresh")?;
    if let Some(every) = every {
        sqlx::query("SELECT add_job('market.refresh_changed', $1::interval)")
            .bind(every)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("scheduling the refresh every {every}"))?;
    }
    Ok(())
}
