//! The docs stay true: every `stockdb …` command line in README.md, BENCHMARKS.md and docs/
//! parses with the real command-line definition, the links between the pages resolve, the
//! README stays short enough to read to the end, the pages say where things stand (no dated
//! sections; BENCHMARKS.md and the list of limits stay short), and the layers ARCHITECTURE.md
//! describes hold.

mod common;

use clap::Parser;
use common::root;
use stockdb::cli::Cli;

/// README.md, ARCHITECTURE.md, BENCHMARKS.md and every page of docs/.
fn pages() -> Vec<std::path::PathBuf> {
    let mut pages = vec![
        root().join("README.md"),
        root().join("ARCHITECTURE.md"),
        root().join("BENCHMARKS.md"),
    ];
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The line without a trailing `# comment` (a `#` after a space, outside quotes).
fn without_comment(line: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && previous.is_whitespace() => return &line[..i],
            _ => {}
        }
        previous = c;
    }
    line
}

/// The arguments of a stockdb command line, or None for a line that runs something else.
fn stockdb_args(line: &str, shell_block: bool) -> Option<Vec<String>> {
    let line = line.trim();
    let line = match line.strip_prefix("$ ") {
        Some(rest) => rest,
        None if shell_block => line,
        None => return None,
    };
    let words = shlex::split(without_comment(line))?;
    // Environment assignments before the command (`READER_PASSWORD=... stockdb …`).
    let mut words = words.into_iter().skip_while(|w| {
        w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        })
    });
    let first = words.next()?;
    let rest: Vec<String> = words.collect();
    let args = match first.as_str() {
        "stockdb" => rest,
        // `cargo run --release -- demo`
        "cargo" if rest.first().is_some_and(|w| w == "run") => {
            let dash = rest.iter().position(|w| w == "--")?;
            rest[dash + 1..].to_vec()
        }
        _ => return None,
    };
    // Up to the first shell operator.
    let ops = ["|", ">", "<", "&&", ";", "2>&1", "||", "&"];
    Some(
        args.into_iter()
            .take_while(|w| !ops.contains(&w.as_str()))
            .collect(),
    )
}

#[test]
fn every_command_line_in_the_docs_parses() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let mut fence: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            if let Some(tag) = line.trim_start().strip_prefix("```") {
                fence = match fence {
                    Some(_) => None,
                    None => Some(tag.trim().to_string()),
                };
                continue;
            }
            let Some(tag) = &fence else { continue };
            let shell = matches!(tag.as_str(), "sh" | "bash" | "shell" | "console");
            let Some(args) = stockdb_args(line, shell) else {
                continue;
            };
            checked += 1;
            let argv = std::iter::once("stockdb".to_string()).chain(args);
            if let Err(e) = Cli::try_parse_from(argv) {
                use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
                if !matches!(e.kind(), DisplayHelp | DisplayVersion) {
                    let first = e.to_string().lines().next().unwrap_or("").to_string();
                    failures.push(format!("{}:{}: {line}\n    {first}", page.display(), n + 1));
                }
            }
        }
    }
    assert!(
        checked >= 40,
        "only {checked} command lines found: is the scan broken?"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} command lines do not parse:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn links_between_pages_resolve() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for target in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            let target = target.split('#').next().unwrap();
            if target.is_empty() || target.starts_with("http") {
                continue;
            }
            if !dir.join(target).exists() {
                broken.push(format!("{}: {target}", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_short_and_its_chart_is_small() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines; move detail to docs/"
    );
    let image = std::fs::metadata(root().join("docs/images/acme.png")).unwrap();
    assert!(
        image.len() <= 200 * 1024,
        "docs/images/acme.png is {} bytes",
        image.len()
    );
}

/// Issue 47: pages say where things stand; history lives in git.
#[test]
fn the_pages_say_where_things_stand_not_what_happened() {
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for line in text.lines().filter(|l| l.starts_with('#')) {
            assert!(
                !holds_a_date(line),
                "{}: a dated heading belongs in git history: {line}",
                page.display()
            );
        }
    }
    let benchmarks = std::fs::read_to_string(root().join("BENCHMARKS.md")).unwrap();
    let lines = benchmarks.lines().count();
    assert!(
        lines <= 300,
        "BENCHMARKS.md has {lines} lines: current figures only, history in git"
    );
    // One line per limit: after the introduction, every line is a heading, a bullet of its
    // own, or blank.
    let limits = std::fs::read_to_string(root().join("docs/not-finished.md")).unwrap();
    let body = limits.split_once("\n## ").map(|(_, rest)| rest).unwrap();
    for line in body.lines().skip(1) {
        assert!(
            line.is_empty() || line.starts_with("## ") || line.starts_with("- "),
            "docs/not-finished.md: one line per limit, no continuation: {line}"
        );
    }
}

/// True for a line holding a date written like 2026-12-03.
fn holds_a_date(line: &str) -> bool {
    line.as_bytes().windows(10).any(|w| {
        w.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
    })
}

/// ARCHITECTURE.md's layers: `db/` uses neither `load/` nor `analytics/`, and `analytics/`
/// uses nothing of `load/` (issue 47 took out the last such import).
#[test]
fn the_layers_point_down() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    for (layer, forbidden) in [
        ("src/db", &["crate::load", "crate::analytics"][..]),
        ("src/analytics", &["crate::load"][..]),
    ] {
        let mut files = Vec::new();
        sources(&root().join(layer), &mut files);
        assert!(!files.is_empty());
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in forbidden {
                assert!(
                    !text.contains(name),
                    "{} uses {name}: lower layers never import upper ones",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn the_scan_reads_shell_lines_the_way_a_shell_would() {
    let args = |l: &str, shell: bool| stockdb_args(l, shell);
    assert_eq!(
        args("stockdb load a.csv --symbol MSFT   # a comment", true).unwrap(),
        ["load", "a.csv", "--symbol", "MSFT"]
    );
    assert_eq!(
        args(
            "READER_PASSWORD=x stockdb grant-reader g --password-env READER_PASSWORD",
            true
        )
        .unwrap(),
        ["grant-reader", "g", "--password-env", "READER_PASSWORD"]
    );
    assert_eq!(
        args("$ stockdb report x --format csv | head -3", false).unwrap(),
        ["report", "x", "--format", "csv"]
    );
    assert_eq!(args("cargo run --release -- demo", true).unwrap(), ["demo"]);
    assert_eq!(
        args("stockdb load data.csv --date-format '%d.%m.%Y'", true).unwrap(),
        ["load", "data.csv", "--date-format", "%d.%m.%Y"]
    );
    assert!(
        args("stockdb load x", false).is_none(),
        "plain blocks need a `$ `"
    );
    assert!(args("psql -c 'select 1'", true).is_none());
}
