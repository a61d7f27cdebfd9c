//! The fields of a record: how each kind of value is read, and what a bad one says.

use crate::load::values::{Problem, VolumeError, parse_date, parse_price, parse_volume};
use chrono::NaiveDate;

/// A field: its 1-based column (None in JSON), its name and its text.
pub(super) type Field<'a> = (Option<usize>, &'a str, &'a str);

/// Why a field is not a value: its 1-based column (None in JSON) and the problem.
pub(super) type FieldError = (Option<usize>, Problem);

/// A CSV field without the whitespace around it (`str::trim`, with ASCII's checked first).
pub(super) fn trim_field(field: &str) -> &str {
    let trimmed = field.trim_ascii();
    let ascii_ends = trimmed.as_bytes().first().is_none_or(u8::is_ascii)
        && trimmed.as_bytes().last().is_none_or(u8::is_ascii);
    if ascii_ends { trimmed } else { trimmed.trim() }
}

/// The field names of a CSV record, by shape and record type.
pub(super) fn names(spark: bool, rec_type: &str) -> &'static [&'static str] {
    match (spark, rec_type) {
        (true, "T") => &[
            "trade_dt",
            "arrival_tm",
            "rec_type",
            "symbol",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "trade_pr",
            "trade_size",
        ],
        (true, _) => &[
            "trade_dt",
            "arrival_tm",
            "rec_type",
            "symbol",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "bid_pr",
            "bid_size",
            "ask_pr",
            "ask_size",
        ],
        (false, "T") => &[
            "trade_dt",
            "rec_type",
            "symbol",
            "execution_id",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "trade_pr",
            "trade_size",
        ],
        (false, _) => &[
            "trade_dt",
            "rec_type",
            "symbol",
            "event_tm",
            "event_seq_nb",
            "exchange",
            "bid_pr",
            "bid_size",
            "ask_pr",
            "ask_size",
        ],
    }
}

pub(super) fn missing(column: Option<usize>, name: &str) -> (Option<usize>, Problem) {
    (
        column,
        Problem::Missing {
            column: name.into(),
        },
    )
}

pub(super) fn date((column, name, value): Field) -> Result<NaiveDate, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    parse_date(value, None).ok_or_else(|| {
        (
            column,
            Problem::NotADate {
                column: name.into(),
                value: value.into(),
                expected: "YYYY-MM-DD".into(),
            },
        )
    })
}

/// A symbol or exchange: not empty, stored as written (upper case).
pub(super) fn text_value((column, name, value): Field) -> Result<String, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    // `to_uppercase` maps each char through Unicode's tables; symbols are mostly ASCII.
    Ok(match value.is_ascii() {
        true => value.to_ascii_uppercase(),
        false => value.to_uppercase(),
    })
}

pub(super) fn price((column, name, value): Field) -> Result<f64, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    parse_price(value).ok_or_else(|| {
        (
            column,
            Problem::NotANumber {
                column: name.into(),
                value: value.into(),
            },
        )
    })
}

/// A sequence number: a whole number of 0 or more.
pub(super) fn whole((column, name, value): Field) -> Result<i64, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            (
                column,
                Problem::NotShares {
                    column: name.into(),
                    value: value.into(),
                },
            )
        })
}

/// A size in shares: a whole number of 0 or more (`100.0` is accepted).
pub(super) fn shares((column, name, value): Field) -> Result<i64, (Option<usize>, Problem)> {
    if value.is_empty() {
        return Err(missing(column, name));
    }
    match parse_volume(value, false) {
        Ok(v) => Ok(v),
        Err(VolumeError::NotANumber) => Err((
            column,
            Problem::NotANumber {
                column: name.into(),
                value: value.into(),
            },
        )),
        Err(_) => Err((
            column,
            Problem::NotShares {
                column: name.into(),
                value: value.into(),
            },
        )),
    }
}
