//! Printing a result: a comfy-table for people (numbers right-aligned and rounded), and
//! exact CSV, JSON and Markdown for other tools.

use super::run::{ResultSet, RowSink, Value};
use crate::output;
use comfy_table::{Cell, CellAlignment};
use std::io::Write;
use std::time::Instant;

/// Output formats of `stockdb report`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A table for people: prices rounded, volumes grouped.
    #[default]
    Table,
    /// CSV with exact values.
    Csv,
    /// A JSON array of objects with exact values.
    Json,
    /// A Markdown table (exact values).
    Markdown,
}

impl ReportFormat {
    /// True for the formats printed row by row as they arrive ([`Streamed`]).
    pub fn streams(self) -> bool {
        matches!(self, ReportFormat::Csv | ReportFormat::Json)
    }
}

/// Renders the result in the format; a table fits `width` columns when given (a terminal).
pub fn render(rs: &ResultSet, format: ReportFormat, width: Option<u16>) -> anyhow::Result<String> {
    Ok(match format {
        ReportFormat::Table => table(rs, width),
        ReportFormat::Csv => csv(rs)?,
        ReportFormat::Json => json(rs)?,
        ReportFormat::Markdown => markdown(rs),
    })
}

/// The exact text of a value (CSV, Markdown): shortest round-trip floats, ISO dates.
fn exact(v: &Value) -> String {
    let mut text = String::new();
    write_exact(&mut text, v);
    text
}

/// [`exact`] appended to `out`, so that a streamed report reuses one buffer for every field.
fn write_exact(out: &mut String, v: &Value) {
    use std::fmt::Write as _;
    // Writing into a String cannot fail.
    let _ = match v {
        Value::Null => Ok(()),
        Value::Bool(b) => write!(out, "{b}"),
        Value::Int(i) => write!(out, "{i}"),
        Value::Float(f) => write!(out, "{f}"),
        Value::Numeric(d) => write!(out, "{d}"),
        Value::Text(t) => out.write_str(t),
        Value::Date(d) => write!(out, "{d}"),
        Value::Timestamp(t) => write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.f")),
        Value::TimestampTz(t) => out.write_str(&t.to_rfc3339()),
    };
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_) | Value::Numeric(_))
}

/// Rounded for reading: volumes and counts grouped, prices to 2 (>= 1000) or 4 decimals.
fn readable(column: &str, v: &Value) -> String {
    let volume_like = column.contains("volume") || column.ends_with("days") || column == "rows";
    match v {
        Value::Int(i) if *i >= 0 => output::group(*i as u64),
        Value::Float(f) if volume_like && f.is_finite() && *f >= 0.0 => {
            output::group(f.round() as u64)
        }
        Value::Float(f) if f.abs() >= 1000.0 => format!("{f:.2}"),
        Value::Float(f) => format!("{f:.4}"),
        Value::Numeric(d) => d.round_dp(4).normalize().to_string(),
        Value::Timestamp(t) => t.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
        Value::TimestampTz(t) => t.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
        other => exact(other),
    }
}

/// A table for people. On a terminal too narrow for it, the headers wrap at their
/// underscores; if it is still too wide, each row is printed as a block of `column │ value`
/// lines (psql's expanded display), so that no value is ever cut in two.
fn table(rs: &ResultSet, width: Option<u16>) -> String {
    if rs.columns.is_empty() {
        return "(no rows)".to_string();
    }
    let cells: Vec<Vec<Cell>> = rs
        .rows
        .iter()
        .map(|row| {
            rs.columns
                .iter()
                .zip(row)
                .map(|(c, v)| {
                    let cell = Cell::new(readable(c, v));
                    if is_number(v) {
                        cell.set_alignment(CellAlignment::Right)
                    } else {
                        cell
                    }
                })
                .collect()
        })
        .collect();
    let build = |header: Vec<String>| {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_header(header);
        for row in &cells {
            t.add_row(row.clone());
        }
        t
    };
    let mut t = build(rs.columns.clone());
    if let Some(w) = width
        && output::natural_width(&t) > w
    {
        t = build(rs.columns.iter().map(|c| c.replace('_', " ")).collect());
        if output::natural_width_wrapped(&t) > w {
            return expanded(rs, w);
        }
        output::fit_keeping(&mut t, Some(w), &[]);
    }
    if rs.rows.is_empty() {
        return format!("{t}\n(no rows)");
    }
    let n = rs.rows.len();
    format!("{t}\n({n} row{})", if n == 1 { "" } else { "s" })
}

