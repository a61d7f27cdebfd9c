//! The fields of a JSON-lines event record, read as raw text borrowed from the line, and
//! turned into the text a CSV field would hold.

use crate::load::values::Problem;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The fields of a JSON-lines record that stockdb reads, as their raw JSON text borrowed
/// from the line (other keys are ignored; `null` reads as absent): no map and no string is
/// built per record.
#[derive(serde::Deserialize)]
pub(super) struct JsonRecord<'a> {
    #[serde(borrow)]
    pub event_type: Option<&'a RawValue>,
    #[serde(borrow)]
    pub trade_dt: Option<&'a RawValue>,
    #[serde(borrow)]
    pub file_tm: Option<&'a RawValue>,
    #[serde(borrow)]
    pub arrival_tm: Option<&'a RawValue>,
    #[serde(borrow)]
    pub symbol: Option<&'a RawValue>,
    #[serde(borrow)]
    pub execution_id: Option<&'a RawValue>,
    #[serde(borrow)]
    pub event_tm: Option<&'a RawValue>,
    #[serde(borrow)]
    pub event_seq_nb: Option<&'a RawValue>,
    #[serde(borrow)]
    pub exchange: Option<&'a RawValue>,
    #[serde(borrow)]
    pub price: Option<&'a RawValue>,
    #[serde(borrow)]
    pub size: Option<&'a RawValue>,
    #[serde(borrow)]
    pub bid_pr: Option<&'a RawValue>,
    #[serde(borrow)]
    pub bid_size: Option<&'a RawValue>,
    #[serde(borrow)]
    pub ask_pr: Option<&'a RawValue>,
    #[serde(borrow)]
    pub ask_size: Option<&'a RawValue>,
}

/// A JSON value that must be there: [`scalar`], absent or null being a missing value.
pub(super) fn need<'a>(
    key: &'static str,
    raw: Option<&'a RawValue>,
) -> Result<Cow<'a, str>, (Option<usize>, Problem)> {
    scalar(key, raw)?.ok_or_else(|| (None, Problem::Missing { column: key.into() }))
}

/// A JSON value as the text a CSV field would hold: a string's contents (trimmed), a number's
/// literal; None when absent or null; an object, array or boolean is not a value.
pub(super) fn scalar<'a>(
    key: &'static str,
    raw: Option<&'a RawValue>,
) -> Result<Option<Cow<'a, str>>, (Option<usize>, Problem)> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') if !text.contains('\\') => {
            Ok(Some(Cow::Borrowed(text[1..text.len() - 1].trim())))
        }
        Some(b'"') => {
            let owned: String = serde_json::from_str(text).map_err(|e| {
                (
                    None,
                    Problem::Json {
                        message: e.to_string(),
                    },
                )
            })?;
            Ok(Some(Cow::Owned(owned.trim().to_string())))
        }
        Some(b'n') => Ok(None),
        Some(b'-' | b'0'..=b'9') => Ok(Some(Cow::Borrowed(text))),
        _ => Err((
            None,
            Problem::NotANumber {
                column: key.into(),
                value: text.to_string(),
            },
        )),
    }
}
