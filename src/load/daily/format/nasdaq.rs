//! Nasdaq.com historical quotes: `Date,Close/Last,Volume,Open,High,Low`, prices like `$76.18`,
//! US dates, newest first. The `$` is read by the shared number parser.

use super::{Head, Layout, Source, position};
use crate::load::daily::header::{Header, HeaderError};

pub fn detect(head: &Head) -> Result<Option<Layout>, HeaderError> {
    let names = &head[0];
    if position(names, &["closelast"]).is_none() {
        return Ok(None);
    }
    Ok(Some(Layout::new(
        Source::Nasdaq,
        Header::map(names.clone())?,
        1,
    )))
}
