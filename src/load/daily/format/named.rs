//! A header naming the columns: Yahoo (`Date,Open,High,Low,Close,Adj Close,Volume`), Kaggle,
//! Alpha Vantage (`timestamp,...`), `.us.txt` (with `OpenInt`), and long files with a
//! `Symbol`, `Ticker` or `Name` column (Kaggle's `all_stocks_5yr.csv`). The fallback: its
//! error is the one a file fitting no format gets.

use super::{Layout, Source, position};
use crate::load::daily::header::{Header, HeaderError};

/// Names of a column holding each row's symbol, most specific first.
const SYMBOL_COLUMNS: [&[&str]; 3] = [&["symbol"], &["ticker"], &["name"]];

/// The layout of a header line; `Missing` when a required column is absent.
pub fn detect(names: Vec<String>) -> Result<Layout, HeaderError> {
    let symbol_column = SYMBOL_COLUMNS.iter().find_map(|a| position(&names, a));
    Ok(Layout {
        symbol_column,
        ..Layout::new(Source::Named, Header::map(names)?, 1)
    })
}
