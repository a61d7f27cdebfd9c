//! Recognising an intraday file from its first lines: which site wrote it (Alpha Vantage,
//! yfinance 1-minute, a generic `datetime` or `Date`+`Time` header) and where each field sits;
//! and the words of a file name that say it is intraday.

use crate::load::stamps::{parse_date_time, parse_stamp};
use crate::load::values::normalize;
use chrono::NaiveTime;

/// Which site's export an intraday file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `timestamp,open,high,low,close,volume`, newest first.
    AlphaVantage,
    /// Three header lines, `Datetime` index with an offset.
    YFinance,
    /// A `datetime` / `timestamp` column or `Date` and `Time` columns, any order.
    Generic,
}

impl Source {
    /// The source as users know it, for `--dry-run`.
    pub fn label(self) -> &'static str {
        match self {
            Source::AlphaVantage => "Alpha Vantage intraday",
            Source::YFinance => "yfinance intraday",
            Source::Generic => "intraday with a datetime header",
        }
    }
}

/// Where each field of an intraday file sits (0-based columns).
#[derive(Debug, Clone)]
pub struct Layout {
    pub source: Source,
    /// Lines before the first bar.
    pub header_rows: usize,
    /// Column names as the messages call them.
    pub names: Vec<String>,
    /// The date and time, or the date when `clock` holds the time.
    pub time: usize,
    pub clock: Option<usize>,
    /// Open, high, low, close, volume.
    pub values: [usize; 5],
    pub symbol_column: Option<usize>,
    /// The ticker a yfinance header line names.
    pub ticker: Option<String>,
}

impl Layout {
    /// `Time=timestamp, Open=open, …`, for `--dry-run`.
    pub fn mapping(&self) -> String {
        let time = match self.clock {
            Some(c) => format!("Time={}+{}", self.names[self.time], self.names[c]),
            None => format!("Time={}", self.names[self.time]),
        };
        let fields = ["Open", "High", "Low", "Close", "Volume"]
            .iter()
            .zip(self.values)
            .map(|(f, i)| format!("{f}={}", self.names[i]));
        std::iter::once(time)
            .chain(fields)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const VALUE_ALIASES: [&[&str]; 5] = [
    &["open"],
    &["high"],
    &["low"],
    &["close", "closelast"],
    &["volume", "vol"],
];

/// The layout when the first lines are an intraday file's, None when they are not (a daily
/// file, or no known shape), `Err` for an intraday file that cannot be read.
pub fn sniff(head: &[Vec<String>]) -> Option<Result<Layout, String>> {
    let first = |row: usize| head.get(row).and_then(|r| r.first()).map(|n| normalize(n));
    let yfinance = match (first(0).as_deref(), first(1).as_deref()) {
        (Some("price"), Some("ticker")) => Some((0, 1)),
        (Some("ticker"), Some("price")) => Some((1, 0)),
        _ => None,
    };
    if let Some((fields, tickers)) = yfinance {
        if first(2).as_deref() != Some("datetime") {
            return None;
        }
        return Some(yfinance_layout(&head[fields], &head[tickers]));
    }
    let names = head.first()?;
    let norm: Vec<String> = names.iter().map(|n| normalize(n)).collect();
    let pos = |aliases: &[&str]| norm.iter().position(|n| aliases.contains(&n.as_str()));
    let (time, clock) = match (
        pos(&["datetime", "timestamp", "date/time"]),
        pos(&["date", "day"]),
        pos(&["time"]),
    ) {
        (Some(t), _, _) => (t, None),
        (None, Some(d), Some(c)) => (d, Some(c)),
        (None, Some(d), None) => (d, None),
        _ => return None,
    };
    // Intraday when a first row has a time of day other than midnight.
    let has_time = head.iter().skip(1).take(20).any(|row| {
        let stamp = match clock {
            Some(c) => row
                .get(time)
                .zip(row.get(c))
                .and_then(|(d, t)| parse_date_time(d, t)),
            None => row.get(time).and_then(|v| parse_stamp(v)),
        };
        stamp.is_some_and(|s| s.local.time() != NaiveTime::MIN)
    });
    if !has_time {
        return None;
    }
    let mut values = [0; 5];
    for (slot, aliases) in values.iter_mut().zip(VALUE_ALIASES) {
        match pos(aliases) {
            Some(i) => *slot = i,
            None => {
                return Some(Err(format!(
                    "an intraday file needs a column named {}; the header has {}",
                    aliases[0],
                    names.join(", ")
                )));
            }
        }
    }
    let source = if norm[time] == "timestamp" {
        Source::AlphaVantage
    } else {
        Source::Generic
    };
    Some(Ok(Layout {
        source,
        header_rows: 1,
        names: names.clone(),
        time,
        clock,
        values,
        symbol_column: pos(&["symbol", "ticker"]),
        ticker: None,
    }))
}

fn yfinance_layout(fields: &[String], tickers: &[String]) -> Result<Layout, String> {
    let mut ticker: Option<String> = None;
    for t in tickers.iter().skip(1).filter(|t| !t.is_empty()) {
        let t = t.to_uppercase();
        match &ticker {
            Some(first) if *first != t => {
                return Err(format!(
                    "a yfinance intraday file with several tickers side by side ({first}, {t}): load one ticker per file"
                ));
            }
            _ => ticker = Some(t),
        }
    }
    let norm: Vec<String> = fields.iter().map(|n| normalize(n)).collect();
    let mut values = [0; 5];
    for (slot, aliases) in values.iter_mut().zip(VALUE_ALIASES) {
        *slot = norm
            .iter()
            .position(|n| aliases.contains(&n.as_str()))
            .ok_or_else(|| format!("the yfinance Price line has no {} column", aliases[0]))?;
    }
    let mut names: Vec<String> = fields.to_vec();
    names[0] = "Datetime".into();
    Ok(Layout {
        source: Source::YFinance,
        header_rows: 3,
        names,
        time: 0,
        clock: None,
        values,
        symbol_column: None,
        ticker,
    })
}

/// Seconds of one resolution word in a file name (`1min`, `15min`, `60min`, `5m`, `1h`,
/// `30sec`), None for any other word.
pub fn resolution_word(word: &str) -> Option<i64> {
    let w = word.to_ascii_lowercase();
    let digits = w.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: i64 = w[..digits].parse().ok()?;
    let unit = match &w[digits..] {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hour" | "hours" => 3600,
        _ => return None,
    };
    (n > 0 && n * unit < 86_400).then_some(n * unit)
}

/// Words of an intraday file's name that say what it is, not whose: `intraday_1min_MSFT`.
pub fn is_intraday_word(word: &str) -> bool {
    resolution_word(word).is_some()
        || matches!(
            word.to_ascii_lowercase().as_str(),
            "intraday" | "extended" | "minute" | "bars" | "ohlcv"
        )
}
