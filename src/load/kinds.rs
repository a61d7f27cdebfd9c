//! The kinds of data stockdb loads, listed once. Each kind is a folder implementing
//! [`FileKind`]; the job runs it without knowing which it is.

use super::daily::Daily;
use super::events::Events;
use super::files::{Kind, PriceFile};
use super::intraday::Intraday;
use super::job::{self, FileReport, RunState, Settings, Target};

/// Loads (or, without a target, only validates) one file with the job of its kind.
pub async fn load(
    file: &PriceFile,
    settings: &Settings,
    target: Option<Target<'_>>,
    run: &RunState,
) -> FileReport {
    match file.kind {
        Kind::Daily => job::load(&Daily, file, settings, target, run).await,
        Kind::Intraday => job::load(&Intraday, file, settings, target, run).await,
        Kind::Events => job::load(&Events, file, settings, target, run).await,
    }
}
