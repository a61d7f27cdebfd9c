//! Reading field values, for every kind: prices, volumes, dates, header names, and the
//! catalog of bad-row problems with their messages (`fixtures/bad/README.md`).

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Header names compare by their letters and digits only, case-insensitively: `Adj Close` =
/// `adj_close`, `Close/Last` = `closelast`, `<VOL>` = `Vol.` = `vol`.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a file writes its dates (`--date-format` overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dates {
    /// ISO `YYYY-MM-DD` or US `M/D/YYYY`; a midnight time after an ISO date is allowed.
    #[default]
    IsoOrUs,
    /// `YYYYMMDD` (Stooq).
    Compact,
    /// `Dec 31, 2018` (Investing.com).
    MonthName,
    /// `31.12.2018` or `31/12/2018`, day first (European spreadsheets); ISO dates too.
    DayFirst,
}

impl Dates {
    /// How the dates look, for messages and `--dry-run`.
    pub fn label(self) -> &'static str {
        match self {
            Dates::IsoOrUs => "YYYY-MM-DD or M/D/YYYY",
            Dates::Compact => "YYYYMMDD",
            Dates::MonthName => "Mon D, YYYY",
            Dates::DayFirst => "DD.MM.YYYY or DD/MM/YYYY (day first)",
        }
    }
}

/// What is wrong with a bad row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    FieldCount {
        expected: usize,
        found: usize,
        /// A field spans lines: most likely a quote that is never closed.
        multiline: bool,
    },
    NoValues,
    Blank,
    NotUtf8 {
        column: String,
    },
    Missing {
        column: String,
    },
    NotANumber {
        column: String,
        value: String,
    },
    NotADate {
        column: String,
        value: String,
        expected: String,
    },
    DuplicateDate {
        day: NaiveDate,
        first_line: u64,
    },
    FractionalVolume {
        column: String,
        value: String,
    },
    NegativeVolume {
        column: String,
        value: String,
    },
    VolumeOutOfRange {
        column: String,
        value: String,
    },
    Suspicious {
        what: String,
    },
    /// Intraday: a second bar with the same timestamp.
    DuplicateTime {
        time: String,
        first_line: u64,
    },
    /// Intraday: a bar off the file's resolution grid.
    OffGrid {
        column: String,
        value: String,
        grid: String,
    },
    /// Intraday: a naive time that the exchange's clock shows twice or never (DST).
    LocalTime {
        column: String,
        value: String,
        reason: String,
    },
    /// Intraday: a row naming another symbol than the file's first row.
    OtherSymbol {
        column: String,
        value: String,
        symbol: String,
    },
    /// Events: a record type other than T or Q.
    RecordType {
        value: String,
    },
    /// Events: a record with the wrong number of fields for its type.
    RecordFields {
        rec_type: String,
        expected: usize,
        found: usize,
    },
    /// Events: a line that is not a JSON object.
    Json {
        message: String,
    },
    /// Events: a size or sequence number that is not a whole number of 0 or more.
    NotShares {
        column: String,
        value: String,
    },
    /// A field of a vendor's layout that does not hold what it must (an instrument missing
    /// from symbology.json, another record type, a time finer than a microsecond).
    Invalid {
        column: String,
        value: String,
        reason: String,
    },
    /// A line of the vendor's error message (a JSON body, Alpha Vantage's "Error Message",
    /// "Note" or "Information") where a bar should be: the download was cut short.
    VendorMessage,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::FieldCount {
                expected,
                found,
                multiline,
            } => {
                write!(
                    f,
                    "expected {expected} fields as in the header, found {found}"
                )?;
                if *multiline {
                    f.write_str(
                        " (a quoted field runs over several lines: is a quote not closed?)",
                    )?;
                }
                Ok(())
            }
            Problem::NoValues => f.write_str("row has a date but every value is empty"),
            Problem::Blank => f.write_str("row has only empty fields"),
            Problem::NotUtf8 { column } => write!(f, "{column}: value is not valid UTF-8"),
            Problem::Missing { column } => write!(f, "{column}: missing value"),
            Problem::NotANumber { column, value } => {
                write!(f, "{column}: {value:?} is not a finite number")
            }
            Problem::NotADate {
                column,
                value,
                expected,
            } => write!(
                f,
                "{column}: {value:?} is not a valid date (expected {expected})"
            ),
            Problem::DuplicateDate { day, first_line } => {
                write!(
                    f,
                    "second row for {day} (the first is on line {first_line})"
                )
            }
            Problem::FractionalVolume { column, value } => {
                write!(f, "{column}: {value:?} is a fractional volume")
            }
            Problem::NegativeVolume { column, value } => {
                write!(f, "{column}: {value:?} is a negative volume")
            }
            Problem::VolumeOutOfRange { column, value } => {
                write!(
                    f,
                    "{column}: {value:?} is out of range for a volume (bigint)"
                )
            }
            Problem::Suspicious { what } => {
                write!(f, "{what} (suspicious; refused because of --strict)")
            }
            Problem::VendorMessage => {
                f.write_str("the vendor's error message, not a bar: the download was cut short")
            }
            Problem::DuplicateTime { time, first_line } => {
                write!(
                    f,
                    "second bar for {time} (the first is on line {first_line})"
                )
            }
            Problem::OffGrid {
                column,
                value,
                grid,
            } => {
                write!(f, "{column}: {value:?} is off the file's grid of {grid}")
            }
            Problem::LocalTime {
                column,
                value,
                reason,
            } => write!(f, "{column}: {value:?} {reason}"),
            Problem::OtherSymbol {
                column,
                value,
                symbol,
            } => write!(
                f,
                "{column}: {value:?} is not {symbol}, the symbol of the file's first bar (one symbol per intraday file)"
            ),
            Problem::RecordType { value } => {
                write!(f, "unknown record type {value:?} (expected T or Q)")
            }
            Problem::RecordFields {
                rec_type,
                expected,
                found,
            } => write!(
                f,
                "a {rec_type} record has {expected} fields in this file's layout, found {found}"
            ),
            Problem::Invalid {
                column,
                value,
                reason,
            } => write!(f, "{column}: {value:?} {reason}"),
            Problem::Json { message } => write!(f, "not a JSON object: {message}"),
            Problem::NotShares { column, value } => {
                write!(f, "{column}: {value:?} is not a whole number of 0 or more")
            }
        }
    }
}