/// Each row as a block of `column │ value` lines under a `─[ row N ]─` rule.
fn expanded(rs: &ResultSet, width: u16) -> String {
    let name_width = rs
        .columns
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, row) in rs.rows.iter().enumerate() {
        let title = format!("─[ row {} ]", i + 1);
        let rule = (width as usize)
            .saturating_sub(title.chars().count())
            .min(40);
        out.push_str(&format!("{title}{}\n", "─".repeat(rule)));
        for (c, v) in rs.columns.iter().zip(row) {
            out.push_str(&format!("{c:<name_width$} │ {}\n", readable(c, v)));
        }
    }
    let n = rs.rows.len();
    out.push_str(&format!("({n} row{})", if n == 1 { "" } else { "s" }));
    out
}

fn csv(rs: &ResultSet) -> anyhow::Result<String> {
    streamed_text(rs, ReportFormat::Csv)
}

fn json(rs: &ResultSet) -> anyhow::Result<String> {
    streamed_text(rs, ReportFormat::Json)
}

/// A collected result through the same writer that streams (one definition of each format).
fn streamed_text(rs: &ResultSet, format: ReportFormat) -> anyhow::Result<String> {
    let mut w = Streamed::new(format, Vec::new())?;
    w.columns(rs.columns.clone())?;
    for row in &rs.rows {
        w.row(row.clone())?;
    }
    Ok(String::from_utf8(w.finish()?)?.trim_end().to_string())
}

/// CSV or JSON written row by row as a report's rows arrive: the formats that need no column
/// widths, so `weekly_average` over every symbol starts printing at once and holds no result.
pub struct Streamed<W: Write> {
    out: Writer<W>,
    columns: Vec<String>,
    rows: u64,
    first_row: Option<Instant>,
    /// One CSV field's text, reused for every field.
    field: String,
}

enum Writer<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json(W),
}

impl<W: Write> Streamed<W> {
    /// A writer of `format`, which must be CSV or JSON.
    pub fn new(format: ReportFormat, out: W) -> anyhow::Result<Self> {
        let out = match format {
            ReportFormat::Csv => Writer::Csv(Box::new(csv::Writer::from_writer(out))),
            ReportFormat::Json => Writer::Json(out),
            other => anyhow::bail!("{other:?} needs the whole result to align its columns"),
        };
        Ok(Self {
            out,
            columns: Vec::new(),
            rows: 0,
            first_row: None,
            field: String::new(),
        })
    }

    /// When the first row arrived (for `--timing`).
    pub fn first_row(&self) -> Option<Instant> {
        self.first_row
    }

    /// Ends the output (JSON's closing bracket) and hands back the writer, flushed.
    pub fn finish(self) -> anyhow::Result<W> {
        let mut out = match self.out {
            Writer::Csv(w) => w.into_inner().map_err(|e| e.into_error())?,
            Writer::Json(mut w) => {
                w.write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                w
            }
        };
        out.flush()?;
        Ok(out)
    }
}

impl<W: Write> RowSink for Streamed<W> {
    fn columns(&mut self, columns: Vec<String>) -> anyhow::Result<()> {
        if let Writer::Csv(w) = &mut self.out {
            w.write_record(&columns)?;
        }
        self.columns = columns;
        Ok(())
    }

    fn row(&mut self, row: Vec<Value>) -> anyhow::Result<()> {
        self.first_row.get_or_insert_with(Instant::now);
        match &mut self.out {
            Writer::Csv(w) => {
                for v in &row {
                    self.field.clear();
                    write_exact(&mut self.field, v);
                    w.write_field(&self.field)?;
                }
                w.write_record(std::iter::empty::<&[u8]>())?;
            }
            Writer::Json(w) => {
                // Laid out as serde_json pretty-prints an array of these objects.
                let object = serde_json::to_string_pretty(&json_object(&self.columns, row))?;
                let sep = if self.rows == 0 { "[\n  " } else { ",\n  " };
                write!(w, "{sep}{}", object.replace('\n', "\n  "))?;
            }
        }
        self.rows += 1;
        Ok(())
    }
}

