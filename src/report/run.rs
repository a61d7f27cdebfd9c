//! Running a report: parameter values parsed by their declared type and bound as `$n`
//! (never spliced into the SQL), inside a READ ONLY transaction.

use super::catalog::{ParamType, Report};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{
    AssertSqlSafe, Column, Connection, Executor, PgConnection, Postgres, Row, SqlSafeStr,
    Statement, TypeInfo,
};
use std::collections::BTreeMap;

/// One cell of a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Numeric(Decimal),
    Text(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    TimestampTz(DateTime<Utc>),
}

/// A report's result: column names and rows.
#[derive(Debug, Clone, Default)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// A parameter value, typed.
#[derive(Debug, Clone, PartialEq)]
enum Bound {
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Int(Option<i64>),
    Float(Option<f64>),
}

/// Checks the given values against the report's parameters and parses them by type.
fn bind_values(report: &Report, mut given: BTreeMap<String, String>) -> Result<Vec<Bound>> {
    let mut bound = Vec::new();
    for p in &report.params {
        let value = given.remove(&p.name).or_else(|| p.default.clone());
        if value.is_none() && p.required {
            let flag = match p.name.as_str() {
                "symbol" | "from" | "to" => format!("--{}", p.name),
                other => format!("-p {other}=VALUE"),
            };
            bail!("report {} needs {flag} ({p}: {})", report.name, p.doc);
        }
        let bad =
            |v: &str, what: &str| anyhow::anyhow!("parameter {}: {v:?} is not {what}", p.name);
        bound.push(match p.ty {
            ParamType::Text => Bound::Text(value),
            ParamType::Date => Bound::Date(
                value
                    .map(|v| {
                        crate::load::values::parse_date(v.trim(), None)
                            .ok_or_else(|| bad(&v, "a date (YYYY-MM-DD)"))
                    })
                    .transpose()?,
            ),
            ParamType::Int => Bound::Int(
                value
                    .map(|v| v.trim().parse::<i64>().map_err(|_| bad(&v, "an integer")))
                    .transpose()?,
            ),
            ParamType::Float => Bound::Float(
                value
                    .map(|v| {
                        v.trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .ok_or_else(|| bad(&v, "a number"))
                    })
                    .transpose()?,
            ),
        });
    }
    if let Some(name) = given.keys().next() {
        let declared: Vec<String> = report.params.iter().map(|p| p.name.clone()).collect();
        bail!(
            "report {} has no parameter {name} (it takes: {})",
            report.name,
            if declared.is_empty() {
                "none".into()
            } else {
                declared.join(", ")
            }
        );
    }
    Ok(bound)
}

fn bind<'q>(
    mut q: Query<'q, Postgres, PgArguments>,
    values: &'q [Bound],
) -> Query<'q, Postgres, PgArguments> {
    for v in values {
        q = match v {
            Bound::Text(v) => q.bind(v),
            Bound::Date(v) => q.bind(v),
            Bound::Int(v) => q.bind(v),
            Bound::Float(v) => q.bind(v),
        };
    }
    q
}

/// Where a report's rows go as they arrive: the column names first, then each row.
pub trait RowSink {
    /// The result's column names, given once before the first row (or alone, with no rows).
    fn columns(&mut self, columns: Vec<String>) -> Result<()>;
    /// One row, in the query's order.
    fn row(&mut self, row: Vec<Value>) -> Result<()>;
}

impl RowSink for ResultSet {
    fn columns(&mut self, columns: Vec<String>) -> Result<()> {
        self.columns = columns;
        Ok(())
    }
    fn row(&mut self, row: Vec<Value>) -> Result<()> {
        self.rows.push(row);
        Ok(())
    }
}

/// Runs the report with the given parameter values in a READ ONLY transaction.
pub async fn run(
    conn: &mut PgConnection,
    report: &Report,
    given: BTreeMap<String, String>,
) -> Result<ResultSet> {
    let mut result = ResultSet::default();
    stream(conn, report, given, &mut result).await?;
    Ok(result)
}

