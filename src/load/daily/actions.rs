//! Corporate actions in daily files (issue 23): yfinance `Ticker.history()` exports carry
//! `Dividends` and `Stock Splits` columns beside the prices. Each non-zero value becomes a row
//! of `market.corporate_actions`, written in the file's transaction and checked like the
//! prices. A 0 means none; a file without the column says nothing, so a stored value stays.

use super::header::Header;
use crate::load::files::PriceFile;
use crate::load::job::{ErrorKind, Failure, OnConflict, Outcome};
use crate::load::values::{Problem, decimal_comma, parse_price};
use chrono::NaiveDate;
use csv::ByteRecord;
use sqlx::PgConnection;

/// A dividend or a split (or both) on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Action {
    pub day: NaiveDate,
    /// Cash per share; None: no dividend that day.
    pub dividend: Option<f64>,
    /// New shares per old share; None: no split that day.
    pub split_ratio: Option<f64>,
}

/// The action a row records on `day`, if any; `Err` names the 0-based column at fault.
pub fn read(
    header: &Header,
    record: &ByteRecord,
    day: NaiveDate,
) -> Result<Option<Action>, (Option<usize>, Problem)> {
    let columns = header.actions;
    let value = |column: Option<usize>, parse: fn(&str) -> Option<f64>| {
        let Some(i) = column else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(record.get(i).unwrap_or_default());
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let plain = if header.decimal_comma {
            decimal_comma(text).unwrap_or_else(|| text.to_string())
        } else {
            text.to_string()
        };
        match parse(&plain) {
            Some(0.0) => Ok(None),
            Some(v) if v > 0.0 => Ok(Some(v)),
            _ => Err((
                Some(i),
                Problem::NotANumber {
                    column: header.column_names()[i].clone(),
                    value: text.to_string(),
                },
            )),
        }
    };
    let dividend = value(columns.dividend, parse_price)?;
    let split_ratio = value(columns.split, split_ratio)?;
    Ok(
        (dividend.is_some() || split_ratio.is_some()).then_some(Action {
            day,
            dividend,
            split_ratio,
        }),
    )
}

/// `2.0`, `2:1` or `2/1` → 2 new shares per old one; `1:10` → 0.1 (a reverse split).
fn split_ratio(text: &str) -> Option<f64> {
    match text.split_once([':', '/']) {
        Some((new, old)) => {
            let (new, old) = (parse_price(new.trim())?, parse_price(old.trim())?);
            (old > 0.0).then(|| new / old)
        }
        None => parse_price(text),
    }
}

/// Writes a file's actions for `symbol` in its transaction and checks them: every action of
/// the file is then in the table with its values (or, under `--on-conflict keep`, a stored
/// one was kept). Returns how many the file had.
pub async fn write(
    tx: &mut PgConnection,
    file: &PriceFile,
    symbol: &str,
    actions: &[Action],
    on_conflict: OnConflict,
    run_id: i64,
) -> Result<u64, Failure> {
    if actions.is_empty() {
        return Ok(0);
    }
    let days: Vec<NaiveDate> = actions.iter().map(|a| a.day).collect();
    let dividends: Vec<Option<f64>> = actions.iter().map(|a| a.dividend).collect();
    let splits: Vec<Option<f64>> = actions.iter().map(|a| a.split_ratio).collect();
    let bind = |sql: &'static str| {
        sqlx::query_as::<_, (i64, i64, Option<NaiveDate>)>(sql)
            .bind(symbol)
            .bind(&days)
            .bind(&dividends)
            .bind(&splits)
    };
    let (differing, _, first) = bind(include_str!("sql/actions_check.sql"))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    if on_conflict == OnConflict::Error && differing > 0 {
        return Err(Failure {
            outcome: Outcome::Refused,
            message: format!(
                "{}: the {symbol} dividend or split of {} is already stored with another value; {differing} stored action(s) differ from the file and --on-conflict error refuses it (file refused, nothing loaded)",
                file.path.display(),
                first.map(|d| d.to_string()).unwrap_or_default()
            ),
            kind: ErrorKind::Other,
        });
    }
    let sql = if on_conflict.updates() {
        include_str!("sql/actions_merge.sql")
    } else {
        include_str!("sql/actions_insert.sql")
    };
    sqlx::query(sql)
        .bind(symbol)
        .bind(&days)
        .bind(&dividends)
        .bind(&splits)
        .bind(run_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let (after_differing, matching, _) = bind(include_str!("sql/actions_check.sql"))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| Failure::db(file, e))?;
    let kept = if on_conflict.updates() { 0 } else { differing };
    let n = actions.len() as i64;
    if matching + kept != n || after_differing != kept {
        return Err(Failure {
            outcome: Outcome::RolledBack,
            message: format!(
                "{}: sanity check failed: only {matching} of {} dividends and splits are in market.corporate_actions with identical values; the file was rolled back",
                file.path.display(),
                n - kept
            ),
            kind: ErrorKind::Other,
        });
    }
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_read_as_ratios() {
        assert_eq!(split_ratio("2.0"), Some(2.0));
        assert_eq!(split_ratio("2:1"), Some(2.0));
        assert_eq!(split_ratio("1/10"), Some(0.1));
        assert_eq!(split_ratio("3:0"), None);
        assert_eq!(split_ratio("x"), None);
    }
}
