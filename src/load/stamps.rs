//! Timestamps as intraday and event files write them: parsing the wall-clock time and any
//! UTC offset, and turning exchange time into UTC with the tz database's DST rules.

use crate::load::values::parse_date;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

/// Exchange time when neither the file nor `--timezone` says otherwise.
pub const DEFAULT_ZONE: Tz = chrono_tz::America::New_York;

/// A timestamp as a file writes it: the wall-clock time, and the offset from UTC (seconds
/// east) when the file gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub local: NaiveDateTime,
    pub offset: Option<i32>,
}

/// `2018-06-05 16:00:00`, `2018-06-05T16:00`, `2025-07-23 13:30:00+00:00`, `…Z`,
/// `06/05/2018 16:00`; a bare date is midnight.
pub fn parse_stamp(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim_start()),
        None => (s, ""),
    };
    let day = parse_date(date, None)?;
    if rest.is_empty() {
        return Some(Stamp {
            local: day.and_time(NaiveTime::MIN),
            offset: None,
        });
    }
    let (time, rest) = parse_clock(rest)?;
    let offset = parse_offset(rest.trim_start())?;
    Some(Stamp {
        local: day.and_time(time),
        offset,
    })
}

/// A `Date` and a `Time` column: `2020-01-02` or `01/02/2020` or `20200102`, and `09:30`,
/// `09:30:00` or `093000`.
pub fn parse_date_time(date: &str, time: &str) -> Option<Stamp> {
    let date = date.trim();
    let day = parse_date(date, None).or_else(|| {
        (date.len() == 8)
            .then(|| NaiveDate::parse_from_str(date, "%Y%m%d").ok())
            .flatten()
    })?;
    let (clock, rest) = parse_clock(time.trim())?;
    let offset = parse_offset(rest.trim_start())?;
    Some(Stamp {
        local: day.and_time(clock),
        offset,
    })
}

fn two(b: &[u8]) -> Option<u32> {
    match b {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

/// `HH:MM[:SS[.ffffff]]` or `HHMM[SS]`, and what follows it.
fn parse_clock(s: &str) -> Option<(NaiveTime, &str)> {
    let b = s.as_bytes();
    let (h, m, mut at, colons) = if b.len() >= 5 && b[2] == b':' {
        (two(b.get(0..2)?)?, two(b.get(3..5)?)?, 5, true)
    } else {
        (two(b.get(0..2)?)?, two(b.get(2..4)?)?, 4, false)
    };
    let mut sec = 0;
    let mut micro = 0;
    let has_seconds = if colons {
        b.get(at) == Some(&b':')
    } else {
        b.get(at..at + 2)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if has_seconds {
        let from = if colons { at + 1 } else { at };
        sec = two(b.get(from..from + 2)?)?;
        at = from + 2;
        if b.get(at) == Some(&b'.') {
            let digits = b[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            // The first six digits, padded on the right: `.5` is 500,000 µs.
            micro = b[at + 1..at + 1 + digits.min(6)]
                .iter()
                .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
                * 10u32.pow(6 - digits.min(6) as u32);
            at += 1 + digits;
        }
    }
    let time = NaiveTime::from_hms_micro_opt(h, m, sec, micro)?;
    Some((time, &s[at..]))
}

/// `Z`, `+00:00`, `-0400`, `+05`, or nothing.
fn parse_offset(s: &str) -> Option<Option<i32>> {
    if s.is_empty() {
        return Some(None);
    }
    if s == "Z" || s == "UTC" {
        return Some(Some(0));
    }
    let sign = match s.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    let (h, m) = match digits.len() {
        2 => (two(digits.as_bytes())?, 0),
        4 => (two(&digits.as_bytes()[..2])?, two(&digits.as_bytes()[2..])?),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some(Some(sign * (h as i32 * 3600 + m as i32 * 60)))
}

/// UTC microseconds and exchange wall-clock time of a stamp; `Err` says why a naive time
/// has no single instant in the exchange's zone.
pub(crate) fn to_utc(
    zone: Tz,
    day_offset: &mut Option<(NaiveDate, i32)>,
    stamp: Stamp,
) -> Result<(i64, NaiveDateTime), String> {
    {
        if let Some(offset) = stamp.offset {
            let utc = stamp.local - chrono::TimeDelta::seconds(i64::from(offset));
            let local = zone.from_utc_datetime(&utc).naive_local();
            return Ok((micros_of(utc), local));
        }
        let day = stamp.local.date();
        let offset = match *day_offset {
            Some((d, off)) if d == day => off,
            _ => match steady_offset(zone, day) {
                Some(off) => {
                    *day_offset = Some((day, off));
                    off
                }
                None => match zone.from_local_datetime(&stamp.local) {
                    chrono::LocalResult::Single(dt) => dt.offset().fix().local_minus_utc(),
                    chrono::LocalResult::Ambiguous(..) => {
                        return Err(format!(
                            "happens twice in {zone} (the clocks go back that night): write the UTC offset, or load with --timezone"
                        ));
                    }
                    chrono::LocalResult::None => {
                        return Err(format!(
                            "does not exist in {zone} (the clocks go forward that night)"
                        ));
                    }
                },
            },
        };
        let utc = stamp.local - chrono::TimeDelta::seconds(i64::from(offset));
        Ok((micros_of(utc), stamp.local))
    }
}

/// The zone's offset on a day when its clocks do not change, None on a change day.
fn steady_offset(zone: Tz, day: NaiveDate) -> Option<i32> {
    let at = |t: NaiveTime| match zone.from_local_datetime(&day.and_time(t)) {
        chrono::LocalResult::Single(dt) => Some(dt.offset().fix().local_minus_utc()),
        _ => None,
    };
    let start = at(NaiveTime::MIN)?;
    let end = at(NaiveTime::from_hms_opt(23, 59, 59)?)?;
    (start == end).then_some(start)
}

/// True when `micros` (UTC, since 1970) is midnight in New York; None out of range.
pub fn new_york_midnight(micros: i64) -> Option<bool> {
    let t = chrono::DateTime::from_timestamp_micros(micros)?.with_timezone(&DEFAULT_ZONE);
    Some(t.time() == NaiveTime::MIN)
}

/// The New York calendar day of `micros` (UTC, since 1970).
pub fn new_york_day(micros: i64) -> Option<NaiveDate> {
    let t = chrono::DateTime::from_timestamp_micros(micros)?.with_timezone(&DEFAULT_ZONE);
    Some(t.date_naive())
}

/// Midnight New York starting `day`, in microseconds since 1970 (UTC).
pub fn new_york_start(day: NaiveDate) -> i64 {
    let midnight = day.and_time(NaiveTime::MIN);
    match DEFAULT_ZONE.from_local_datetime(&midnight).earliest() {
        Some(t) => t.timestamp_micros(),
        None => micros_of(midnight),
    }
}

fn micros_of(utc: NaiveDateTime) -> i64 {
    utc.and_utc().timestamp_micros()
}
