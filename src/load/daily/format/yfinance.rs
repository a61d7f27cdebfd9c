//! yfinance ≥ 0.2.51 `download().to_csv()`: three header lines, `Price,Close,High,Low,Open,
//! Volume` (maybe `Adj Close`), `Ticker,MSFT,MSFT,...`, `Date,,,,,` (the first two lines
//! swapped with `group_by="ticker"`). Several tickers side by side are several symbols: each
//! line then holds one row per ticker.

use super::{Head, Layout, Source, symbol_value};
use crate::load::daily::header::{Field, Header, HeaderError};
use crate::load::values::normalize;

pub fn detect(head: &Head) -> Result<Option<Layout>, HeaderError> {
    let first = |row: usize| head.get(row).and_then(|r| r.first()).map(|n| normalize(n));
    // `Price` then `Ticker`; `download(group_by="ticker")` writes `Ticker` first.
    let (fields, tickers) = match (first(0).as_deref(), first(1).as_deref()) {
        (Some("price"), Some("ticker")) => (&head[0], &head[1]),
        (Some("ticker"), Some("price")) => (&head[1], &head[0]),
        _ => return Ok(None),
    };
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
    // What the columns are called in messages: `Date`, then `Close MSFT`, `High MSFT`, ...
    let names: Vec<String> = std::iter::once(head[2][0].clone())
        .chain((1..fields.len()).map(|i| {
            let ticker = tickers.get(i).map_or("", String::as_str);
            format!("{} {ticker}", fields[i]).trim_end().to_string()
        }))
        .collect();
    let mut groups: Vec<(String, Header)> = Vec::new();
    for (i, raw) in tickers.iter().enumerate().skip(1) {
        let Some(ticker) = symbol_value(raw.as_bytes()) else {
            continue;
        };
        let slot = match groups.iter().position(|(t, _)| *t == ticker) {
            Some(slot) => slot,
            None => {
                let mut pos = [None; 7];
                pos[Field::Date as usize] = Some(0);
                groups.push((ticker.clone(), Header::at(names.clone(), pos)));
                groups.len() - 1
            }
        };
        let field = Field::ALL
            .iter()
            .find(|f| f.aliases().contains(&normalize(&fields[i]).as_str()));
        if let Some(field) = field {
            groups[slot]
                .1
                .place(*field, i)
                .map_err(|e| HeaderError::Layout(format!("yfinance ticker {ticker}: {e}")))?;
        }
    }
    if groups.is_empty() {
        return Err(HeaderError::Layout(
            "the yfinance Ticker line is empty".into(),
        ));
    }
    for (ticker, header) in &groups {
        if let Some(missing) = header.missing() {
            return Err(HeaderError::Layout(format!(
                "yfinance ticker {ticker} has no {missing} column"
            )));
        }
    }
    Ok(Some(Layout {
        groups: groups.clone(),
        ..Layout::new(Source::YFinance, groups[0].1.clone(), 3)
    }))
}
