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
    /// A piece of a followed file (`load --follow`): the real file the piece was cut from,
    /// while `path` names the spooled piece the kind reads.
    pub piece: Option<Piece>,
}

/// Where a spooled piece of a followed file (its header line, then whole lines) came from,
/// and the mark to store with its rows (`market.follow_offsets`).
#[derive(Debug, Clone)]
pub struct Piece {
    /// The followed file (`-` for standard input) as reports and records name it.
    pub source: PathBuf,
    /// The source's line of the piece's first line after the header.
    pub first_line: u64,
    /// The follow's row in `market.follow_offsets`; None for standard input, which cannot
    /// be read again from a stored offset.
    pub key: Option<String>,
    /// The source's byte offset and line after the piece, and its inode (0 for a pipe).
    pub end_offset: u64,
    pub end_line: u64,
    pub inode: u64,
}

impl PriceFile {
    /// The path reports and records name: the followed file for a piece of one.
    pub fn shown_path(&self) -> &std::path::Path {
        self.piece.as_ref().map_or(&self.path, |p| &p.source)
    }

    /// The lines of a piece's rejected rows as lines of the followed file.
    pub fn source_lines(&self, mut rows: Vec<super::values::BadRow>) -> Vec<super::values::BadRow> {
        if let Some(piece) = &self.piece {
            for row in &mut rows {
                row.line = piece.source_line(row.line);
            }
        }
        rows
    }

    /// A kind's message about a spooled piece, as a message about the followed file: the
    /// piece's path becomes the source's, and the `path:line` that starts a refusal the
    /// source's line.
    pub fn about_source(&self, message: String) -> String {
        let Some(piece) = &self.piece else {
            return message;
        };
        let spool = self.path.display().to_string();
        let source = piece.source.display().to_string();
        let message = message.replace(
            "file refused, nothing loaded",
            "these lines refused, nothing of them loaded; the lines committed before stay",
        );
        let Some(rest) = message.strip_prefix(&format!("{spool}:")) else {
            return message.replace(&spool, &source);
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let line = rest[..digits].parse::<u64>().ok();
        let rest = rest[digits..].replace(&spool, &source);
        match line {
            Some(line) => format!("{source}:{}{rest}", piece.source_line(line)),
            None => format!("{source}:{rest}"),
        }
    }
}

impl Piece {
    /// The followed file's line of the piece's `line` (the piece's line 1 is the header, its
    /// line 2 the source's `first_line`).
    pub fn source_line(&self, line: u64) -> u64 {
        match line {
            0 | 1 => line,
            n => n - 2 + self.first_line,
        }
    }
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

/// A symbol as stored: trimmed, upper case, in [`canonical_symbol`] form, 1 to 32 printable
/// characters without spaces or commas.
pub fn check_symbol(symbol: &str) -> Result<String> {
    let s = canonical_symbol(symbol);
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

/// One form for a share class, whoever wrote it: Polygon and Databento write `BRK.A`, Yahoo
/// `BRK-A`, NYSE TAQ `BRK A`, Nasdaq's CQS files `BRK/A`; stored as `BRK.A`. The rule: a root
/// of letters and digits, one separator (`.`, `-`, space or `/`), then a class suffix of one
/// or two letters. Anything else is left as written (upper case): `BTC-USD`, `^GSPC`, `BRK_B`.
pub fn canonical_symbol(symbol: &str) -> String {
    let s = symbol.trim().to_uppercase();
    let Some(at) = s.find(['.', '-', ' ', '/']) else {
        return s;
    };
    let (root, suffix) = (&s[..at], &s[at + 1..]);
    let is_class =
        (1..=2).contains(&suffix.len()) && suffix.bytes().all(|b| b.is_ascii_uppercase());
    let is_root = !root.is_empty() && root.bytes().all(|b| b.is_ascii_alphanumeric());
    if is_class && is_root {
        format!("{root}.{suffix}")
    } else {
        s
    }
}

/// The trading day a file's name gives: `2024-03-08.csv.gz`, `xnas-itch-20240308.ohlcv-1m.csv`.
pub fn day_of_name(path: &std::path::Path) -> Option<chrono::NaiveDate> {
    let name = path.file_name()?.to_string_lossy().to_string();
    let bytes = name.as_bytes();
    for start in 0..bytes.len() {
        // Not inside a longer run of digits.
        if start > 0 && bytes[start - 1].is_ascii_digit() {
            continue;
        }
        for (len, format) in [(10, "%Y-%m-%d"), (8, "%Y%m%d")] {
            let Some(candidate) = name.get(start..start + len) else {
                continue;
            };
            if bytes.get(start + len).is_some_and(u8::is_ascii_digit) {
                continue;
            }
            if let Ok(day) = chrono::NaiveDate::parse_from_str(candidate, format)
                && (1900..2200).contains(&chrono::Datelike::year(&day))
            {
                return Some(day);
            }
        }
    }
    None
}

/// Which day files a load takes (`--from`, `--to`), by the day in their names; files whose
/// name has no day are taken.
#[derive(Debug, Clone, Copy, Default)]
pub struct DayRange {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

impl DayRange {
    /// True when the file is to be loaded.
    pub fn admits(&self, path: &std::path::Path) -> bool {
        match day_of_name(path) {
            Some(day) => self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_classes_meet_in_one_symbol() {
        for written in ["BRK.A", "BRK-A", "BRK A", "BRK/A", "brk-a", " BRK.A "] {
            assert_eq!(canonical_symbol(written), "BRK.A", "{written:?}");
        }
        assert_eq!(check_symbol("BRK A").unwrap(), "BRK.A");
        for kept in ["BTC-USD", "^GSPC", "BRK_B", "AAPL", "ES=F", "A-B-C"] {
            assert_eq!(canonical_symbol(kept), kept);
        }
    }

    #[test]
    fn days_in_file_names() {
        let d = |s| day_of_name(std::path::Path::new(s));
        let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 8);
        assert_eq!(
            d("us_stocks_sip/minute_aggs_v1/2024/03/2024-03-08.csv.gz"),
            day
        );
        assert_eq!(d("xnas-itch-20240308.ohlcv-1m.csv"), day);
        assert_eq!(d("EQY_US_ALL_TRADE_20240308"), day);
        assert_eq!(d("MSFT.csv"), None);
        assert_eq!(d("x-202403081.csv"), None);
    }

    #[test]
    fn a_pieces_messages_name_the_followed_file_and_its_lines() {
        let file = PriceFile {
            path: "/tmp/spool/trades.csv".into(),
            symbol: String::new(),
            asset_class: None,
            symbol_in_file: true,
            symbol_per_row: true,
            kind: Kind::Events,
            copy_first: false,
            piece: Some(Piece {
                source: "feed/trades.csv".into(),
                first_line: 1001,
                key: None,
                end_offset: 0,
                end_line: 0,
                inode: 0,
            }),
        };
        // The piece's line 3 is its second line after the header: the source's 1002.
        assert_eq!(
            file.about_source(
                "/tmp/spool/trades.csv:3:7: price (file refused, nothing loaded)".into()
            ),
            "feed/trades.csv:1002:7: price (these lines refused, nothing of them loaded; the lines committed before stay)"
        );
        assert_eq!(
            file.about_source("/tmp/spool/trades.csv: database error".into()),
            "feed/trades.csv: database error"
        );
        assert_eq!(file.piece.as_ref().unwrap().source_line(1), 1);
        assert_eq!(file.piece.as_ref().unwrap().source_line(2), 1001);
    }
}
