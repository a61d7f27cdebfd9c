//! Drawing with plotters: the same code draws PNG (bitmap) and SVG; only the backend differs.

use super::{Bar, Cross, Day, Image};
use anyhow::{Result, anyhow};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

const CLOSE: RGBColor = RGBColor(40, 40, 40);
const SMA_20: RGBColor = RGBColor(31, 119, 180);
const SMA_50: RGBColor = RGBColor(255, 127, 14);
const SMA_200: RGBColor = RGBColor(148, 103, 189);
const GOLDEN: RGBColor = RGBColor(0, 150, 60);
const DEATH: RGBColor = RGBColor(214, 39, 40);
const VOLUME: RGBColor = RGBColor(120, 140, 170);
const VWAP: RGBColor = RGBColor(31, 119, 180);
const FONT: &str = "sans-serif";

/// Registers the embedded font once: plotters' ab_glyph text needs no system font.
fn embedded_font() -> Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, epaint_default_fonts::HACK_REGULAR)
            .is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| anyhow!("the embedded font could not be read"))
}

/// Runs `paint` on a PNG or SVG drawing area of the given size, then writes the file.
fn with_backend(
    image: Image,
    out: &Path,
    size: (u32, u32),
    paint: impl FnOnce(DrawingArea<BitMapBackend, Shift>) -> Result<()>,
    paint_svg: impl FnOnce(DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<()> {
    embedded_font()?;
    let written = match image {
        Image::Png => {
            let root = BitMapBackend::new(out, size).into_drawing_area();
            paint(root.clone())?;
            root.present().map_err(|e| e.to_string())
        }
        Image::Svg => {
            let root = SVGBackend::new(out, size).into_drawing_area();
            paint_svg(root.clone())?;
            root.present().map_err(|e| e.to_string())
        }
    };
    written.map_err(|e| anyhow!("writing {}: {e}", out.display()))
}

/// The daily chart: closes, 20/50/200-day averages, crosses above; volume below.
pub fn daily(
    symbol: &str,
    days: &[Day],
    crosses: &[Cross],
    image: Image,
    out: &Path,
    size: (u32, u32),
) -> Result<()> {
    with_backend(
        image,
        out,
        size,
        |root| paint_daily(root, symbol, days, crosses),
        |root| paint_daily(root, symbol, days, crosses),
    )
}

/// One day's candlesticks with the VWAP so far above; volume below.
pub fn intraday(
    symbol: &str,
    day: NaiveDate,
    bars: &[Bar],
    image: Image,
    out: &Path,
    size: (u32, u32),
) -> Result<()> {
    with_backend(
        image,
        out,
        size,
        |root| paint_intraday(root, symbol, day, bars),
        |root| paint_intraday(root, symbol, day, bars),
    )
}

fn fail<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow!("drawing the chart: {e}")
}

/// Low and high of the values with a little room above and below.
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let room = ((hi - lo) * 0.05).max(hi.abs() * 0.001).max(0.01);
    (lo - room, hi + room)
}

/// `123456789` → `123.5M`, for volume axes.
fn short_count(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.1}B", v / 1e9),
        v if v >= 1e6 => format!("{:.1}M", v / 1e6),
        v if v >= 1e3 => format!("{:.0}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

/// Minutes since midnight → `09:30`.
fn clock(minutes: f64) -> String {
    let m = minutes.round() as i64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Both charts' axes: time as a number (days or minutes) and a value.
type Axes = Cartesian2d<RangedCoordf64, RangedCoordf64>;

/// A line of the daily chart: its legend label, colour, value of a day, and stroke width.
type Series = (&'static str, RGBColor, fn(&Day) -> Option<f64>, u32);

fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
}

/// The price chart of the upper pane on a numeric time axis, its grid drawn, `x_label`
/// turning a position on that axis into its label.
fn price_pane<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: String,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_label: &dyn Fn(&f64) -> String,
) -> Result<ChartContext<'a, DB, Axes>>
where
    DB::ErrorType: 'static,
{
    let w = area.dim_in_pixel().0;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 20))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(0)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .x_labels((w / 120) as usize)
        .x_label_formatter(x_label)
        .y_desc("price")
        .label_style((FONT, 13))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(fail)?;
    Ok(chart)
}

/// The legend of the series drawn with a label, top left.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut ChartContext<'a, DB, Axes>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(fail)
}

/// The lower pane: one volume bar per (from, to, volume) on the price chart's time axis.
fn volume_pane<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: std::ops::Range<f64>,
    bars: &[(f64, f64, i64)],
    x_label: &dyn Fn(&f64) -> String,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let w = area.dim_in_pixel().0;
    let top = bars.iter().map(|b| b.2).max().unwrap_or(0).max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(36)
        .margin_top(0)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(x, 0.0..top * 1.05)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .x_labels((w / 120) as usize)
        .x_label_formatter(x_label)
        .y_labels(4)
        .y_desc("volume")
        .y_label_formatter(&|v| short_count(*v))
        .label_style((FONT, 13))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(fail)?;
    chart
        .draw_series(
            bars.iter().map(|&(from, to, v)| {
                Rectangle::new([(from, 0.0), (to, v as f64)], VOLUME.filled())
            }),
        )
        .map_err(fail)?;
    Ok(())
}

/// A day as a position on the daily chart's time axis, and back.
fn day_x(day: NaiveDate) -> f64 {
    f64::from(day.num_days_from_ce())
}

