//! What a load is asked to read: one price file with its symbol, asset class and kind, and
//! the symbol rule every kind shares. Discovery fills these in; the kinds and the job read them.

use anyhow::{Result, bail};
use serde::Serialize;
use std::path::PathBuf;

/// Longest symbol `market.symbols` accepts.
pub const MAX_SYMBOL_LEN: usize = 32;

/// stock or etf, from the folder (`stocks/`, `etfs/`) or the metadata's ETF flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetClass {
    Stock,
    Etf,
}

impl AssetClass {
    /// The value stored in `market.symbols.asset_class`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetClass::Stock => "stock",
            AssetClass::Etf => "etf",
        }
    }
}

/// One price file to load.
#[derive(Debug, Clone)]
pub struct PriceFile {
    pub path: PathBuf,
    pub symbol: String,
    pub asset_class: Option<AssetClass>,
    /// True when the symbol comes from the file's content (a ticker line or column).
    pub symbol_in_file: bool,
    /// True when the file names a symbol on each row and may hold several symbols.
    pub symbol_per_row: bool,
    /// Daily prices or intraday bars, recognised from the first lines.
    pub kind: Kind,
    /// Event files: the largest of the run whose first records hold its (trade date,
    /// exchange), which tries the copy path (`events::choose_copy_files`).
    pub copy_first: bool,
}

/// What a price file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Daily,
    /// Bars with a time of day (`market.intraday_bars`).
    Intraday,
    /// Trade and quote records (`market.trades`, `market.quotes`).
    Events,
}

/// A symbol as stored: trimmed, upper case, 1 to 32 printable characters without spaces or commas.
pub fn check_symbol(symbol: &str) -> Result<String> {
    let s = symbol.trim().to_uppercase();
    if s.is_empty() {
        bail!("the symbol is empty");
    }
    if s.chars().count() > MAX_SYMBOL_LEN {
        bail!("the symbol {s:?} is longer than {MAX_SYMBOL_LEN} characters");
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == ',')
    {
        bail!("the symbol {s:?} contains {c:?}");
    }
    Ok(s)
}
