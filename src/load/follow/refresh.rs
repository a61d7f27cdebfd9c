//! Keeps the continuous aggregates fresh while a follow commits: after each commit, the
//! stale ranges the commit recorded are refreshed by a loop that runs beside the follow's, so
//! that the next piece loads meanwhile. Commits that come while a refresh runs are covered by
//! the next one.

use crate::analytics::Aggregates;
use sqlx::PgPool;
use std::future::Future;
use tokio::sync::mpsc;

/// The follow's end of the refreshing loop.
pub struct Refresher {
    poke: Option<mpsc::Sender<()>>,
}

/// The follow's handle and the refreshing loop, to run beside it; the loop ends, with the
/// last refresh's error, once the handle is dropped. A no-op where the aggregates are tables
/// or views, which the load's transaction keeps current.
pub fn pair(
    pool: PgPool,
    aggregates: Aggregates,
) -> (Refresher, impl Future<Output = Option<String>>) {
    let continuous = aggregates == Aggregates::Continuous;
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let refreshing = async move {
        let mut last_error = None;
        while rx.recv().await.is_some() {
            let refreshed = async {
                crate::analytics::refresh_pending(&pool, aggregates).await?;
                crate::analytics::intraday::refresh_pending(&pool, aggregates).await?;
                crate::analytics::trade_bars::refresh_closed(&pool, aggregates).await
            }
            .await;
            last_error = match refreshed {
                Ok(()) => None,
                Err(e) => {
                    tracing::warn!("refreshing the aggregates after a commit: {e:#}");
                    Some(format!(
                        "the committed rows stay, but refreshing the aggregates failed: {e:#}; run `stockdb refresh`"
                    ))
                }
            };
        }
        last_error
    };
    let handle = Refresher {
        poke: continuous.then_some(tx),
    };
    (handle, refreshing)
}

impl Refresher {
    /// A commit happened: refresh once the running refresh (if any) is done.
    pub fn poke(&self) {
        if let Some(tx) = &self.poke {
            // Full: a refresh is already due, and it covers this commit too.
            let _ = tx.try_send(());
        }
    }
}
