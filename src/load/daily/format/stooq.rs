//! Stooq: `<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>`, dates as
//! `YYYYMMDD`, `AAPL.US` meaning AAPL. Only `<PER>` D is daily; W and M are refused.

use super::{Head, Layout, Source, position};
use crate::load::daily::header::{Header, HeaderError};
use crate::load::values::Dates;

pub fn detect(head: &Head) -> Result<Option<Layout>, HeaderError> {
    let names = &head[0];
    if !names.first().is_some_and(|n| n.starts_with('<')) {
        return Ok(None);
    }
    let mut header = Header::map(names.clone())?;
    header.dates = Dates::Compact;
    Ok(Some(Layout {
        symbol_column: position(names, &["ticker"]),
        period_column: position(names, &["per"]),
        time_column: position(names, &["time"]),
        ..Layout::new(Source::Stooq, header, 1)
    }))
}
