//! The report catalog: `queries/*.sql` embedded in the binary, plus `--queries DIR`, each
//! declared by a header (`-- name:`, `-- description:`, `-- param:`; DESIGN.md §7).

use anyhow::{Context, Result, bail};
use include_dir::{Dir, include_dir};
use serde::Serialize;
use std::fmt;
use std::path::Path;

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/queries");

/// The type of a report parameter, which decides how its value is parsed and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Text,
    Date,
    Int,
    Float,
}

impl ParamType {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "text" => ParamType::Text,
            "date" => ParamType::Date,
            "int" | "integer" | "bigint" => ParamType::Int,
            "float" | "double" | "numeric" => ParamType::Float,
            _ => return None,
        })
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamType::Text => "text",
            ParamType::Date => "date",
            ParamType::Int => "int",
            ParamType::Float => "float",
        })
    }
}

/// One declared parameter; the n-th declared is bound as `$n`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    pub name: String,
    pub ty: ParamType,
    pub required: bool,
    pub default: Option<String>,
    pub doc: String,
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.ty)?;
        match (&self.default, self.required) {
            (_, true) => write!(f, " required"),
            (Some(d), false) => write!(f, " optional={d}"),
            (None, false) => write!(f, " optional"),
        }
    }
}

/// A named report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub name: String,
    pub description: String,
    pub params: Vec<Param>,
    /// Planner settings for this report's transaction (`-- setting: NAME = VALUE`).
    #[serde(skip)]
    pub settings: Vec<(String, String)>,
    #[serde(skip)]
    pub sql: String,
    /// Where it came from: `embedded` or a path.
    pub source: String,
}

/// Parses a report file; `fallback_name` names a file without a `-- name:` line.
pub fn parse(text: &str, fallback_name: &str, source: &str) -> Result<Report> {
    let mut name = None;
    let mut description = String::new();
    let mut params: Vec<Param> = Vec::new();
    let mut settings = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(comment) = line.trim().strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break; // the header ends at the first SQL line
        };
        let comment = comment.trim();
        let at = || format!("{source}:{}", i + 1);
        if let Some(v) = comment.strip_prefix("name:") {
            name = Some(v.trim().to_string());
        } else if let Some(v) = comment.strip_prefix("description:") {
            description = v.trim().to_string();
        } else if let Some(v) = comment.strip_prefix("setting:") {
            // `-- setting: enable_sort = off  - why`: a server setting for this report only.
            let spec = v.split_once(" - ").map_or(v, |(spec, _)| spec);
            let plain = |w: &str| {
                !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            };
            match spec.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                Some((k, v)) if plain(k) && plain(v) => {
                    settings.push((k.to_string(), v.to_string()))
                }
                _ => bail!("{}: expected `-- setting: NAME = VALUE`", at()),
            }
        } else if let Some(v) = comment.strip_prefix("param:") {
            let (spec, doc) = v.split_once(" - ").unwrap_or((v, ""));
            let words: Vec<&str> = spec.split_whitespace().collect();
            let [pname, ty, need] = words[..] else {
                bail!(
                    "{}: expected `-- param: NAME TYPE required|optional[=DEFAULT] - doc`",
                    at()
                );
            };
            let ty = ParamType::parse(ty).with_context(|| {
                format!("{}: unknown type {ty:?} (text, date, int, float)", at())
            })?;
            let (required, default) = match need.split_once('=') {
                Some(("optional", d)) => (false, Some(d.to_string())),
                None if need == "optional" => (false, None),
                None if need == "required" => (true, None),
                _ => bail!(
                    "{}: {need:?} should be required, optional or optional=DEFAULT",
                    at()
                ),
            };
            if params.iter().any(|p| p.name == pname) {
                bail!("{}: parameter {pname} declared twice", at());
            }
            params.push(Param {
                name: pname.to_string(),
                ty,
                required,
                default,
                doc: doc.trim().to_string(),
            });
        }
    }
    Ok(Report {
        name: name.unwrap_or_else(|| fallback_name.to_string()),
        description,
        params,
        settings,
        sql: text.to_string(),
        source: source.to_string(),
    })
}

