//! What a person sees: summaries that fit the terminal, the short list of files that need a
//! look, coloured labels only where they belong, and quiet exits on a closed pipe.

mod common;

use common::{fresh_db, root, run_with};
use std::path::Path;
use std::process::{Command, Stdio};

/// A generated tree of `symbols` files plus `bad` files that are refused.
fn tree_with_bad_files(dir: &Path, symbols: usize, bad: usize) {
    let run = run_with(
        &[
            "generate",
            "--symbols",
            &symbols.to_string(),
            "--years",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ],
        &[],
        root(),
    );
    run.expect_code(0);
    for i in 0..bad {
        std::fs::copy(
            root().join("fixtures/bad/missing_value.csv"),
            dir.join(format!("stocks/ZZBAD{i:02}.csv")),
        )
        .unwrap();
    }
}

fn widest_line(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[tokio::test]
async fn a_large_load_lists_only_the_files_that_need_a_look_and_fits_the_width() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    tree_with_bad_files(dir.path(), 40, 12);
    let files = walk(dir.path()).len() - 1; // less symbols_valid_meta.csv
    let tree = dir.path().to_str().unwrap();
    let env = [("DATABASE_URL", db.url.as_str()), ("COLUMNS", "100")];
    let run = run_with(&["load", tree], &env, root());
    run.expect_code(1);
    let out = run.stdout();
    assert!(
        widest_line(&out) <= 100,
        "wider than 100\n{}",
        run.describe()
    );
    assert!(out.lines().count() <= 60, "{}", run.describe());
    // The refused files are listed first, relative to the folder given, with their reason.
    assert!(out.contains("stocks/ZZBAD00.csv"), "{}", run.describe());
    assert_eq!(out.matches("✗ refused").count(), 12, "{}", run.describe());
    // (The reason wraps inside its cell at 100 columns.)
    assert!(
        out.contains("line 4: Low:") && out.contains("missing value"),
        "{}",
        run.describe()
    );
    // Their full errors stop after 10, with a note, then the total.
    let errors = run
        .stderr()
        .lines()
        .filter(|l| l.starts_with("error: "))
        .count();
    assert_eq!(errors, 11, "{}", run.describe());
    assert!(
        run.stderr()
            .contains("note: 2 more files were not loaded; -v prints every error"),
        "{}",
        run.describe()
    );
    let cleanly = out
        .lines()
        .find(|l| l.contains("files loaded cleanly"))
        .unwrap_or_else(|| panic!("no count of clean files\n{}", run.describe()));
    assert!(cleanly.contains("(-v lists every file"), "{cleanly}");
    // Every file is in exactly one place: a row, or a count.
    let rows = out.lines().filter(|l| l.contains(".csv ")).count();
    let counted: usize = cleanly
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .filter(|n| !n.is_empty())
        .map(|n| n.replace(',', "").parse::<usize>().unwrap())
        .take(if cleanly.contains("more not listed") {
            2
        } else {
            1
        })
        .sum();
    assert_eq!(rows + counted, files, "{}", run.describe());
    assert!(
        out.contains(&format!("{files} files:")),
        "{}",
        run.describe()
    );

    // -v lists every file; JSON has every file.
    let all = run_with(&["load", tree, "-v"], &env, root());
    all.expect_code(1);
    let listed = all.stdout().lines().filter(|l| l.contains(".csv ")).count();
    assert_eq!(listed, files, "{}", all.describe());
    let errors = all
        .stderr()
        .lines()
        .filter(|l| l.starts_with("error: "))
        .count();
    assert_eq!(errors, 13, "{}", all.describe());
    let json = run_with(&["load", tree, "--format", "json"], &env, root());
    assert_eq!(common::files(&json.json()).len(), files);
}

#[tokio::test]
async fn pipes_get_unwrapped_tables_and_every_file_of_a_small_load() {
    let db = fresh_db().await;
    let run = db.run(&["load", "fixtures/kaggle", "fixtures/yahoo/ACME.csv"]);
    run.expect_code(0);
    let out = run.stdout();
    // Paths relative to the one folder given, files as given.
    for needle in ["│ stocks/ALFA.csv", "│ fixtures/yahoo/ACME.csv", "300 new"] {
        assert!(out.contains(needle), "{needle}\n{}", run.describe());
    }
    // No terminal and no COLUMNS: one line per row, however wide.
    let rows = out.lines().filter(|l| l.contains(".csv ")).count();
    assert_eq!(rows, 4, "{}", run.describe());
}

