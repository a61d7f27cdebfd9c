//! Which files a `stockdb load PATH...` means: price files with their symbol and asset class,
//! and `symbols_valid_meta.csv` metadata, found in files, directories or a Kaggle-style tree.

use super::files::{AssetClass, DayRange, Kind, PriceFile, check_symbol};
use anyhow::{Context, Result, bail};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Name of the Kaggle metadata file.
pub const META_FILE: &str = "symbols_valid_meta.csv";

/// Everything one load run reads.
#[derive(Debug, Default)]
pub struct Plan {
    pub files: Vec<PriceFile>,
    pub meta: Vec<PathBuf>,
    /// Day files left out by `--from` / `--to`.
    pub skipped_days: usize,
}

/// Expands the paths: files as given, directories walked (sorted, symlink loops skipped); day
/// files outside `days` are left out before they are opened.
pub fn discover(paths: &[PathBuf], symbol: Option<&str>, days: DayRange) -> Result<Plan> {
    let mut plan = Plan::default();
    let mut visited = HashSet::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
        if meta.is_dir() {
            let before = plan.files.len();
            walk(path, &mut plan, &mut visited, days)?;
            if plan.files.len() == before && plan.skipped_days == 0 {
                bail!(
                    "{}: no price files (*.csv, *.csv.gz, event files part-*.txt or *.jsonl) in this directory or below",
                    path.display()
                );
            }
        } else if is_meta(path) {
            plan.meta.push(path.clone());
        } else if !days.admits(path) {
            plan.skipped_days += 1;
        } else {
            plan.files.push(price_file(path, None, symbol.is_some())?);
        }
    }
    if let Some(symbol) = symbol {
        if plan.files.len() != 1 {
            bail!(
                "--symbol names the symbol of one file, but {} price files were given",
                plan.files.len()
            );
        }
        let given = check_symbol(symbol).with_context(|| format!("--symbol {symbol:?}"))?;
        let file = &mut plan.files[0];
        if file.symbol_per_row {
            bail!(
                "{}: --symbol names the symbol of a file, but this one names a symbol on each row",
                file.path.display()
            );
        }
        if file.symbol_in_file && file.symbol != given {
            bail!(
                "{}: --symbol {given} disagrees with the symbol the file names, {}",
                file.path.display(),
                file.symbol
            );
        }
        file.symbol = given;
    }
    Ok(plan)
}