/// A bad row with its place in the file and its text, for messages and the rejects file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line where the row starts.
    pub line: u64,
    /// 1-based column (field number), when one field is at fault.
    pub column: Option<usize>,
    pub problem: Problem,
    /// The row's fields joined again as CSV.
    pub text: String,
}

impl BadRow {
    /// A bad row at `line` (1-based) and `column` (1-based, when one field is at fault). A
    /// line of a vendor's error message is named as such, whatever else is wrong with it.
    /// For bar files; event files, whose records may be JSON lines, build their own.
    pub fn new(line: u64, column: Option<usize>, problem: Problem, text: String) -> BadRow {
        if is_vendor_message(&text) {
            return BadRow {
                line,
                column: None,
                problem: Problem::VendorMessage,
                text,
            };
        }
        BadRow {
            line,
            column,
            problem,
            text,
        }
    }
}

/// True for a line of a vendor's error message where a bar should be: a JSON body (`{`,
/// `}`, `{"Error Message": …}`) or Alpha Vantage's `"Error Message"`, `"Note"` and
/// `"Information"` lines, as a cut-short or rate-limited download ends. `text` is the line as
/// CSV writes it again (quotes doubled).
pub fn is_vendor_message(text: &str) -> bool {
    let t = text.trim_start_matches(|c: char| c.is_whitespace() || c == '"');
    t.starts_with('{')
        || t.starts_with('}')
        || ["Error Message\"", "Note\"", "Information\""]
            .iter()
            .any(|key| t.starts_with(key))
        || text.contains("Invalid API call")
        || text.contains("Thank you for using Alpha Vantage")
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(col) => write!(f, "{}:{}: {}", self.line, col, self.problem),
            None => write!(f, "{}: {}", self.line, self.problem),
        }
    }
}

/// How rows are read.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// A chrono format for dates (`--date-format`); None: ISO `YYYY-MM-DD` or US `M/D/YYYY`.
    pub date_format: Option<String>,
    /// Treat suspicious rows as bad rows (`--strict`).
    pub strict: bool,
    /// The exchange time zone of naive intraday timestamps (`--timezone`); None: America/New_York.
    pub timezone: Option<chrono_tz::Tz>,
}

/// A day written as `dates` says, or in the given chrono format (`--date-format`).
pub fn parse_day(s: &str, format: Option<&str>, dates: Dates) -> Option<NaiveDate> {
    match (format, dates) {
        (Some(_), _) => parse_date(s, format),
        (None, Dates::IsoOrUs) => parse_date(s, None).or_else(|| {
            // yfinance and pandas write `2025-07-07 00:00:00+00:00` for a day.
            let (day, time) = s.split_at_checked(10)?;
            is_midnight(time).then(|| parse_date(day, None)).flatten()
        }),
        (None, Dates::Compact) => (s.len() == 8)
            .then(|| parse_date(s, Some("%Y%m%d")))
            .flatten(),
        (None, Dates::MonthName) => parse_date(s, Some("%b %d, %Y")),
        (None, Dates::DayFirst) => day_first(s).or_else(|| {
            let b = s.as_bytes();
            (b.len() == 10 && b[4] == b'-')
                .then(|| parse_date(s, None))
                .flatten()
        }),
    }
}

