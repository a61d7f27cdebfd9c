//! `stockdb load --follow DIR|FILE` and `stockdb load -`: the live modes' options and their
//! closing lines (the library side is `load::follow`).

use super::{Args, View, report, request};
use crate::cli::GlobalArgs;
use crate::cmd::Format;
use crate::load::follow::{self, FolderRequest, Followed, Source};
use crate::output;
use anyhow::{Result, bail};
use std::time::Duration;

/// The live modes' options.
#[derive(Debug, clap::Args)]
pub struct FollowArgs {
    /// Keep loading until SIGINT or SIGTERM: PATH is a folder (each new file loads once
    /// complete: renamed into place, or unchanged for --settle) or a growing file (its complete
    /// lines commit every --commit-interval, with the offset reached stored in the same
    /// transaction: a restart goes on from there).
    #[arg(long)]
    pub follow: bool,
    /// A followed file or standard input commits at least this often (`500ms`, `1s`, `2m`).
    #[arg(long, default_value = "1s", value_name = "TIME", value_parser = parse_duration)]
    pub commit_interval: Duration,
    /// ... or as soon as this many lines wait.
    #[arg(long, default_value_t = 250_000, value_name = "N")]
    pub commit_rows: u64,
    /// A followed folder's file is complete once its size and modification time stayed the
    /// same this long (a file renamed into place loads at once).
    #[arg(long, default_value = "2s", value_name = "TIME", value_parser = parse_duration)]
    pub settle: Duration,
    /// The header line of a headerless stream on standard input, which tells its kind and
    /// layout (`--header 'ticker,volume,open,close,high,low,window_start,transactions'`).
    #[arg(long, value_name = "LINE")]
    pub header: Option<String>,
    /// The file name standard input stands for: it tells what a file's name would (a symbol
    /// `MSFT.csv`, a TAQ file's date `EQY_US_ALL_TRADE_20240308`).
    #[arg(long, value_name = "FILE")]
    pub name: Option<String>,
}

/// Runs a live mode until a signal or the end of the input.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let [path] = args.paths.as_slice() else {
        bail!(
            "--follow and `-` take one path (a folder, a file, or `-`), but {} were given",
            args.paths.len()
        );
    };
    if args.dry_run {
        bail!("--dry-run reads a whole file; it does not follow one");
    }
    let location = global.db.location();
    let load = request(global, &args);
    if path.is_dir() {
        let view = View {
            roots: vec![path.clone()],
            every_file: true,
            width: output::width(),
        };
        let (format, quiet) = (args.format, global.quiet);
        let req = FolderRequest {
            dir: path.clone(),
            load: crate::load::Request {
                progress: false,
                ..load
            },
            settle: args.follow.settle,
        };
        output::note(format_args!(
            "following {}: each file loads once complete; Ctrl-C or SIGTERM stops after the file in progress",
            path.display()
        ));
        let done = follow::follow_folder(&location, req, |summary| {
            // A file's failure is in its summary and the records; the watch goes on.
            if let Err(e) = report(summary, format, quiet, &view) {
                tracing::debug!("{e:#}");
            }
        })
        .await?;
        if format == Format::Json {
            output::print(serde_json::to_string_pretty(&done)?)?;
        } else if !quiet {
            output::note(format_args!(
                "stopped following {}: {} files loaded, {} not loaded, {} loaded before",
                path.display(),
                done.loaded,
                done.failed,
                done.loaded_before
            ));
        }
        return Ok(());
    }
    let source = if path.as_os_str() == "-" {
        Source::Stdin
    } else {
        Source::File(path.clone())
    };
    let req = follow::Request {
        source,
        symbol: load.symbol,
        settings: load.settings,
        commit_interval: args.follow.commit_interval,
        commit_rows: args.follow.commit_rows.max(1),
        header: args.follow.header,
        stdin_name: args.follow.name,
        status: load.progress,
    };
    let done = follow::follow(&location, req).await?;
    match args.format {
        Format::Json => output::print(serde_json::to_string_pretty(&done)?)?,
        Format::Table if !global.quiet => output::print(closing(&done))?,
        Format::Table => {}
    }
    if let Some(e) = &done.refresh_error {
        output::error(e);
    }
    if let Some(e) = &done.error {
        bail!("{e}");
    }
    Ok(())
}

/// The lines printed when a follow stops.
fn closing(d: &Followed) -> String {
    let g = output::group;
    let t = &d.totals;
    let resumed = match d.resumed_after_line {
        Some(line) => format!(", resumed after line {}", g(line)),
        None => String::new(),
    };
    let restarts = match d.restarts {
        0 => String::new(),
        n => format!(", read again from its start {n} times (truncated or replaced)"),
    };
    let rejects = match &d.rejects_file {
        Some(f) => format!("\nrejected lines: {}", f.display()),
        None => String::new(),
    };
    format!(
        "{}: {} commits in {:.1} s{resumed}{restarts}, up to line {}; stopped by {}\n\
         rows {}, accepted {}, rejected {}, warnings {}, inserted {}, updated {}, unchanged {}{rejects}",
        d.source.display(),
        g(t.loaded as u64),
        d.elapsed_seconds,
        g(d.last_line),
        d.stopped_by,
        g(t.rows_in_file),
        g(t.accepted),
        g(t.rejected),
        g(t.warnings),
        g(t.inserted),
        g(t.updated),
        g(t.unchanged),
    )
}

/// `500ms`, `1s`, `1.5s`, `2m`, or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a time such as 500ms, 1s or 2m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        _ => return Err(format!("{text:?}: the unit is ms, s or m")),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("{text:?} is not a positive time"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn times_read_with_their_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