fn walk(dir: &Path, plan: &mut Plan, visited: &mut HashSet<PathBuf>, days: DayRange) -> Result<()> {
    let canonical = dir
        .canonicalize()
        .with_context(|| format!("{}: cannot resolve", dir.display()))?;
    if !visited.insert(canonical) {
        tracing::warn!(
            "{}: already visited (symlink loop?), skipped",
            dir.display()
        );
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}: cannot list", dir.display()))?;
    entries.sort();
    let class = folder_class(dir);
    for path in entries {
        let Ok(meta) = std::fs::metadata(&path) else {
            tracing::warn!("{}: cannot read (broken link?), skipped", path.display());
            continue;
        };
        if meta.is_dir() {
            walk(&path, plan, visited, days)?;
        } else if is_meta(&path) {
            plan.meta.push(path);
        } else if is_price_file(&path) && !days.admits(&path) {
            plan.skipped_days += 1;
        } else if is_price_file(&path) {
            plan.files.push(price_file(&path, class, false)?);
        }
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_meta(path: &Path) -> bool {
    file_name(path).eq_ignore_ascii_case(META_FILE)
}

/// True for a name discovery takes as a price file (a folder walk, `load --follow DIR`).
pub fn is_price_file(path: &Path) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    // `*.us.txt`: Stooq's bulk downloads (the Kaggle "Huge Stock Market Dataset");
    // `part-*.txt`: Spark's output files (exchange event trees); JSON lines.
    // Other `*.txt` files (the sectioned sample) when their content is events.
    let events = [".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz"]
        .iter()
        .any(|e| name.ends_with(e))
        || (name.ends_with(".txt")
            && !name.ends_with(".us.txt")
            && (name.starts_with("part-") || super::events::sniff_file(path).is_some()))
        // NYSE Daily TAQ names its files without an extension (`EQY_US_ALL_TRADE_20240308`).
        || name.starts_with("eqy_us_all_");
    // The files beside Databento's batch downloads are not prices.
    let vendor_meta = matches!(
        name.as_str(),
        "symbology.json" | "metadata.json" | "manifest.json" | "condition.json"
    );
    (name.ends_with(".csv") || name.ends_with(".csv.gz") || name.ends_with(".us.txt") || events)
        && !name.starts_with('.')
        && !vendor_meta
}

fn folder_class(dir: &Path) -> Option<AssetClass> {
    match file_name(dir).to_ascii_lowercase().as_str() {
        "stocks" | "stock" => Some(AssetClass::Stock),
        "etfs" | "etf" => Some(AssetClass::Etf),
        _ => None,
    }
}

/// A price file and its symbol: the one its content names (yfinance ticker line, a symbol
/// column), else the file name's; `symbol_given` (`--symbol`) spares the file name.
fn price_file(path: &Path, class: Option<AssetClass>, symbol_given: bool) -> Result<PriceFile> {
    let class = class.or_else(|| path.parent().and_then(folder_class));
    if super::events::sniff_file(path).is_some() {
        // Many symbols, named on each record; the report lists them once the file is read.
        return Ok(PriceFile {
            path: path.to_path_buf(),
            symbol: String::new(),
            asset_class: None,
            symbol_in_file: true,
            symbol_per_row: true,
            kind: Kind::Events,
            copy_first: false,
            piece: None,
        });
    }
    if let Some(daily) = market_layout(path) {
        // Vendor day files and long intraday files: a symbol on every row.
        return Ok(PriceFile {
            path: path.to_path_buf(),
            symbol: String::new(),
            asset_class: class,
            symbol_in_file: true,
            symbol_per_row: true,
            kind: if daily { Kind::Daily } else { Kind::Intraday },
            copy_first: false,
            piece: None,
        });
    }
    // An intraday file names at most one symbol; a daily one may name one on each row.
    let (kind, in_file, symbol_per_row) = match intraday_symbol(path) {
        Some(symbol) => (Kind::Intraday, symbol, false),
        None => {
            let (symbol, per_row) = content_symbol(path);
            (Kind::Daily, symbol, per_row)
        }
    };
    let symbol = match &in_file {
        Some(s) => check_symbol(s).with_context(|| format!("{}: symbol", path.display()))?,
        None if symbol_given => String::new(),
        None => symbol_from_file_name(&file_name(path)).with_context(|| {
            format!(
                "{}: cannot take a symbol from the file name; give --symbol",
                path.display()
            )
        })?,
    };
    Ok(PriceFile {
        path: path.to_path_buf(),
        symbol,
        asset_class: class,
        symbol_in_file: in_file.is_some(),
        symbol_per_row,
        kind,
        copy_first: false,
        piece: None,
    })
}

/// Some when the file's first lines are those of a file naming a symbol on every row in a
/// layout of `intraday::vendor` (a vendor's day file, a long intraday file): true for day bars.
fn market_layout(path: &Path) -> Option<bool> {
    let head = super::input::open_plain(path)
        .ok()
        .and_then(|r| super::intraday::parse::read_head(r).ok())?;
    match super::intraday::vendor::sniff(&head, path)? {
        Ok(layout) => Some(layout.daily()),
        Err(_) => Some(false),
    }
}

/// `Some` when the file's first lines are an intraday file's, with the symbol they name (a
/// yfinance ticker line, the first row of a Symbol column), if any.
fn intraday_symbol(path: &Path) -> Option<Option<String>> {
    let reader = super::input::open_plain(path).ok()?;
    let head = super::intraday::parse::read_head(reader).ok()?;
    // A file that looks intraday but cannot be read goes the intraday way, which says why.
    let layout = match super::intraday::sniff::sniff(&head)? {
        Ok(layout) => layout,
        Err(_) => return Some(None),
    };
    let from_column = layout.symbol_column.and_then(|c| {
        head.get(layout.header_rows)
            .and_then(|row| row.get(c))
            .filter(|s| !s.is_empty())
            .map(|s| s.to_uppercase())
    });
    Some(layout.ticker.or(from_column))
}

/// The symbol a file names in its first lines, if it does, and whether it names one on each
/// row; a file that cannot be read or recognised names none here (its load reports why).
fn content_symbol(path: &Path) -> (Option<String>, bool) {
    sniff(path).unwrap_or((None, false))
}

fn sniff(path: &Path) -> Option<(Option<String>, bool)> {
    let reader = super::input::open_plain(path).ok()?;
    let reader = super::daily::parse::PriceReader::new(reader, Default::default()).ok()?;
    Some((
        reader.symbol().map(str::to_string),
        reader.layout().symbol_per_row(),
    ))
}

/// Words that name the download, not the symbol: `daily_MSFT.csv`, `MSFT Historical Data.csv`.
const SOURCE_WORDS: [&str; 10] = [
    "daily",
    "historical",
    "history",
    "data",
    "prices",
    "price",
    "quotes",
    "stock",
    "eod",
    "d",
];

/// `msft.csv` → `MSFT`; a trailing download date is dropped (`MSFT_2023-06-20.csv` → `MSFT`),
/// since such a file is a later download of the same symbol.
pub fn symbol_from_file_name(name: &str) -> Result<String> {
    let lower = name.to_ascii_lowercase();
    let stem_len = if lower.ends_with(".csv.gz") {
        name.len() - 7
    } else if lower.ends_with(".csv") {
        name.len() - 4
    } else {
        name.rfind('.').unwrap_or(name.len())
    };
    let mut stem = &name[..stem_len];
    // `aapl.us.txt` (Stooq): the market suffix is not part of the symbol.
    if stem.len() > 3 && stem.to_ascii_lowercase().ends_with(".us") {
        stem = &stem[..stem.len() - 3];
    }
    for suffix_len in [11, 9] {
        // `_YYYY-MM-DD` (11) or `_YYYYMMDD` (9), after `_` or `-`.
        if stem.len() > suffix_len {
            let (head, tail) = stem.split_at(stem.len() - suffix_len);
            let date = &tail[1..];
            let is_date = if suffix_len == 11 {
                super::values::parse_date(date, None).is_some()
            } else {
                super::values::parse_date(date, Some("%Y%m%d")).is_some()
            };
            if matches!(tail.as_bytes()[0], b'_' | b'-') && is_date {
                stem = head;
                break;
            }
        }
    }
    let words: Vec<&str> = stem.split(['_', ' ']).filter(|w| !w.is_empty()).collect();
    let kept: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| {
            !SOURCE_WORDS.contains(&w.to_ascii_lowercase().as_str())
                && !super::intraday::sniff::is_intraday_word(w)
        })
        .collect();
    if words.len() > 1 && !kept.is_empty() {
        return check_symbol(&kept.join("_"));
    }
    check_symbol(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_from_file_names() {
        assert_eq!(symbol_from_file_name("msft.csv").unwrap(), "MSFT");
        assert_eq!(
            symbol_from_file_name("MSFT_2023-06-20.csv").unwrap(),
            "MSFT"
        );
        assert_eq!(
            symbol_from_file_name("AAPL-20210127.csv.gz").unwrap(),
            "AAPL"
        );
        assert_eq!(symbol_from_file_name("BRK-A.csv").unwrap(), "BRK.A");
        assert_eq!(
            symbol_from_file_name("X_2023-13-45.csv").unwrap(),
            "X_2023-13-45"
        );
        assert!(symbol_from_file_name(".csv").is_err());
        // Words naming the download, not the symbol (issue 10).
        assert_eq!(symbol_from_file_name("daily_MSFT.csv").unwrap(), "MSFT");
        assert_eq!(
            symbol_from_file_name("MSFT Historical Data.csv").unwrap(),
            "MSFT"
        );
        assert_eq!(symbol_from_file_name("aapl.us.txt").unwrap(), "AAPL");
        assert_eq!(symbol_from_file_name("BRK_B.csv").unwrap(), "BRK_B");
        assert_eq!(symbol_from_file_name("daily.csv").unwrap(), "DAILY");
    }

    #[test]
    fn symbol_checks() {
        assert!(check_symbol("  ").is_err());
        assert!(check_symbol(&"A".repeat(33)).is_err());
        assert!(check_symbol("A B C").is_err());
        assert_eq!(
            check_symbol("A B").unwrap(),
            "A.B",
            "a share class written with a space"
        );
        assert_eq!(check_symbol(" brk.b ").unwrap(), "BRK.B");
    }

    #[test]
    fn kaggle_tree_gives_classes_and_meta() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("stocks")).unwrap();
        std::fs::create_dir_all(dir.path().join("etfs")).unwrap();
        std::fs::write(dir.path().join("stocks/AAPL.csv"), "x").unwrap();
        std::fs::write(dir.path().join("etfs/SPY.csv"), "x").unwrap();
        std::fs::write(dir.path().join("symbols_valid_meta.csv"), "x").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let plan = discover(&[dir.path().to_path_buf()], None, DayRange::default()).unwrap();
        assert_eq!(plan.meta.len(), 1);
        let got: Vec<_> = plan
            .files
            .iter()
            .map(|f| (f.symbol.as_str(), f.asset_class))
            .collect();
        assert_eq!(
            got,
            vec![
                ("SPY", Some(AssetClass::Etf)),
                ("AAPL", Some(AssetClass::Stock))
            ]
        );
    }

    #[test]
    fn empty_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = discover(&[dir.path().to_path_buf()], None, DayRange::default()).unwrap_err();
        assert!(err.to_string().contains("no price files"), "{err}");
    }
}
