//! `stockdb chart`: a symbol's closes with moving averages, crosses and volume, or one day's
//! intraday candlesticks with VWAP, drawn to PNG or SVG with plotters and an embedded font
//! (no system font is needed). The data comes from `sql/`; drawing is in `draw.rs`.

mod draw;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, NaiveDateTime};
use sqlx::{AssertSqlSafe, PgConnection, Row};
use std::path::{Path, PathBuf};

/// What to draw and where: plain values, no clap types.
#[derive(Debug, Clone)]
pub struct Request {
    pub symbol: String,
    pub out: PathBuf,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// One exchange day's intraday bars instead of the daily chart.
    pub day: Option<NaiveDate>,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

/// The default picture size (issue 26).
pub const DEFAULT_SIZE: (u32, u32) = (1200, 700);

/// The file format, from the `--out` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Png,
    Svg,
}

impl Image {
    /// `.png` or `.svg` (any case); anything else is refused before a query runs.
    pub fn of(path: &Path) -> Result<Image> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Image::Png),
            Some("svg") => Ok(Image::Svg),
            _ => bail!(
                "{}: the chart file must end in .png or .svg",
                path.display()
            ),
        }
    }
}

/// One trading day of the daily chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub day: NaiveDate,
    pub close: f64,
    pub volume: i64,
    pub sma_20: Option<f64>,
    pub sma_50: Option<f64>,
    pub sma_200: Option<f64>,
}

/// The 50-day average crossing the 200-day one: up is a golden cross, down a death cross.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cross {
    pub day: NaiveDate,
    pub golden: bool,
    /// Where the averages met (the 50-day average that day).
    pub price: f64,
}

/// One intraday bar of the `--day` chart, in exchange time.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub time: NaiveDateTime,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: i64,
    pub vwap: Option<f64>,
}

/// What `draw` wrote, for the command's one-line summary.
#[derive(Debug)]
pub struct Drawn {
    pub points: usize,
    pub crosses: usize,
    pub first: String,
    pub last: String,
}

/// Reads the data and draws the chart the request asks for.
pub async fn chart(conn: &mut PgConnection, req: &Request) -> Result<Drawn> {
    let image = Image::of(&req.out)?;
    let (w, h) = req.size;
    if w < 300 || h < 200 {
        bail!("a chart needs at least 300x200 pixels, not {w}x{h}");
    }
    if let (Some(from), Some(to)) = (req.from, req.to)
        && from > to
    {
        bail!("--from {from} is after --to {to}");
    }
    let drawn = match req.day {
        Some(day) => {
            let bars = intraday(conn, &req.symbol, day).await?;
            if bars.is_empty() {
                bail!(
                    "{}",
                    nothing_there(conn, &req.symbol, Some(day), req).await?
                );
            }
            draw::intraday(&req.symbol, day, &bars, image, &req.out, req.size)?;
            Drawn {
                points: bars.len(),
                crosses: 0,
                first: bars[0].time.time().to_string(),
                last: bars[bars.len() - 1].time.time().to_string(),
            }
        }
        None => {
            let days = daily(conn, &req.symbol, req.from, req.to).await?;
            if days.is_empty() {
                bail!("{}", nothing_there(conn, &req.symbol, None, req).await?);
            }
            let crosses = crosses(&days);
            draw::daily(&req.symbol, &days, &crosses, image, &req.out, req.size)?;
            Drawn {
                points: days.len(),
                crosses: crosses.len(),
                first: days[0].day.to_string(),
                last: days[days.len() - 1].day.to_string(),
            }
        }
    };
    Ok(drawn)
}

