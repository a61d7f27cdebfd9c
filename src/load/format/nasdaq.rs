//! Nasdaq.com historical quotes: `Date,Close/Last,Volume,Open,High,Low`, prices like `$76.18`,
//! US dates, newest first. The `$` is read by the shared number parser.

use super::{Head, Layout, Source, position};
use crate::load::parse::{Header, HeaderError};

pub fn detect(head: &Head) -> Result<Option<Layout>, HeaderError> {
    let names = &head[0];
    if position(names, &["closelast"]).is_none() {
        return Ok(None);
    }
    Ok(Some(Layout {
        source: Source::Nasdaq,
        header: Header::map(names.clone())?,
        header_rows: 1,
        ticker: None,
        symbol_column: None,
        period_column: None,
        time_column: None,
    }))
}