fn x_day(x: &f64) -> String {
    NaiveDate::from_num_days_from_ce_opt(x.round() as i32)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn paint_daily<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    symbol: &str,
    days: &[Day],
    crosses: &[Cross],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(fail)?;
    let h = root.dim_in_pixel().1;
    let (upper, lower) = root.split_vertically(h * 72 / 100);
    let x = day_x(days[0].day)..day_x(days[days.len() - 1].day) + 1.0;
    let (lo, hi) = padded(days.iter().flat_map(|d| {
        [Some(d.close), d.sma_20, d.sma_50, d.sma_200]
            .into_iter()
            .flatten()
    }));
    let caption = format!(
        "{symbol}: close with 20-, 50- and 200-day averages, {} to {}",
        days[0].day,
        days[days.len() - 1].day
    );
    let mut price = price_pane(&upper, caption, x.clone(), lo..hi, &x_day)?;
    let series: [Series; 4] = [
        ("close", CLOSE, |d| Some(d.close), 1),
        ("20-day average", SMA_20, |d| d.sma_20, 1),
        ("50-day average", SMA_50, |d| d.sma_50, 2),
        ("200-day average", SMA_200, |d| d.sma_200, 2),
    ];
    for (label, color, value, width) in series {
        let points: Vec<(f64, f64)> = days
            .iter()
            .filter_map(|d| value(d).map(|v| (day_x(d.day), v)))
            .collect();
        if points.is_empty() {
            continue;
        }
        price
            .draw_series(LineSeries::new(points, color.stroke_width(width)))
            .map_err(fail)?
            .label(label)
            .legend(legend_line(color));
    }
    for (golden, color, label) in [
        (true, GOLDEN, "golden cross (50 over 200)"),
        (false, DEATH, "death cross (50 under 200)"),
    ] {
        let marks = crosses.iter().filter(|c| c.golden == golden);
        let drawn = price
            .draw_series(marks.map(|c| {
                EmptyElement::at((day_x(c.day), c.price))
                    + Polygon::new(triangle(golden), color.filled())
            }))
            .map_err(fail)?;
        if crosses.iter().any(|c| c.golden == golden) {
            drawn.label(label).legend(move |(x, y)| {
                EmptyElement::at((x + 10, y)) + Polygon::new(triangle(golden), color.filled())
            });
        }
    }
    legend(&mut price)?;
    let volumes: Vec<(f64, f64, i64)> = days
        .iter()
        .map(|d| (day_x(d.day), day_x(d.day) + 1.0, d.volume))
        .collect();
    volume_pane(&lower, x, &volumes, &x_day)
}

/// A triangle pointing up (golden) or down (death), 12 pixels across, around its point.
fn triangle(golden: bool) -> Vec<(i32, i32)> {
    let tip = if golden { -7 } else { 7 };
    vec![(0, tip), (-6, -tip / 2), (6, -tip / 2)]
}

fn paint_intraday<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    symbol: &str,
    day: NaiveDate,
    bars: &[Bar],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(fail)?;
    let (w, h) = root.dim_in_pixel();
    let (upper, lower) = root.split_vertically(h * 72 / 100);
    // Minutes since midnight, exchange time.
    let minute = |t: NaiveDateTime| f64::from(t.num_seconds_from_midnight()) / 60.0;
    let step = bars
        .windows(2)
        .map(|p| p[1].time - p[0].time)
        .min()
        .unwrap_or(Duration::minutes(1))
        .num_seconds() as f64
        / 60.0;
    let x = minute(bars[0].time)..minute(bars[bars.len() - 1].time) + step;
    let (lo, hi) = padded(
        bars.iter()
            .flat_map(|b| [Some(b.low), Some(b.high), b.vwap].into_iter().flatten()),
    );
    let caption = format!(
        "{symbol} on {day}: {} bars with VWAP (New York time)",
        bars.len()
    );
    let x_clock = |m: &f64| clock(*m);
    let mut price = price_pane(&upper, caption, x.clone(), lo..hi, &x_clock)?;
    let plot_width = w.saturating_sub(100) as f64;
    let candle = ((plot_width / bars.len() as f64) * 0.7).clamp(1.0, 15.0) as u32;
    price
        .draw_series(bars.iter().map(|b| {
            CandleStick::new(
                minute(b.time),
                b.open,
                b.high,
                b.low,
                b.close,
                GOLDEN.filled(),
                DEATH.filled(),
                candle,
            )
        }))
        .map_err(fail)?
        .label("bar (green up, red down)")
        .legend(|(x, y)| Rectangle::new([(x + 6, y - 5), (x + 14, y + 5)], GOLDEN.filled()));
    let vwap: Vec<_> = bars
        .iter()
        .filter_map(|b| b.vwap.map(|v| (minute(b.time), v)))
        .collect();
    if !vwap.is_empty() {
        price
            .draw_series(LineSeries::new(vwap, VWAP.stroke_width(2)))
            .map_err(fail)?
            .label("VWAP of the day so far")
            .legend(legend_line(VWAP));
    }
    legend(&mut price)?;
    let volumes: Vec<(f64, f64, i64)> = bars
        .iter()
        .map(|b| (minute(b.time), minute(b.time) + step, b.volume))
        .collect();
    volume_pane(&lower, x, &volumes, &x_clock)
}

#[cfg(test)]
mod tests {
    #[test]
    fn volumes_read_short() {
        assert_eq!(super::short_count(950.0), "950");
        assert_eq!(super::short_count(12_345.0), "12k");
        assert_eq!(super::short_count(33_170_000.0), "33.2M");
        assert_eq!(super::short_count(2_500_000_000.0), "2.5B");
    }
}