async fn daily(
    conn: &mut PgConnection,
    symbol: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Day>> {
    let rows = sqlx::query(AssertSqlSafe(include_str!("sql/daily.sql")))
        .bind(symbol)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await
        .context("reading the daily prices")?;
    rows.iter()
        .map(|r| {
            Ok(Day {
                day: r.try_get("day")?,
                close: r.try_get("close")?,
                volume: r.try_get("volume")?,
                sma_20: r.try_get("sma_20")?,
                sma_50: r.try_get("sma_50")?,
                sma_200: r.try_get("sma_200")?,
            })
        })
        .collect()
}

async fn intraday(conn: &mut PgConnection, symbol: &str, day: NaiveDate) -> Result<Vec<Bar>> {
    let rows = sqlx::query(AssertSqlSafe(include_str!("sql/intraday.sql")))
        .bind(symbol)
        .bind(day)
        .fetch_all(&mut *conn)
        .await
        .context("reading the intraday bars")?;
    rows.iter()
        .map(|r| {
            Ok(Bar {
                time: r.try_get("exchange_time")?,
                open: r.try_get("open")?,
                high: r.try_get("high")?,
                low: r.try_get("low")?,
                close: r.try_get("close")?,
                volume: r.try_get("volume")?,
                vwap: r.try_get("vwap")?,
            })
        })
        .collect()
}

/// Why there is nothing to draw: an unknown symbol, or a range outside the symbol's data.
async fn nothing_there(
    conn: &mut PgConnection,
    symbol: &str,
    day: Option<NaiveDate>,
    req: &Request,
) -> Result<String> {
    let row = sqlx::query(AssertSqlSafe(include_str!("sql/span.sql")))
        .bind(symbol)
        .fetch_one(&mut *conn)
        .await?;
    let span = |a: &str, b: &str| -> Result<Option<(NaiveDate, NaiveDate)>> {
        Ok(row
            .try_get::<Option<NaiveDate>, _>(a)?
            .zip(row.try_get::<Option<NaiveDate>, _>(b)?))
    };
    let daily = span("first_day", "last_day")?;
    let bars = span("first_bar_day", "last_bar_day")?;
    if daily.is_none() && bars.is_none() {
        return Ok(format!(
            "unknown symbol {symbol}: no daily prices or intraday bars are stored for it (`stockdb status` lists the symbols)"
        ));
    }
    let has = |what: &str, s: Option<(NaiveDate, NaiveDate)>| match s {
        Some((a, b)) => format!("its {what} run from {a} to {b}"),
        None => format!("it has no {what}"),
    };
    Ok(match day {
        Some(day) => format!(
            "{symbol} has no intraday bars on {day} (New York time); {}",
            has("intraday bars", bars)
        ),
        None => {
            let range = match (req.from, req.to) {
                (Some(a), Some(b)) => format!("between {a} and {b}"),
                (Some(a), None) => format!("from {a} on"),
                (None, Some(b)) => format!("up to {b}"),
                (None, None) => "at all".to_string(),
            };
            format!(
                "{symbol} has no daily prices {range}; {}",
                has("daily prices", daily)
            )
        }
    })
}

/// The days where the 50-day average crosses the 200-day one, both known the day before.
pub fn crosses(days: &[Day]) -> Vec<Cross> {
    days.windows(2)
        .filter_map(|pair| {
            let before = pair[0].sma_50? - pair[0].sma_200?;
            let now = pair[1].sma_50? - pair[1].sma_200?;
            let golden = before <= 0.0 && now > 0.0;
            let death = before >= 0.0 && now < 0.0;
            (golden || death).then(|| Cross {
                day: pair[1].day,
                golden,
                price: pair[1].sma_50.unwrap_or(pair[1].close),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32, sma_50: Option<f64>, sma_200: Option<f64>) -> Day {
        Day {
            day: NaiveDate::from_ymd_opt(2024, 1, n).unwrap(),
            close: 10.0,
            volume: 1,
            sma_20: None,
            sma_50,
            sma_200,
        }
    }

    #[test]
    fn crosses_need_both_averages_on_both_days() {
        let days = [
            day(1, None, None),
            day(2, Some(9.0), None),
            day(3, Some(9.0), Some(10.0)),
            day(4, Some(11.0), Some(10.0)),
            day(5, Some(12.0), Some(10.0)),
            day(6, Some(10.0), Some(10.0)),
            day(7, Some(9.0), Some(10.0)),
        ];
        let found = crosses(&days);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].golden && found[0].day.to_string() == "2024-01-04");
        // Touching (day 6) and then falling below is one death cross, on the day it falls below.
        assert!(!found[1].golden && found[1].day.to_string() == "2024-01-07");
    }

    #[test]
    fn the_extension_chooses_the_format() {
        assert_eq!(Image::of(Path::new("a.PNG")).unwrap(), Image::Png);
        assert_eq!(Image::of(Path::new("dir/a.svg")).unwrap(), Image::Svg);
        let err = Image::of(Path::new("a.jpg")).unwrap_err().to_string();
        assert!(err.contains(".png or .svg"), "{err}");
    }
}
