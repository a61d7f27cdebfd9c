//! `stockdb report`: list the named reports, or run one (or any SQL file) read-only.

use crate::cli::GlobalArgs;
use crate::output;
use crate::report::catalog::{self, Report};
use crate::report::render::{self, ReportFormat};
use crate::report::run;
use crate::{analytics, db};
use anyhow::{Result, bail};
use comfy_table::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Run a named SQL report (see `stockdb report list`), or any SQL file, read-only.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb report list
  stockdb report quarterly_average --symbol MSFT
  stockdb report moving_averages --symbol MSFT --from 2023-01-01
  stockdb report returns_distribution --symbol MSFT -p width=0.005 --format csv
  stockdb report --file my_query.sql --format json
  stockdb report my_report --queries ./my-queries")]
pub struct Args {
    /// Report name, or `list` to show every report with its parameters.
    #[arg(value_name = "NAME", required_unless_present = "file")]
    pub name: Option<String>,
    /// Run this SQL file instead of a named report (a `-- param:` header is optional).
    #[arg(long, value_name = "Q.sql", conflicts_with = "name")]
    pub file: Option<PathBuf>,
    /// Value of the report's `symbol` parameter.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Value of the report's `from` parameter (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Value of the report's `to` parameter (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Any other parameter, as key=value (repeatable).
    #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// A directory of extra .sql reports; a name there overrides a shipped report.
    #[arg(long, value_name = "DIR")]
    pub queries: Option<PathBuf>,
    /// Print the query's own time to stderr (CSV and JSON: to the first row and to the last,
    /// printing included, as they stream; other formats: without printing).
    #[arg(long)]
    pub timing: bool,
}

/// Lists or runs.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let report = match (&args.file, args.name.as_deref()) {
        (Some(path), _) => catalog::from_file(path)?,
        (None, Some("list")) => return list(&catalog::load(args.queries.as_deref())?),
        (None, Some(name)) => {
            let reports = catalog::load(args.queries.as_deref())?;
            match reports.into_iter().find(|r| r.name == name) {
                Some(r) => r,
                None => bail!("unknown report {name:?}; `stockdb report list` shows the reports"),
            }
        }
        (None, None) => bail!("give a report name, `list`, or --file"),
    };
    let mut given = BTreeMap::new();
    for (key, value) in [
        ("symbol", &args.symbol),
        ("from", &args.from),
        ("to", &args.to),
    ] {
        if let Some(v) = value {
            given.insert(key.to_string(), v.clone());
        }
    }
    for kv in &args.params {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("-p {kv:?}: expected key=value");
        };
        given.insert(k.trim().to_string(), v.to_string());
    }
    let (database, mut conn) = db::open_connected(&global.db.location()).await?;
    let report = catalog::for_tier(report, database.server.tier)?;
    if let Some(warning) = analytics::staleness_warning(&mut conn).await? {
        output::warning(warning);
    }
    let started = std::time::Instant::now();
    let ms = |t: std::time::Instant| (t - started).as_secs_f64() * 1000.0;
    if args.format.streams() {
        // CSV and JSON go out row by row: a market-wide result starts at once and is never held.
        let out = std::io::BufWriter::new(std::io::stdout());
        let mut sink = render::Streamed::new(args.format, out)?;
        let rows = run::stream(&mut conn, &report, given, &mut sink).await?;
        let first = sink.first_row();
        sink.finish()?;
        if args.timing {
            let first = first.map_or("none".to_string(), |t| format!("{:.3} ms", ms(t)));
            let all = ms(std::time::Instant::now());
            output::plain(format_args!(
                "query: first row {first}, all {rows} rows {all:.3} ms (printed as they came)"
            ));
        }
        return Ok(());
    }
    let result = run::run(&mut conn, &report, given).await?;
    if args.timing {
        output::plain(format_args!(
            "query: {:.3} ms, {} rows",
            ms(std::time::Instant::now()),
            result.rows.len()
        ));
    }
    output::print(render::render(&result, args.format, output::width())?)?;
    Ok(())
}

fn list(reports: &[Report]) -> Result<()> {
    let mut t = output::table(["report", "description", "parameters"]);
    for r in reports {
        let params: Vec<String> = r.params.iter().map(|p| p.to_string()).collect();
        t.add_row(vec![
            Cell::new(&r.name),
            Cell::new(&r.description),
            Cell::new(params.join("\n")),
        ]);
    }
    // Wrap the long descriptions; without a terminal to measure, assume 120 columns.
    let width = output::width().unwrap_or(120);
    output::fit_keeping(&mut t, Some(width), &["description", "parameters"]);
    output::print(t)?;
    Ok(())
}