fn json_object(columns: &[String], row: Vec<Value>) -> serde_json::Value {
    use serde_json::{Map, Value as J};
    let obj: Map<String, J> = columns
        .iter()
        .zip(row)
        .map(|(c, v)| {
            let j = match v {
                Value::Null => J::Null,
                Value::Bool(b) => J::Bool(b),
                Value::Int(i) => J::from(i),
                Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
                // A decimal keeps every digit as a string; a float would round it.
                Value::Numeric(d) => J::String(d.to_string()),
                other => J::String(exact(&other)),
            };
            (c.clone(), j)
        })
        .collect();
    J::Object(obj)
}

fn markdown(rs: &ResultSet) -> String {
    let escape = |s: String| s.replace('|', "\\|");
    let mut out = format!("| {} |\n|", rs.columns.join(" | "));
    for i in 0..rs.columns.len() {
        let numeric = rs.rows.first().is_some_and(|r| is_number(&r[i]));
        out.push_str(if numeric { " ---: |" } else { " --- |" });
    }
    for row in &rs.rows {
        out.push_str("\n| ");
        out.push_str(
            &row.iter()
                .map(|v| escape(exact(v)))
                .collect::<Vec<_>>()
                .join(" | "),
        );
        out.push_str(" |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs() -> ResultSet {
        ResultSet {
            columns: vec![
                "symbol".into(),
                "avg_high".into(),
                "avg_volume".into(),
                "note".into(),
            ],
            rows: vec![vec![
                Value::Text("MSFT".into()),
                Value::Float(101.123456789),
                Value::Float(23586000.5),
                Value::Null,
            ]],
        }
    }

    #[test]
    fn csv_and_json_are_exact() {
        assert_eq!(
            csv(&rs()).unwrap(),
            "symbol,avg_high,avg_volume,note\nMSFT,101.123456789,23586000.5,"
        );
        let j: serde_json::Value = serde_json::from_str(&json(&rs()).unwrap()).unwrap();
        assert_eq!(j[0]["avg_high"], 101.123456789);
        assert_eq!(j[0]["note"], serde_json::Value::Null);
    }

    #[test]
    fn streamed_json_is_laid_out_as_a_pretty_printed_array() {
        let mut two = rs();
        two.rows.push(two.rows[0].clone());
        for set in [
            two,
            ResultSet {
                rows: vec![],
                ..rs()
            },
        ] {
            let objects: Vec<serde_json::Value> = set
                .rows
                .iter()
                .map(|r| json_object(&set.columns, r.clone()))
                .collect();
            assert_eq!(
                json(&set).unwrap(),
                serde_json::to_string_pretty(&objects).unwrap()
            );
        }
    }

    #[test]
    fn table_rounds_prices_and_groups_volumes() {
        let t = table(&rs(), None);
        assert!(t.contains("101.1235"), "{t}");
        assert!(t.contains("23,586,001"), "{t}");
        assert!(t.ends_with("(1 row)"), "{t}");
    }

    #[test]
    fn tables_fit_the_terminal_without_cutting_a_value() {
        let wide = table(&rs(), None);
        let longest = wide.lines().map(|l| l.chars().count()).max().unwrap();
        // Narrower than the table: headers wrap at underscores, values stay whole.
        let narrower = table(&rs(), Some(longest as u16 - 4));
        assert!(
            narrower.lines().all(|l| l.chars().count() <= longest - 4),
            "{narrower}"
        );
        assert!(
            narrower.contains("23,586,001") && narrower.contains("101.1235"),
            "{narrower}"
        );
        // Far too narrow for any table: one block per row.
        let blocks = table(&rs(), Some(30));
        assert!(blocks.lines().all(|l| l.chars().count() <= 30), "{blocks}");
        assert!(blocks.contains("avg_volume │ 23,586,001"), "{blocks}");
        assert!(blocks.ends_with("(1 row)"), "{blocks}");
    }

    #[test]
    fn markdown_aligns_numbers_right() {
        let m = markdown(&rs());
        assert!(
            m.starts_with("| symbol | avg_high | avg_volume | note |\n| --- | ---: | ---: | --- |"),
            "{m}"
        );
    }
}
