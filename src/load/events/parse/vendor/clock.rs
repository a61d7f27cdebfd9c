//! Time in the vendors' files: ISO 8601 stamps to nanoseconds, and New York's clock (TAQ's
//! local times, the trade date of a UTC time), with the last symbol read.

use crate::load::files::canonical_symbol;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

/// `2024-03-08T14:30:00.123456789Z` (or without a fraction, or `+00:00`) in nanoseconds.
pub(super) fn iso_ns(text: &str) -> Option<i64> {
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once(['T', ' '])?;
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let t = chrono::NaiveTime::parse_from_str(hms, "%H:%M:%S").ok()?;
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i64 = format!("{fraction:0<9}").parse().ok()?;
    let secs = day.and_time(t).and_utc().timestamp();
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// New York's offset from UTC, looked up once per local hour (TAQ times) and the New York
/// date of a UTC time (the trade date of a Polygon or Databento event); and the last symbol
/// read (a day file comes ticker by ticker, so most rows repeat the last one's).
pub struct NewYork {
    zone: Tz,
    /// The last symbol's text and its canonical form.
    symbol: (String, String),
    /// (day, hour) → offset in seconds.
    local: Option<(NaiveDate, u32, i64)>,
    /// A UTC hour → its New York date, from the last lookup.
    utc: Option<(i64, NaiveDate)>,
}

impl NewYork {
    pub fn new(zone: Tz) -> Self {
        NewYork {
            zone,
            symbol: (String::new(), String::new()),
            local: None,
            utc: None,
        }
    }

    /// The canonical form of a symbol's text, the last one's when it repeats.
    pub(super) fn symbol(&mut self, text: &str) -> String {
        if self.symbol.0 != text {
            self.symbol = (text.to_string(), canonical_symbol(text));
        }
        self.symbol.1.clone()
    }

    /// The trade date of a UTC nanosecond time: its date in the zone.
    pub(super) fn day_of(&mut self, ns: i64) -> NaiveDate {
        let hour = ns.div_euclid(3_600_000_000_000);
        if let Some((h, day)) = self.utc
            && h == hour
        {
            return day;
        }
        let day = chrono::DateTime::from_timestamp_nanos(hour * 3_600_000_000_000)
            .with_timezone(&self.zone)
            .date_naive();
        self.utc = Some((hour, day));
        day
    }

    /// `HHMMSSNNNNNNNNN` local time on `day`, in UTC nanoseconds.
    pub(super) fn taq_time(&mut self, day: NaiveDate, text: &str) -> Option<i64> {
        if text.len() != 15 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = |r: std::ops::Range<usize>| text[r].parse::<u32>().ok();
        let (h, m, s, nanos) = (n(0..2)?, n(2..4)?, n(4..6)?, n(6..15)? as i64);
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        let offset = match self.local {
            Some((d, hour, off)) if d == day && hour == h => off,
            _ => {
                let local = day.and_hms_opt(h, m, s)?;
                let utc = self.zone.from_local_datetime(&local).earliest()?;
                let off = utc.naive_utc().and_utc().timestamp() - local.and_utc().timestamp();
                self.local = Some((day, h, off));
                off
            }
        };
        let local_secs = day.and_hms_opt(h, m, s)?.and_utc().timestamp();
        Some((local_secs + offset) * 1_000_000_000 + nanos)
    }
}
