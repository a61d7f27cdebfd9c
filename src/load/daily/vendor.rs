//! Day bars of many symbols from the vendors (issue 43): Polygon/Massive `day_aggs_v1` and
//! Databento `ohlcv-1d`, read by the intraday kind's `MarketReader` (one reader of vendor
//! layouts) into the daily kind's grouped rows, with their trade counts.

use super::parse::Row;
use super::read::{Grouped, Parsed};
use crate::db::copy;
use crate::load::input::{Stop, Watch, open_hashed};
use crate::load::intraday::market::read::{MarketItem, MarketReader};
use crate::load::intraday::vendor;
use crate::load::job::Settings;
use crate::load::values::{BadRow, Problem};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

/// True when the file is a vendor's day bars of many symbols.
pub fn is_vendor_days(path: &Path) -> bool {
    let Some(head) = crate::load::input::open_plain(path)
        .ok()
        .and_then(|r| crate::load::intraday::parse::read_head(r).ok())
    else {
        return false;
    };
    matches!(vendor::sniff(&head, path), Some(Ok(layout)) if layout.daily())
}

/// Reads a vendor day file whole, grouped by symbol: a row given twice whole loads once (a
/// warning), given twice with other values the later line is a bad row.
pub(super) fn read(path: &Path, settings: &Settings) -> Result<Grouped, Stop> {
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let watch = Watch::new(std::fs::File::open(path).map_err(|e| Stop::File(e.into()))?)?;
    let mut first_open = true;
    let mut reader = MarketReader::open(
        || {
            if first_open {
                first_open = false;
                return open_hashed(path, &Rc::new(RefCell::new(Sha256::new())));
            }
            open_hashed(path, &hasher)
        },
        path,
        settings.parse.timezone,
        settings.parse.strict,
    )
    .map_err(Stop::from)?;
    let mut parsed = Parsed {
        format: format!("{} (day bars)", reader.layout().label()),
        columns: reader.layout().mapping(),
        dates: "the trading day of each bar's start".into(),
        ..Parsed::default()
    };
    let mut symbols: BTreeMap<String, Vec<(Row, u8)>> = BTreeMap::new();
    let mut seen: HashMap<(String, NaiveDate), (u64, Row, Option<i64>)> = HashMap::new();
    let mut transactions = Vec::new();
    let (mut values, mut digests) = (Vec::with_capacity(128), 0u64);
    while let Some(item) = reader.next_item().map_err(Stop::from)? {
        let (bar, suspicious) = match item {
            MarketItem::Bar(bar, suspicious) => (bar, suspicious),
            MarketItem::Bad(row) => {
                parsed.reject(row, settings)?;
                continue;
            }
        };
        let row = Row {
            day: bar.day(),
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            adj_close: None,
            volume: bar.volume,
        };
        let symbol = reader.symbol().to_string();
        let key = (symbol.clone(), row.day);
        if let Some((first_line, first, first_count)) = seen.get(&key) {
            if *first == row && *first_count == bar.transactions {
                // Accepted (the file's count holds), stored once.
                parsed.accepted += 1;
                parsed.warned += 1;
                tracing::warn!(
                    "{}:{}: repeats line {first_line} whole, loaded once",
                    path.display(),
                    reader.line
                );
                continue;
            }
            let bad = BadRow::new(
                reader.line,
                None,
                Problem::DuplicateDate {
                    day: row.day,
                    first_line: *first_line,
                },
                format!(
                    "{symbol},{},{},{},{},{},{}",
                    row.day, row.open, row.high, row.low, row.close, row.volume
                ),
            );
            parsed.reject(bad, settings)?;
            continue;
        }
        values.clear();
        put_values(&mut values, &symbol, &row, bar.transactions);
        digests = digests.wrapping_add(copy::digest(&values));
        seen.insert(key, (reader.line, row, bar.transactions));
        let warnings = row.warnings() | u8::from(suspicious && row.warnings() == 0);
        parsed.count(&row, warnings);
        if let Some(n) = bar.transactions {
            transactions.push((symbol.clone(), row.day, n));
        }
        symbols.entry(symbol).or_default().push((row, warnings));
    }
    parsed.rows = reader.rows;
    drop(reader);
    watch.check()?;
    parsed.sha256 = format!("{:x}", hasher.borrow_mut().finalize_reset());
    Ok(Grouped {
        symbols,
        actions: BTreeMap::new(),
        file: parsed,
        transactions,
        digests: Some(digests),
    })
}

/// A day row's symbol and values as binary COPY writes (and reads back) them: the columns of
/// `sql/vendor_read_back.sql`.
fn put_values(buf: &mut Vec<u8>, symbol: &str, row: &Row, transactions: Option<i64>) {
    copy::put_text(buf, symbol);
    copy::put_date(buf, row.day);
    for v in [row.open, row.high, row.low, row.close] {
        copy::put_f64(buf, v);
    }
    copy::put_i64(buf, row.volume);
    copy::put_opt_i64(buf, transactions);
}

/// True when every row of a vendor day file (`symbols`, their digests' wrapping sum) is
/// stored as the file gives it: a re-load then writes nothing.
pub(super) async fn unchanged(
    conn: &mut sqlx::PgConnection,
    symbols: &BTreeMap<String, Vec<(Row, u8)>>,
    (first, last): (NaiveDate, NaiveDate),
    digests: u64,
) -> anyhow::Result<bool> {
    use futures_util::TryStreamExt;
    let rows: usize = symbols.values().map(Vec::len).sum();
    let (mut count, mut sum) = (0usize, 0u64);
    let mut tuples = copy::TupleReader::default();
    let sql = copy::with_literals(
        include_str!("sql/vendor_read_back.sql"),
        &[("from", &first.to_string()), ("to", &last.to_string())],
    );
    let mut stream = conn.copy_out_raw(&sql).await?;
    while let Some(chunk) = stream.try_next().await? {
        tuples
            .feed(&chunk, |values| {
                // Only the file's symbols: other sources' rows of these days are not compared.
                let Some(end) = copy::fields_end(values, 1) else {
                    return;
                };
                let symbol = std::str::from_utf8(&values[4..end]).unwrap_or_default();
                if symbols.contains_key(symbol) {
                    count += 1;
                    sum = sum.wrapping_add(copy::digest(values));
                }
            })
            .map_err(anyhow::Error::msg)?;
    }
    Ok(count == rows && sum == digests)
}