/// `31.12.2018`, `31/12/2018` or `1.2.2018`: day, month, four-digit year.
fn day_first(s: &str) -> Option<NaiveDate> {
    let (d, m, y) = day_month_year(s)?;
    NaiveDate::from_ymd_opt(y, m, d).filter(|day| (1..=9999).contains(&day.year()))
}

/// The three numbers of `a.b.yyyy` or `a/b/yyyy` (one or two digits, then four), in order.
pub fn day_month_year(s: &str) -> Option<(u32, u32, i32)> {
    three_numbers(s, if s.contains('.') { '.' } else { '/' })
}

/// The three numbers of `a<sep>b<sep>yyyy`: one or two digits, one or two, then four.
fn three_numbers(s: &str, separator: char) -> Option<(u32, u32, i32)> {
    let mut parts = s.split(separator);
    let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || !(1..=2).contains(&a.len())
        || !(1..=2).contains(&b.len())
        || y.len() != 4
    {
        return None;
    }
    Some((
        digits(a.as_bytes())?,
        digits(b.as_bytes())?,
        digits(y.as_bytes())? as i32,
    ))
}

/// A number written with a decimal comma (`1.234,56`, `-0,5`, `1234`) as Rust parses it
/// (`1234.56`): dots are thousands separators and must group by three; None otherwise.
pub fn decimal_comma(s: &str) -> Option<String> {
    match s.strip_prefix('-') {
        Some(rest) => regroup("-", rest, '.', ','),
        None => regroup("", s, '.', ','),
    }
}

/// ` 00:00:00`, `T00:00`, optionally with seconds' fractions and a UTC offset.
pub fn is_midnight(time: &str) -> bool {
    let Some(rest) = time.strip_prefix([' ', 'T']) else {
        return false;
    };
    let clock = rest.split(['+', '-', 'Z']).next().unwrap_or_default();
    !clock.is_empty() && clock.chars().all(|c| matches!(c, '0' | ':' | '.'))
}

/// ISO `YYYY-MM-DD` (fast path), US `M/D/YYYY`, or the given chrono format. Years 1..=9999.
pub fn parse_date(s: &str, format: Option<&str>) -> Option<NaiveDate> {
    let day = match format {
        Some(fmt) => NaiveDate::parse_from_str(s, fmt).ok()?,
        None => {
            let b = s.as_bytes();
            if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
                NaiveDate::from_ymd_opt(
                    digits(&b[0..4])? as i32,
                    digits(&b[5..7])?,
                    digits(&b[8..10])?,
                )?
            } else {
                let (m, d, y) = three_numbers(s, '/')?;
                NaiveDate::from_ymd_opt(y, m, d)?
            }
        }
    };
    (1..=9999).contains(&day.year()).then_some(day)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// A finite decimal number; `NaN`, `inf` and overflow (`1e400`) are refused. A `$` prefix
/// (Nasdaq.com) and thousands separators (`1,234.56`, quoted in the file) are allowed.
pub fn parse_price(s: &str) -> Option<f64> {
    let v: f64 = match s.parse() {
        Ok(v) => v,
        // The plain number is the hot path; the rest only when it fails.
        Err(_) => plain_number(s)?.parse().ok()?,
    };
    // Rust also parses "nan", "inf" and "infinity"; none is a price.
    v.is_finite().then_some(v)
}

/// `$1,234.56` → `1234.56`: the digits without a `$` prefix and with well-formed thousands
/// groups; None when neither is there or the groups are malformed (`1,23.4`).
fn plain_number(s: &str) -> Option<String> {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s),
    };
    let dollar = rest.strip_prefix('$');
    let body = dollar.unwrap_or(rest);
    if dollar.is_none() && !body.contains(',') {
        return None;
    }
    regroup(sign, body, ',', '.')
}

/// A number's digits with its thousands separators dropped (groups of three after a first
/// group of one to three digits) and a `.` for its decimal mark, after `sign`; None when the
/// groups or the digits are malformed.
fn regroup(sign: &str, body: &str, thousands: char, decimal: char) -> Option<String> {
    let (int, frac) = match body.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let groups: Vec<&str> = int.split(thousands).collect();
    let well_formed = !groups[0].is_empty()
        && (groups.len() == 1 || groups[0].len() <= 3)
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return None;
    }
    let mut out = format!("{sign}{}", groups.concat());
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

#[derive(Debug, PartialEq, Eq)]
pub enum VolumeError {
    NotANumber,
    Fractional,
    Negative,
    OutOfRange,
}