/// All reports: the embedded ones, then those in `extra` (which override by name).
pub fn load(extra: Option<&Path>) -> Result<Vec<Report>> {
    let mut reports: Vec<Report> = Vec::new();
    let mut add = |report: Report| -> Result<()> {
        if report.source == "embedded"
            && let Some(twin) = reports.iter().find(|r| r.name == report.name)
        {
            bail!(
                "report name {} is used twice ({} and another file)",
                report.name,
                twin.source
            );
        }
        reports.retain(|r| r.name != report.name);
        reports.push(report);
        Ok(())
    };
    let mut embedded: Vec<_> = EMBEDDED
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "sql"))
        .collect();
    embedded.sort_by_key(|f| f.path());
    for file in embedded {
        let stem = file
            .path()
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy();
        let text = file
            .contents_utf8()
            .context("an embedded report is not UTF-8")?;
        add(parse(text, &stem, "embedded")?)?;
    }
    if let Some(dir) = extra {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("--queries {}: cannot list", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        paths.sort();
        for path in paths {
            add(from_file(&path)?)?;
        }
    }
    reports.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(reports)
}

/// The report as the server's tier runs it: a shipped report with a variant in
/// `queries/<tier>/` (the same name, parameters and output) takes that variant's SQL. Citus
/// plans some shapes that suit one server poorly or not at all (a LIMIT in a lateral subquery
/// of a reference table, say), and the shape that suits Citus would cost the others a scan.
pub fn for_tier(report: Report, tier: crate::db::Tier) -> Result<Report> {
    let variant = EMBEDDED.get_file(format!("{tier}/{}.sql", report.name));
    match variant {
        Some(file) if report.source == "embedded" => {
            let text = file
                .contents_utf8()
                .context("an embedded report is not UTF-8")?;
            let source = format!("embedded ({tier})");
            let variant = parse(text, &report.name, &source)?;
            anyhow::ensure!(
                variant.name == report.name && variant.params == report.params,
                "queries/{tier}/{}.sql: its name and parameters differ from the report's",
                report.name
            );
            Ok(variant)
        }
        _ => Ok(report),
    }
}

/// A report from any SQL file (`--file`); the header is optional.
pub fn from_file(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    parse(&text, &stem, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_and_checked() {
        let r = parse(
            "-- name: q\n-- setting: enable_sort = off - why\n-- setting: work_mem=64MB\nSELECT 1",
            "f",
            "x.sql",
        )
        .unwrap();
        assert_eq!(
            r.settings,
            [
                ("enable_sort".to_string(), "off".to_string()),
                ("work_mem".to_string(), "64MB".to_string())
            ]
        );
        assert!(parse("-- setting: a = b; DROP\n", "f", "x.sql").is_err());
        assert!(parse("-- setting: nothing\n", "f", "x.sql").is_err());
    }

    #[test]
    fn parses_the_header() {
        let r = parse(
            "-- name: q\n-- description: Quarterly\n-- param: symbol text required - the symbol\n\
             -- param: width float optional=0.01 - bucket width\n-- param: from date optional\nSELECT 1",
            "file",
            "x.sql",
        )
        .unwrap();
        assert_eq!(r.name, "q");
        assert_eq!(r.description, "Quarterly");
        assert_eq!(r.params.len(), 3);
        assert_eq!(r.params[0].to_string(), "symbol text required");
        assert_eq!(r.params[1].default.as_deref(), Some("0.01"));
        assert_eq!(r.params[2].to_string(), "from date optional");
    }

    #[test]
    fn header_errors_are_located() {
        let err = parse(
            "-- name: q\n-- param: a blob required\nSELECT 1",
            "f",
            "x.sql",
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("x.sql:2: unknown type"),
            "{err}"
        );
        let err = parse("-- param: a text maybe\n", "f", "x.sql").unwrap_err();
        assert!(err.to_string().contains("required, optional"), "{err}");
    }

    #[test]
    fn every_shipped_report_parses_with_a_unique_name_and_description() {
        let reports = load(None).unwrap();
        let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
        for expected in [
            "weekly_average",
            "monthly_average",
            "quarterly_average",
            "yearly_average",
            "moving_averages",
            "golden_cross",
            "daily_returns",
            "returns_distribution",
            "volume_features",
            "load_history",
            "data_quality",
            "intraday_bars",
            "vwap_daily",
            "intraday_vs_daily",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(reports.iter().all(|r| !r.description.is_empty()));
        // Every $n a report uses is declared.
        for r in &reports {
            for n in 1..=9 {
                if r.sql.contains(&format!("${n}")) {
                    assert!(
                        r.params.len() >= n,
                        "{} uses ${n} but declares {} params",
                        r.name,
                        r.params.len()
                    );
                }
            }
        }
    }
}
