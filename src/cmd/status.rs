//! `stockdb status`: server, tier, rows per symbol, date ranges and recent loads.

use super::Format;
use crate::cli::GlobalArgs;
use crate::db;
use crate::output::{self, count};
use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use comfy_table::Cell;
use serde::Serialize;

/// Show the server, its tier, what is loaded and the most recent loads.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb status
  stockdb status --symbols 50 --loads 20
  stockdb status --format json
  stockdb status --schema          # relations, columns, types and comments")]
pub struct Args {
    /// How many symbols to list (largest first).
    #[arg(long, default_value_t = 20)]
    pub symbols: i64,
    /// How many recent load attempts to list.
    #[arg(long, default_value_t = 10)]
    pub loads: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Print the schema instead: every relation and column a BI tool sees, with its type and comment.
    #[arg(long)]
    pub schema: bool,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
struct CatalogRow {
    relation: String,
    kind: String,
    column_name: String,
    data_type: String,
    comment: String,
    relation_comment: String,
}

async fn schema(conn: &mut sqlx::PgConnection, format: Format) -> Result<()> {
    let rows: Vec<CatalogRow> = sqlx::query_as(include_str!("../db/sql/schema_catalog.sql"))
        .fetch_all(conn)
        .await?;
    if format == Format::Json {
        return Ok(output::print(serde_json::to_string_pretty(&rows)?)?);
    }
    let mut t = output::table(["relation", "column", "type", "comment"]);
    let mut last = String::new();
    for r in &rows {
        if r.relation != last {
            t.add_row(vec![
                Cell::new(format!("market.{} ({})", r.relation, r.kind)),
                Cell::new(""),
                Cell::new(""),
                Cell::new(&r.relation_comment),
            ]);
            last = r.relation.clone();
        }
        t.add_row(vec![
            Cell::new(""),
            Cell::new(&r.column_name),
            Cell::new(&r.data_type),
            Cell::new(&r.comment),
        ]);
    }
    match output::width() {
        Some(w) => output::fit_keeping(&mut t, Some(w), &["comment"]),
        // Pipes get the comments wrapped at a fixed width, as before terminals were measured.
        None => output::fit_keeping(&mut t, Some(140), &["comment"]),
    }
    Ok(output::print(t)?)
}

#[derive(Debug, Serialize, sqlx::FromRow)]
struct SymbolRow {
    symbol: String,
    asset_class: Option<String>,
    rows: i64,
    first_day: NaiveDate,
    last_day: NaiveDate,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
struct LoadRow {
    id: i64,
    path: String,
    symbol: Option<String>,
    status: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    rows_accepted: Option<i64>,
    rows_inserted: Option<i64>,
    rows_updated: Option<i64>,
    rows_unchanged: Option<i64>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Status {
    database: String,
    server: db::ServerInfo,
    /// As counted by stockdb's loads and refreshes (`market.symbol_stats`).
    rows: i64,
    /// The planner's estimate of the prices table, to check `rows` by; None if never analyzed.
    estimated_rows: Option<i64>,
    symbols: i64,
    first_day: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    by_symbol: Vec<SymbolRow>,
    recent_loads: Vec<LoadRow>,
    aggregates: crate::analytics::Aggregates,
    freshness: Vec<crate::analytics::Freshness>,
    /// The planner's estimate of `market.intraday_bars` (a count would read every bar); 0
    /// when it holds none.
    intraday_estimated_bars: Option<i64>,
    /// Loaded intraday ranges not yet refreshed into the roll-ups (timescale tier).
    intraday_stale_ranges: i64,
    /// Trade/quote events (`market.event_daily`).
    events: Events,
    /// Each time-series table's size and columnstore figures (issue 24).
    storage: Vec<db::columnstore::Storage>,
    /// The worker nodes and each table's shards (citus tier).
    citus: Option<db::citus::Layout>,
}

/// Trade and quote events in total.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Events {
    trades: i64,
    quotes: i64,
    /// Arrivals that lost to a later copy of the same event.
    dropped: i64,
    first_day: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
}

/// Prints the status.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let (database, mut conn) = db::open_connected(&global.db.location()).await?;
    if args.schema {
        return schema(&mut conn, args.format).await;
    }
    let (rows, symbols, first_day, last_day): (i64, i64, Option<NaiveDate>, Option<NaiveDate>) =
        sqlx::query_as(include_str!("sql/status_totals.sql"))
            .fetch_one(&mut conn)
            .await?;
    let timescaledb = database.server.timescaledb_version.is_some();
    let estimated_rows =
        crate::analytics::estimated_rows(&mut conn, "market.daily_prices", timescaledb).await?;
    let by_symbol: Vec<SymbolRow> = sqlx::query_as(include_str!("sql/status_symbols.sql"))
        .bind(args.symbols)
        .fetch_all(&mut conn)
        .await?;
    let recent_loads: Vec<LoadRow> = sqlx::query_as(include_str!("sql/status_loads.sql"))
        .bind(args.loads)
        .fetch_all(&mut conn)
        .await?;
    let freshness = crate::analytics::freshness(&mut conn, timescaledb).await?;
    let intraday_estimated_bars =
        crate::analytics::estimated_rows(&mut conn, "market.intraday_bars", timescaledb).await?;
    let intraday_stale_ranges: i64 =
        sqlx::query_scalar("SELECT count(*) FROM market.intraday_stale_ranges")
            .fetch_one(&mut conn)
            .await?;
    let events: Events = sqlx::query_as(include_str!("sql/status_events.sql"))
        .fetch_one(&mut conn)
        .await?;
    let storage = db::columnstore::storage(&mut conn, database.server.tier).await?;
    let citus = match database.server.tier {
        db::Tier::Citus => Some(db::citus::layout(&mut conn).await?),
        _ => None,
    };
    let status = Status {
        database: db::redact(&database.url),
        server: database.server,
        rows,
        estimated_rows,
        symbols,
        first_day,
        last_day,
        by_symbol,
        recent_loads,
        aggregates: database.aggregates,
        freshness,
        intraday_estimated_bars,
        intraday_stale_ranges,
        events,
        storage,
        citus,
    };
    match args.format {
        Format::Json => output::print(serde_json::to_string_pretty(&status)?)?,
        Format::Table => output::print(render(&status, output::width()))?,
    }
    Ok(())
}

/// How the counted rows compare with the planner's estimate: an estimate after ANALYZE is
/// within a few percent, so a larger gap means rows written by other tools.
fn estimate_check(rows: i64, estimate: Option<i64>) -> String {
    let Some(estimate) = estimate else {
        return "not checked: the table was not analyzed yet".into();
    };
    let close = (estimate - rows).abs() as f64 <= (rows as f64 * 0.05).max(1000.0);
    if close {
        format!(
            "the planner estimates ~{}",
            output::group(estimate.max(0) as u64)
        )
    } else {
        format!(
            "BUT the planner estimates ~{}: rows written by other tools? `stockdb refresh` recounts",
            output::group(estimate.max(0) as u64)
        )
    }
}

/// One line per time-series table: its size and what the columnstore holds of it.
fn storage_lines(s: &Status) -> String {
    let mb = |bytes: i64| format!("{:.1} MB", bytes as f64 / 1_048_576.0);
    let mut text = String::new();
    for t in &s.storage {
        let detail = if !t.columnstore {
            match s.server.tier {
                db::Tier::Timescale => {
                    "columnstore off: migration V17 ran without TimescaleDB's community license"
                        .to_string()
                }
                db::Tier::Citus => {
                    "no columnstore on the citus tier: row storage on the workers' shards"
                        .to_string()
                }
                tier => format!(
                    "no columnstore on the {tier} tier: it needs TimescaleDB's community license"
                ),
            }
        } else {
            // Partial chunks (another writer's rows beside the converted batches) make
            // every symbol's newest-row query decompress whole segments until converted.
            let partial = match t.partial_chunks {
                Some(0) => String::new(),
                Some(n) => format!(", {n} partial until the next load, refresh or scheduled job"),
                None => ", partial chunks unknown on this release".to_string(),
            };
            let chunks = format!(
                "columnstore: {} of {} chunks{partial}",
                t.compressed_chunks.unwrap_or(0),
                t.total_chunks.unwrap_or(0)
            );
            match (t.before_bytes, t.after_bytes, t.ratio()) {
                (Some(before), Some(after), Some(ratio)) => {
                    // A table of a few rows takes a page or two either way.
                    let ratio = if ratio >= 1.0 {
                        format!("{ratio:.1}x smaller")
                    } else {
                        format!("{:.1}x larger", 1.0 / ratio)
                    };
                    format!("{chunks}, {} → {}, {ratio}", mb(before), mb(after))
                }
                _ => chunks,
            }
        };
        text.push_str(&format!(
            "storage:  {:<13} {:>10} ({detail})\n",
            t.name,
            mb(t.bytes)
        ));
    }
    text
}

/// The nodes that hold shards, then each distributed or reference table's shards.
fn citus_lines(layout: &db::citus::Layout) -> String {
    let mut text = String::new();
    for n in &layout.nodes {
        text.push_str(&format!(
            "{}  {}:{}, {} shards, {:.1} MB\n",
            if n.coordinator {
                "coordinator:"
            } else {
                "worker:     "
            },
            n.host,
            n.port,
            n.shards,
            n.bytes as f64 / 1_048_576.0
        ));
    }
    if layout.nodes.iter().all(|n| n.coordinator) {
        text.push_str("worker:      none registered: every shard is on the coordinator\n");
    }
    for t in &layout.tables {
        let how = match t.kind.as_str() {
            "distributed" => format!(
                "distributed by {}, {} shards, co-location group {}",
                t.column_name, t.shards, t.colocation
            ),
            "reference" => "reference table, a copy on every node".to_string(),
            other => format!("{other} table on the coordinator"),
        };
        let columnar = match t.access_method.as_deref() {
            Some("columnar") => ", columnar",
            _ => "",
        };
        text.push_str(&format!("table:    {:<30} {how}{columnar}\n", t.name));
    }
    text
}

fn render(s: &Status, width: Option<u16>) -> String {
    let mut text = format!(
        "database: {}\nserver:   PostgreSQL {}\ntier:     {}{}\n",
        s.database,
        s.server.server_version,
        s.server.tier,
        match (&s.server.citus_version, &s.server.timescaledb_version) {
            (Some(v), _) => format!(" (citus {v})"),
            (None, Some(v)) => format!(" (timescaledb {v})"),
            (None, None) => " (no timescaledb extension)".into(),
        }
    );
    if let Some(note) = &s.server.note {
        text.push_str(&format!("note:     {note}\n"));
    }
    let range = match (s.first_day, s.last_day) {
        (Some(a), Some(b)) => format!(", {a} to {b}"),
        _ => String::new(),
    };
    text.push_str(&format!(
        "prices:   {} rows, {} symbols{range} (as counted by stockdb's loads and refreshes; {})\n",
        output::group(s.rows as u64),
        output::group(s.symbols as u64),
        estimate_check(s.rows, s.estimated_rows)
    ));
    text.push_str(&format!(
        "intraday: {}; roll-ups {}\n",
        match s.intraday_estimated_bars {
            Some(0) => "no bars".to_string(),
            Some(n) => format!(
                "~{} bars (planner estimate)",
                output::group(n.max(0) as u64)
            ),
            None => "? bars (not analyzed yet)".to_string(),
        },
        if s.intraday_stale_ranges == 0 {
            "up to date".to_string()
        } else {
            format!(
                "STALE: {} loaded range(s) not refreshed, run `stockdb refresh`",
                s.intraday_stale_ranges
            )
        }
    ));
    let e = &s.events;
    let days = match (e.first_day, e.last_day) {
        (Some(a), Some(b)) => format!(", trade dates {a} … {b}"),
        _ => String::new(),
    };
    text.push_str(&format!(
        "events:   {} trades, {} quotes{days}; {} duplicate arrivals dropped\n",
        output::group(e.trades as u64),
        output::group(e.quotes as u64),
        output::group(e.dropped as u64),
    ));
    text.push_str(&storage_lines(s));
    if let Some(layout) = &s.citus {
        text.push_str(&citus_lines(layout));
    }
    let kind = match s.aggregates {
        crate::analytics::Aggregates::Continuous => {
            "continuous aggregates, refreshed after each load"
        }
        crate::analytics::Aggregates::Tables => "tables, refreshed inside each load's transaction",
    };
    let stale = s.freshness.first().map_or(0, |f| f.stale_ranges);
    text.push_str(&format!(
        "aggregates: {kind}; {}\n",
        if stale == 0 {
            "up to date".to_string()
        } else {
            format!("STALE: {stale} loaded range(s) not refreshed, run `stockdb refresh`")
        }
    ));
    for f in &s.freshness {
        let mut refresh = String::new();
        if s.aggregates == crate::analytics::Aggregates::Continuous {
            refresh = format!(
                ", refreshed {}, {}",
                f.last_refresh
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| "never".into()),
                f.policy
                    .as_ref()
                    .map(|p| format!("scheduled every {p}"))
                    .unwrap_or_else(|| "not scheduled".into())
            );
        }
        text.push_str(&format!(
            "  {:<17} {:>11} rows, last period {}{refresh}\n",
            f.name,
            f.estimated_rows
                .map(|n| format!("~{}", output::group(n.max(0) as u64)))
                .unwrap_or_else(|| "? (not analyzed)".into()),
            f.last_bucket
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into())
        ));
    }
    if let Some(w) = width {
        text = output::wrap(&text, w as usize) + "\n";
    }
    if !s.by_symbol.is_empty() {
        let mut t = output::table(["symbol", "class", "rows", "first day", "last day"]);
        for r in &s.by_symbol {
            t.add_row(vec![
                Cell::new(&r.symbol),
                Cell::new(r.asset_class.as_deref().unwrap_or("")),
                count(r.rows as u64),
                Cell::new(r.first_day),
                Cell::new(r.last_day),
            ]);
        }
        output::fit_keeping(&mut t, width, &[]);
        text.push_str(&format!("\n{t}\n"));
    }
    if !s.recent_loads.is_empty() {
        let mut t = output::table([
            "run",
            "finished",
            "file",
            "symbol",
            "status",
            "accepted",
            "inserted",
            "updated",
            "unchanged",
            "error",
        ]);
        let opt = |v: Option<i64>| v.map(|v| count(v as u64)).unwrap_or_else(|| Cell::new(""));
        for r in &s.recent_loads {
            let mut error = r.error.clone().unwrap_or_default();
            if error.chars().count() > 60 {
                error = error.chars().take(57).collect::<String>() + "...";
            }
            t.add_row(vec![
                output::right(r.id),
                Cell::new(
                    r.finished_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_else(|| {
                            format!("(started {})", r.started_at.format("%H:%M:%S"))
                        }),
                ),
                Cell::new(&r.path),
                Cell::new(r.symbol.as_deref().unwrap_or("")),
                Cell::new(&r.status),
                opt(r.rows_accepted),
                opt(r.rows_inserted),
                opt(r.rows_updated),
                opt(r.rows_unchanged),
                Cell::new(error),
            ]);
        }
        output::fit_keeping(&mut t, width, &["file", "error"]);
        text.push_str(&format!("\nrecent loads:\n{t}"));
    }
    text.trim_end().to_string()
}