impl VolumeError {
    /// The bad row's problem: this error of `value` in `column`.
    pub fn problem(self, column: String, value: String) -> Problem {
        match self {
            VolumeError::NotANumber => Problem::NotANumber { column, value },
            VolumeError::Fractional => Problem::FractionalVolume { column, value },
            VolumeError::Negative => Problem::NegativeVolume { column, value },
            VolumeError::OutOfRange => Problem::VolumeOutOfRange { column, value },
        }
    }
}

/// An integer volume; `1225700.0` is accepted because Kaggle files write volumes as floats,
/// `1,234,567` and `20.58M` / `870.5K` / `1.2B` (exactly, Investing.com) too, and `-` as 0
/// where the format says so.
pub fn parse_volume(s: &str, dash_is_zero: bool) -> Result<i64, VolumeError> {
    let v = match s.parse::<i64>() {
        Ok(v) => v,
        Err(_) if dash_is_zero && s == "-" => 0,
        Err(_) if s.ends_with(['K', 'M', 'B', 'k', 'm', 'b']) => scaled_volume(s)?,
        Err(_) => {
            let f = parse_price(s).ok_or(VolumeError::NotANumber)?;
            if f.fract() != 0.0 {
                return Err(VolumeError::Fractional);
            }
            // 2^63 is the first float above i64::MAX.
            if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                return Err(VolumeError::OutOfRange);
            }
            f as i64
        }
    };
    if v < 0 {
        return Err(VolumeError::Negative);
    }
    Ok(v)
}

/// `20.58M` → 20,580,000, in integers so that no float rounding creeps in; a result with a
/// fraction (`1.2345K`) is a fractional volume.
fn scaled_volume(s: &str) -> Result<i64, VolumeError> {
    let (number, suffix) = s.split_at(s.len() - 1);
    let exp: u32 = match suffix {
        "K" | "k" => 3,
        "M" | "m" => 6,
        _ => 9,
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (number.contains('.') && frac.is_empty())
    {
        return Err(VolumeError::NotANumber);
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() as u32 > exp {
        return Err(VolumeError::Fractional);
    }
    let mantissa: i64 = format!("{int}{frac}")
        .parse()
        .map_err(|_| VolumeError::OutOfRange)?;
    mantissa
        .checked_mul(10i64.pow(exp - frac.len() as u32))
        .ok_or(VolumeError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_messages_are_told_from_bars() {
        for line in [
            "{",
            "}",
            r#"{""Error Message"": ""Invalid API call. Please retry.""}"#,
            r#""    ""Error Message"": ""Invalid API call. Please retry or visit the documentation.""""#,
            r#"""Note"": ""Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day."""#,
            r#"""Information"": ""The **demo** API key is for demo purposes only."""#,
        ] {
            assert!(is_vendor_message(line), "{line}");
        }
        for line in [
            "2024-01-03,369.01,373.26,368.51,370.60,23083500",
            "2024-01-03,,,,,",
            "abc,1,2,3,4,5",
            "Notes,1,2,3,4,5",
        ] {
            assert!(!is_vendor_message(line), "{line}");
        }
    }

    #[test]
    fn a_vendor_line_is_named_whatever_else_is_wrong_with_it() {
        let problem = Problem::FieldCount {
            expected: 6,
            found: 1,
            multiline: false,
        };
        let vendor = BadRow::new(4, Some(1), problem.clone(), "{".into());
        assert_eq!(vendor.problem, Problem::VendorMessage);
        assert_eq!(vendor.column, None);
        assert_eq!(
            vendor.to_string(),
            "4: the vendor's error message, not a bar: the download was cut short"
        );
        let bar = BadRow::new(4, Some(1), problem.clone(), "2024-01-03".into());
        assert_eq!((bar.problem, bar.column), (problem, Some(1)));
    }

    #[test]
    fn decimal_commas_read_as_the_us_number() {
        for (eu, us) in [
            ("121,052639", "121.052639"),
            ("1.234,56", "1234.56"),
            ("-0,5", "-0.5"),
            ("1.397.057", "1397057"),
            ("1397057", "1397057"),
        ] {
            assert_eq!(decimal_comma(eu).as_deref(), Some(us), "{eu}");
        }
        for bad in ["10.5", "1.23,4", ",5", "1,", "abc", ""] {
            assert_eq!(decimal_comma(bad), None, "{bad}");
        }
    }

    #[test]
    fn day_first_dates() {
        let day = |s: &str| parse_day(s, None, Dates::DayFirst);
        let want = NaiveDate::from_ymd_opt(2023, 3, 13);
        assert_eq!(day("13.03.2023"), want);
        assert_eq!(day("13/03/2023"), want);
        assert_eq!(day("13.3.2023"), want);
        assert_eq!(day("2023-03-13"), want);
        assert_eq!(day("03/13/2023"), None, "month 13");
        assert_eq!(day("13.03.23"), None, "two-digit year");
    }
}
