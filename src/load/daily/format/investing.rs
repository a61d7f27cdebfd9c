//! Investing.com exports: `"Date","Price","Open","High","Low","Vol.","Change %"`, every field
//! quoted, a BOM, CRLF, newest first; `Price` is the close, dates like `Dec 31, 2018`,
//! volumes like `20.58M` or `-` (none reported).

use super::{Head, Layout, Source, dates_of, position};
use crate::load::daily::header::{Field, Header, HeaderError};
use crate::load::values::normalize;

pub fn detect(head: &Head) -> Result<Option<Layout>, HeaderError> {
    let names = &head[0];
    let has = |aliases: &[&str]| position(names, aliases).is_some();
    if !(has(&["price"]) && has(&["change"]) && !has(&["close"])) {
        return Ok(None);
    }
    let renamed: Vec<String> = names
        .iter()
        .map(|n| match normalize(n).as_str() {
            "price" => "Close".to_string(),
            _ => n.clone(),
        })
        .collect();
    let mut header = Header::map(renamed)?.with_names(names.clone());
    header.dates = dates_of(
        head.get(1)
            .and_then(|row| row.get(header.column(Field::Date)?)),
    );
    header.dash_volume = true;
    Ok(Some(Layout::new(Source::Investing, header, 1)))
}
