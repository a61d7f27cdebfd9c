//! `symbols_valid_meta.csv` (the Kaggle / Nasdaq Trader listing) into `market.symbols`.

use super::files::check_symbol;
use anyhow::{Context, Result, bail};
use sqlx::PgConnection;
use std::path::Path;

/// The listing's rows, column-wise, ready to bind as arrays.
#[derive(Debug, Default)]
pub struct Listing {
    pub symbol: Vec<String>,
    pub name: Vec<Option<String>>,
    pub asset_class: Vec<Option<String>>,
    pub exchange: Vec<Option<String>>,
    pub market_category: Vec<Option<String>>,
    pub round_lot_size: Vec<Option<i32>>,
    pub is_test_issue: Vec<Option<bool>>,
    pub financial_status: Vec<Option<String>>,
    pub nasdaq_traded: Vec<Option<bool>>,
}

fn key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads the listing; a row without a valid symbol refuses the file with its line.
pub fn read(path: &Path) -> Result<Listing> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("{}: cannot open", path.display()))?;
    let headers: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(key)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let Some(symbol_col) = col("symbol") else {
        bail!("{}:1: header has no Symbol column", path.display());
    };
    let cols = [
        col("securityname"),
        col("etf"),
        col("listingexchange"),
        col("marketcategory"),
        col("roundlotsize"),
        col("testissue"),
        col("financialstatus"),
        col("nasdaqtraded"),
    ];
    let mut listing = Listing::default();
    let mut seen = std::collections::HashSet::new();
    for record in rdr.records() {
        let record = record.with_context(|| format!("{}: cannot read", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        // Blank cells are written as a single space in the Nasdaq listing.
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let yes_no = |c: Option<usize>| get(c).map(|v| v.eq_ignore_ascii_case("y"));
        let raw_symbol = record.get(symbol_col).unwrap_or("");
        let symbol = check_symbol(raw_symbol)
            .with_context(|| format!("{}:{line}:{}: Symbol", path.display(), symbol_col + 1))?;
        // One statement cannot upsert a symbol twice; the first row wins.
        if !seen.insert(symbol.clone()) {
            tracing::warn!(
                "{}:{line}: symbol {symbol} listed again, ignored",
                path.display()
            );
            continue;
        }
        listing.symbol.push(symbol);
        listing.name.push(get(cols[0]));
        listing
            .asset_class
            .push(yes_no(cols[1]).map(|etf| if etf { "etf" } else { "stock" }.to_string()));
        listing.exchange.push(get(cols[2]));
        listing.market_category.push(get(cols[3]));
        listing.round_lot_size.push(
            get(cols[4])
                .and_then(|v| v.parse::<f64>().ok())
                .map(|v| v as i32),
        );
        listing.is_test_issue.push(yes_no(cols[5]));
        listing.financial_status.push(get(cols[6]));
        listing.nasdaq_traded.push(yes_no(cols[7]));
    }
    Ok(listing)
}

/// Upserts the listing in one statement; returns the number of symbols written.
pub async fn store(conn: &mut PgConnection, listing: &Listing) -> Result<u64> {
    let done = sqlx::query(include_str!("sql/symbols_meta.sql"))
        .bind(&listing.symbol)
        .bind(&listing.name)
        .bind(&listing.asset_class)
        .bind(&listing.exchange)
        .bind(&listing.market_category)
        .bind(&listing.round_lot_size)
        .bind(&listing.is_test_issue)
        .bind(&listing.financial_status)
        .bind(&listing.nasdaq_traded)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
