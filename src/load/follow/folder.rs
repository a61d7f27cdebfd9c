//! `stockdb load --follow DIR`: a landing folder's files load once complete, in name order,
//! each as a batch load of that one file (the same transaction, check, record and summary),
//! until SIGINT or SIGTERM. A file is complete when it was renamed into place (its inode
//! changed after its last write: a rename sets the change time, a write both times; or its
//! modification time is older than the settle time when it is first seen) or its size and
//! modification time stayed the same for the settle time. `market.load_runs` says which files
//! a run before this one loaded.

use super::StopSignal;
use crate::db::{self, Location};
use crate::load::{Request, Summary};
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// One `stockdb load --follow DIR`.
#[derive(Debug, Clone)]
pub struct FolderRequest {
    pub dir: PathBuf,
    /// How each file loads (its `paths` are ignored).
    pub load: Request,
    /// How long a file's size and modification time must stay the same (`--settle`).
    pub settle: Duration,
}

/// What a folder follow did.
#[derive(Debug, Default, Serialize)]
pub struct FolderDone {
    /// Files loaded (and checked) by this run.
    pub loaded: u64,
    /// Files that were refused, failed or rolled back (recorded; the watch went on).
    pub failed: u64,
    /// Files a run before this one had loaded, left alone.
    pub loaded_before: u64,
}

/// How often the folder is listed.
const POLL: Duration = Duration::from_millis(250);

/// A file's size, modification time and inode: a file is complete when these stay put.
type Stamp = (u64, Option<SystemTime>, u64);

/// Watches `req.dir` until a signal, loading each complete file once; `each` gets every
/// file's summary as it is done.
pub async fn follow_folder(
    location: &Location,
    req: FolderRequest,
    mut each: impl FnMut(&Summary),
) -> Result<FolderDone> {
    let stop = StopSignal::listen();
    if !req.dir.is_dir() {
        anyhow::bail!("{}: not a folder", req.dir.display());
    }
    let database = db::open(location).await?;
    let location = Location {
        database_url: Some(database.url.clone()),
        home: location.home.clone(),
    };
    let records = db::pool(&database.url, 1, None).await?;
    let (_keep, never) = tokio::sync::watch::channel(false);
    let mut seen: HashMap<PathBuf, (Stamp, Instant)> = HashMap::new();
    let mut done_files: HashMap<PathBuf, Stamp> = HashMap::new();
    let mut done = FolderDone::default();
    while !stop.stopped() {
        let now = Instant::now();
        let mut ready = BTreeMap::new();
        for (path, stamp, renamed) in candidates(&req.dir)? {
            if done_files.get(&path) == Some(&stamp) {
                continue;
            }
            let first = seen.entry(path.clone()).or_insert((stamp, now));
            if first.0 != stamp {
                *first = (stamp, now);
            }
            let old = stamp
                .1
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= req.settle);
            if renamed || old || now.duration_since(first.1) >= req.settle {
                ready.insert(path, stamp);
            }
        }
        for (path, stamp) in ready {
            if stop.stopped() {
                break;
            }
            seen.remove(&path);
            done_files.insert(path.clone(), stamp);
            if loaded_before(&records, &path, stamp.1).await? {
                done.loaded_before += 1;
                continue;
            }
            let request = Request {
                paths: vec![path.clone()],
                ..req.load.clone()
            };
            match crate::load::run_with(&location, request, never.clone()).await {
                Ok(summary) => {
                    let t = &summary.totals;
                    done.loaded += t.loaded as u64;
                    done.failed += (t.refused + t.failed + t.rolled_back) as u64;
                    each(&summary);
                }
                Err(e) => {
                    // Not a file stockdb reads, or it vanished: recorded here, the watch goes on.
                    done.failed += 1;
                    crate::output::error(format_args!("{e:#}"));
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = stop.wait() => {}
        }
    }
    records.close().await;
    Ok(done)
}

/// The folder's price files (its subfolders' too), with their stamps; names being written
/// under a temporary name (`.x.csv`, `x.csv.part`) are not price files yet.
/// The flag: the file's inode changed after its last write (renamed into place; where the file
/// system does not set the change time on a rename, the settle time decides).
fn candidates(dir: &Path) -> Result<Vec<(PathBuf, Stamp, bool)>> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("{}: cannot list", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            // Gone between the listing and the look: it comes back in a later listing.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                folders.push(path);
            } else if crate::load::discover::is_price_file(&path) {
                let renamed = (meta.ctime(), meta.ctime_nsec()) > (meta.mtime(), meta.mtime_nsec());
                out.push((
                    path,
                    (meta.len(), meta.modified().ok(), meta.ino()),
                    renamed,
                ));
            }
        }
    }
    Ok(out)
}

/// True when a run before this one loaded `path` after it was last modified.
async fn loaded_before(
    records: &sqlx::PgPool,
    path: &Path,
    modified: Option<SystemTime>,
) -> Result<bool> {
    let Some(modified) = modified else {
        return Ok(false);
    };
    let modified = chrono::DateTime::<chrono::Utc>::from(modified);
    Ok(sqlx::query_scalar(include_str!("sql/loaded_before.sql"))
        .bind(path.display().to_string())
        .bind(modified)
        .fetch_one(records)
        .await?)
}