/// Runs the report like [`run`] but hands each row to `sink` as the server sends it, so a
/// result of millions of rows is never held. Returns the number of rows.
pub async fn stream(
    conn: &mut PgConnection,
    report: &Report,
    given: BTreeMap<String, String>,
    sink: &mut impl RowSink,
) -> Result<u64> {
    let values = bind_values(report, given)?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    for (name, value) in &report.settings {
        // Local to this transaction: the connection is back to its defaults afterwards.
        sqlx::query("SELECT set_config($1, $2, true)")
            .bind(name)
            .bind(value)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("report {}: setting {name} = {value}", report.name))?;
    }
    let sql = report.sql.trim().trim_end_matches(';').to_string();
    let failed = || format!("report {} ({}) failed", report.name, report.source);
    let mut n = 0u64;
    {
        let mut rows = bind(sqlx::query(AssertSqlSafe(sql.clone())), &values).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.with_context(failed)? {
            if n == 0 {
                sink.columns(row.columns().iter().map(|c| c.name().to_string()).collect())?;
            }
            sink.row(decode_row(&row)?)?;
            n += 1;
        }
    }
    if n == 0 {
        // No row to read the names from: ask the server (CSV and tables still get a header).
        let statement = (&mut *tx)
            .prepare(AssertSqlSafe(sql).into_sql_str())
            .await?;
        sink.columns(
            statement
                .columns()
                .iter()
                .map(|c| c.name().to_string())
                .collect(),
        )?;
    }
    tx.rollback().await.ok();
    Ok(n)
}

fn decode_row(row: &PgRow) -> Result<Vec<Value>> {
    row.columns()
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let v = match col.type_info().name() {
                "BOOL" => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
                "INT2" => row.try_get::<Option<i16>, _>(i)?.map(|v| Value::Int(v.into())),
                "INT4" => row.try_get::<Option<i32>, _>(i)?.map(|v| Value::Int(v.into())),
                "INT8" => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                "FLOAT4" => row.try_get::<Option<f32>, _>(i)?.map(|v| Value::Float(v.into())),
                "FLOAT8" => row.try_get::<Option<f64>, _>(i)?.map(Value::Float),
                "NUMERIC" => row.try_get::<Option<Decimal>, _>(i)?.map(Value::Numeric),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" => {
                    row.try_get::<Option<String>, _>(i)?.map(Value::Text)
                }
                "DATE" => row.try_get::<Option<NaiveDate>, _>(i)?.map(Value::Date),
                "TIMESTAMP" => row.try_get::<Option<NaiveDateTime>, _>(i)?.map(Value::Timestamp),
                "TIMESTAMPTZ" => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(Value::TimestampTz),
                other => bail!(
                    "column {} has type {other}, which stockdb cannot print; cast it in the query (e.g. {}::text)",
                    col.name(),
                    col.name()
                ),
            };
            Ok(v.unwrap_or(Value::Null))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::catalog::parse;

    fn report() -> Report {
        parse(
            "-- name: r\n-- param: symbol text required - s\n-- param: from date optional\n\
             -- param: width float optional=0.01\nSELECT 1",
            "r",
            "r.sql",
        )
        .unwrap()
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_typed_and_defaults_apply() {
        let b = bind_values(
            &report(),
            given(&[("symbol", "MSFT"), ("from", "2020-01-02")]),
        )
        .unwrap();
        assert_eq!(b[0], Bound::Text(Some("MSFT".into())));
        assert_eq!(b[1], Bound::Date(NaiveDate::from_ymd_opt(2020, 1, 2)));
        assert_eq!(b[2], Bound::Float(Some(0.01)));
    }

    #[test]
    fn missing_mistyped_and_unknown_parameters_are_errors() {
        let err = bind_values(&report(), given(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "report r needs --symbol (symbol text required: s)"
        );
        let err =
            bind_values(&report(), given(&[("symbol", "X"), ("from", "2020-13-01")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter from: \"2020-13-01\" is not a date (YYYY-MM-DD)"
        );
        let err = bind_values(&report(), given(&[("symbol", "X"), ("width", "wide")])).unwrap_err();
        assert_eq!(err.to_string(), "parameter width: \"wide\" is not a number");
        let err = bind_values(&report(), given(&[("symbol", "X"), ("colour", "red")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "report r has no parameter colour (it takes: symbol, from, width)"
        );
    }
}
