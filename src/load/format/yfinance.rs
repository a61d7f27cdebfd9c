//! yfinance ≥ 0.2.51 `download().to_csv()`: three header lines, `Price,Close,High,Low,Open,
//! Volume` (maybe `Adj Close`), `Ticker,MSFT,MSFT,...`, `Date,,,,,`. Several tickers side by
//! side are several symbols in one file (not supported yet: refused with their names).

use super::{Head, Layout, Source, symbol_value};
use crate::load::parse::{Header, HeaderError, normalize};

pub fn detect(head: &Head) -> Result<Option<Layout>, HeaderError> {
    let first = |row: usize| head.get(row).and_then(|r| r.first()).map(|n| normalize(n));
    if first(0).as_deref() != Some("price") || first(1).as_deref() != Some("ticker") {
        return Ok(None);
    }
    match first(2).as_deref() {
        Some("date") => {}
        Some("datetime") => {
            return Err(HeaderError::Intraday(
                "a yfinance Datetime index: minute or hour bars".into(),
            ));
        }
        _ => {
            return Err(HeaderError::Layout(
                "a yfinance file needs a third header line starting with Date".into(),
            ));
        }
    }
    let mut tickers: Vec<String> = Vec::new();
    for t in head[1][1..]
        .iter()
        .filter_map(|t| symbol_value(t.as_bytes()))
    {
        if !tickers.contains(&t) {
            tickers.push(t);
        }
    }
    let ticker = match tickers.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(HeaderError::Layout(
                "the yfinance Ticker line is empty".into(),
            ));
        }
        many => {
            return Err(HeaderError::Layout(format!(
                "the yfinance file holds several tickers ({}); files holding several symbols are not supported yet: download one ticker per file",
                many.join(", ")
            )));
        }
    };
    let mut names = head[0].clone();
    names[0] = "Date".into();
    let header = Header::map(names)?.with_names(
        std::iter::once(head[2][0].clone())
            .chain(head[0][1..].iter().cloned())
            .collect(),
    );
    Ok(Some(Layout {
        ticker: Some(ticker),
        ..Layout::new(Source::YFinance, header, 3)
    }))
}
