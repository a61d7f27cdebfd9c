//! Headerless symbol-first rows, as Spark jobs write them:
//! `ADT,2018-01-19,12.65,12.97,12.0,12.39,10.97,68187400` (symbol, date, open, high, low,
//! close, adj close, volume), or the same without adj close (7 fields).

use super::{Head, Layout, Source, is_day};
use crate::load::daily::header::{Header, HeaderError};

pub fn detect(head: &Head) -> Result<Option<Layout>, HeaderError> {
    let row = &head[0];
    let symbol_like = row
        .first()
        .is_some_and(|s| s.chars().any(|c| c.is_ascii_alphabetic()) && !is_day(s));
    if !matches!(row.len(), 7 | 8) || !symbol_like || !is_day(&row[1]) {
        return Ok(None);
    }
    let adj = row.len() == 8;
    let names: Vec<String> = ["symbol", "date", "open", "high", "low", "close"]
        .into_iter()
        .chain(adj.then_some("adj close"))
        .chain(["volume"])
        .map(String::from)
        .collect();
    Ok(Some(Layout {
        symbol_column: Some(0),
        ..Layout::new(Source::Headerless, Header::map(names)?, 0)
    }))
}
