//! `stockdb chart SYMBOL --out FILE.png|FILE.svg`: draw a symbol's prices to a picture.

use crate::chart::{self, Request};
use crate::cli::GlobalArgs;
use crate::{db, output};
use anyhow::Result;
use chrono::NaiveDate;
use std::path::PathBuf;

/// Draw a symbol's prices to a PNG or SVG picture.
///
/// The close with its 20-, 50- and 200-day moving averages, the golden and death crosses
/// (50-day over or under 200-day) marked and volume below; or, with --day, one day's intraday
/// candlesticks with VWAP. PNG or SVG by the --out extension; no system font is needed.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "Examples:
  stockdb chart MSFT --out msft.png
  stockdb chart MSFT --out msft.svg --from 2022-01-01 --to 2023-06-30
  stockdb chart SPY --day 2024-03-15 --out spy-day.png
  stockdb chart AAPL --out aapl.png --size 1600x900")]
pub struct Args {
    /// The symbol to draw.
    #[arg(value_name = "SYMBOL")]
    pub symbol: String,
    /// The picture to write: FILE.png or FILE.svg.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// First day to draw (YYYY-MM-DD); the averages still use the days before it.
    #[arg(long, value_name = "DATE", conflicts_with = "day")]
    pub from: Option<NaiveDate>,
    /// Last day to draw (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", conflicts_with = "day")]
    pub to: Option<NaiveDate>,
    /// Draw this exchange day's intraday bars (New York time) as candlesticks with VWAP.
    #[arg(long, value_name = "DATE")]
    pub day: Option<NaiveDate>,
    /// Picture size in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "1200x700", value_parser = parse_size)]
    pub size: (u32, u32),
}

/// Draws and says what was drawn.
pub async fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let request = Request {
        symbol: args.symbol.to_uppercase(),
        out: args.out,
        from: args.from,
        to: args.to,
        day: args.day,
        size: args.size,
    };
    // Refuse a bad file name before connecting.
    chart::Image::of(&request.out)?;
    let (_, mut conn) = db::open_connected(&global.db.location()).await?;
    let drawn = chart::chart(&mut conn, &request).await?;
    if !global.quiet {
        let what = if request.day.is_some() {
            "bars"
        } else {
            "days"
        };
        let crosses = if request.day.is_none() {
            format!(", {} golden or death cross(es) marked", drawn.crosses)
        } else {
            String::new()
        };
        output::print(format!(
            "wrote {} ({}x{}): {} {} {what} from {} to {}{crosses}",
            request.out.display(),
            request.size.0,
            request.size.1,
            request.symbol,
            output::group(drawn.points as u64),
            drawn.first,
            drawn.last,
        ))?;
    }
    Ok(())
}

/// `1200x700` → (1200, 700).
fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{text:?} is not WIDTHxHEIGHT in pixels (e.g. 1200x700)");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(300..=10_000).contains(&w) || !(200..=10_000).contains(&h) {
        return Err(format!("{text}: a chart is 300x200 to 10000x10000 pixels"));
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_parse() {
        assert_eq!(
            super::parse_size("1200x700"),
            Ok(crate::chart::DEFAULT_SIZE)
        );
        assert_eq!(super::parse_size("640X480"), Ok((640, 480)));
        assert!(super::parse_size("1200").is_err());
        assert!(super::parse_size("10x10").is_err());
    }
}