#[tokio::test]
async fn wide_reports_and_status_fit_a_narrow_terminal() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv", "fixtures/events"])
        .expect_code(0);
    for (args, width) in [
        (
            vec![
                "report",
                "trade_analytics",
                "--symbol",
                "ACME",
                "--from",
                "2020-08-06",
            ],
            80,
        ),
        (vec!["report", "monthly_average", "--symbol", "ACME"], 60),
        (vec!["report", "list"], 90),
        (vec!["status"], 80),
        (vec!["load", "--dry-run", "fixtures/formats"], 100),
    ] {
        let w = width.to_string();
        let run = run_with(
            &args,
            &[("DATABASE_URL", db.url.as_str()), ("COLUMNS", &w)],
            root(),
        );
        assert!(run.code() == 0 || args[0] == "load", "{}", run.describe());
        assert!(
            widest_line(&run.stdout()) <= width,
            "wider than {width}\n{}",
            run.describe()
        );
    }
    // Far too narrow for its columns: one block per row, values whole.
    let run = run_with(
        &["report", "monthly_average", "--symbol", "ACME"],
        &[("DATABASE_URL", db.url.as_str()), ("COLUMNS", "40")],
        root(),
    );
    run.expect_code(0);
    assert!(run.stdout().contains("─[ row 1 ]"), "{}", run.describe());
    assert!(run.stdout().contains("symbol "), "{}", run.describe());
}

#[tokio::test]
async fn labels_are_coloured_only_when_asked_or_on_a_terminal() {
    let db = fresh_db().await;
    let args = ["load", "fixtures/bad/missing_value.csv"];
    // A pipe: plain.
    let plain = db.run(&args);
    plain.expect_code(1);
    assert!(
        plain.stderr().starts_with("error: "),
        "{}",
        plain.describe()
    );
    assert!(!plain.stderr().contains('\u{1b}'), "{}", plain.describe());
    // Forced, as on a terminal: the label is coloured, the message is not.
    let forced = run_with(
        &args,
        &[("DATABASE_URL", db.url.as_str()), ("CLICOLOR_FORCE", "1")],
        root(),
    );
    forced.expect_code(1);
    assert!(
        forced
            .stderr()
            .contains("\u{1b}[1m\u{1b}[31merror:\u{1b}[0m "),
        "{:?}",
        forced.stderr()
    );
    // On a real terminal (script(1) gives one): coloured, unless NO_COLOR.
    if Command::new("script").arg("--version").output().is_err() {
        common::skip(
            "labels_are_coloured_only_when_asked_or_on_a_terminal",
            "no script(1) to run under a terminal",
        );
        return;
    }
    let under_terminal = |no_color: bool| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec"])
            .arg(format!(
                "{} load fixtures/bad/missing_value.csv --no-progress",
                env!("CARGO_BIN_EXE_stockdb")
            ))
            .arg("/dev/null")
            .current_dir(root())
            .env("DATABASE_URL", &db.url)
            .env_remove("CLICOLOR_FORCE")
            .env_remove("COLUMNS");
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let coloured = under_terminal(false);
    assert!(coloured.contains("\u{1b}[31merror:"), "{coloured:?}");
    let no_color = under_terminal(true);
    assert!(no_color.contains("error: "), "{no_color:?}");
    assert!(!no_color.contains("\u{1b}[31m"), "{no_color:?}");
}

/// Runs the binary with stdout or stderr on a pipe whose reader is already gone.
fn closed_pipe(args: &[&str], url: Option<&str>, which: &str) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stockdb"));
    cmd.args(args)
        .arg("--no-progress")
        .current_dir(root())
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    let (out, err) = match which {
        "stdout" => (Stdio::piped(), Stdio::null()),
        _ => (Stdio::null(), Stdio::piped()),
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap();
    // Close our end before the child has written a byte: its first write fails with EPIPE.
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn a_closed_pipe_ends_quietly() {
    let db = fresh_db().await;
    db.run(&["load", "fixtures/yahoo/ACME.csv"]).expect_code(0);
    let url = Some(db.url.as_str());
    for (args, url, which, code) in [
        (vec!["--help"], None, "stdout", 0),
        (vec!["report", "list"], None, "stdout", 0),
        (
            vec!["report", "moving_averages", "--symbol", "ACME"],
            url,
            "stdout",
            0,
        ),
        (
            vec![
                "report",
                "moving_averages",
                "--symbol",
                "ACME",
                "--format",
                "csv",
            ],
            url,
            "stdout",
            0,
        ),
        (vec!["status"], url, "stdout", 0),
        // Errors on stderr (`2>&1 | head -1`): the exit code still says the files failed.
        (vec!["load", "fixtures/bad"], url, "stderr", 1),
    ] {
        let output = closed_pipe(&args, url, which);
        assert_eq!(
            output.status.code(),
            Some(code),
            "stockdb {} with {which} closed: {:?}",
            args.join(" "),
            output.status
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
