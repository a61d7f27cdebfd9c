//! `stockdb chart`: real pictures from a real database, checked against values computed here
//! from the fixture CSV (plain Rust, not the SQL under test).

mod common;

use common::{TestDb, fresh_db, root};

/// Closes of a fixture, oldest first.
fn closes(file: &str) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let mut days: Vec<(String, f64)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[4].parse().unwrap())
        })
        .collect();
    days.sort_by(|a, b| a.0.cmp(&b.0));
    days
}

/// The days where the 50-day average crosses the 200-day one (both full windows).
fn crosses_50_200(days: &[(String, f64)]) -> Vec<String> {
    let sma = |i: usize, n: usize| -> Option<f64> {
        (i + 1 >= n).then(|| days[i + 1 - n..=i].iter().map(|d| d.1).sum::<f64>() / n as f64)
    };
    let diff = |i: usize| Some(sma(i, 50)? - sma(i, 200)?);
    (1..days.len())
        .filter(|&i| match (diff(i - 1), diff(i)) {
            (Some(a), Some(b)) => (a <= 0.0 && b > 0.0) || (a >= 0.0 && b < 0.0),
            _ => false,
        })
        .map(|i| days[i].0.clone())
        .collect()
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// The points of the SVG polyline drawn in `colour` with the most points (the series, not
/// its legend sample).
fn polyline_points(svg: &str, colour: &str) -> usize {
    let marker = format!("stroke=\"{colour}\"");
    svg.split("<polyline")
        .skip(1)
        .filter(|p| p.split('>').next().unwrap().contains(&marker))
        .filter_map(|p| {
            let points = p.split("points=\"").nth(1)?.split('"').next()?;
            Some(points.split_whitespace().count())
        })
        .max()
        .unwrap_or(0)
}

async fn acme_loaded() -> TestDb {
    let db = fresh_db().await;
    db.run(&[
        "load",
        "fixtures/yahoo/ACME.csv",
        "fixtures/intraday/intraday_5min_MSFT.csv",
    ])
    .expect_code(0);
    db
}

#[tokio::test]
async fn png_has_the_asked_size_and_marks_the_crosses_of_the_data() {
    let db = acme_loaded().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("acme.png");
    let run = db.run(&["chart", "ACME", "--out", out.to_str().unwrap()]);
    run.expect_code(0);
    assert_eq!(png_size(&std::fs::read(&out).unwrap()), (1200, 700));
    let expected = crosses_50_200(&closes("fixtures/yahoo/ACME.csv"));
    assert!(!expected.is_empty(), "the fixture should have a cross");
    assert!(
        run.stdout().contains(&format!(
            "ACME 400 days from 2022-06-01 to 2023-12-12, {} golden or death cross(es) marked",
            expected.len()
        )),
        "{expected:?}\n{}",
        run.describe()
    );

    let small = dir.path().join("small.PNG");
    db.run(&[
        "chart",
        "acme",
        "--out",
        small.to_str().unwrap(),
        "--size",
        "800x500",
    ])
    .expect_code(0);
    assert_eq!(png_size(&std::fs::read(&small).unwrap()), (800, 500));
}

#[tokio::test]
async fn svg_draws_every_series_over_the_range() {
    let db = acme_loaded().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("acme.svg");
    db.run(&[
        "chart",
        "ACME",
        "--out",
        out.to_str().unwrap(),
        "--from",
        "2023-01-01",
        "--to",
        "2023-06-30",
    ])
    .expect_code(0);
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("width=\"1200\"") && svg.contains("height=\"700\""));
    let days = closes("fixtures/yahoo/ACME.csv");
    let in_range = |from: &str| {
        days.iter()
            .filter(|d| d.0.as_str() >= from && d.0.as_str() <= "2023-06-30")
            .count()
    };
    let total = in_range("2023-01-01");
    // The windows look back before --from, so every average covers the whole range once the
    // symbol has enough days: ACME starts 2022-06-01, its 200th day is in 2023-03.
    let first_200 = &days[199].0;
    for (colour, label, points) in [
        ("#282828", "close", total),
        ("#1F77B4", "20-day average", total),
        ("#FF7F0E", "50-day average", total),
        ("#9467BD", "200-day average", in_range(first_200)),
    ] {
        assert_eq!(
            polyline_points(&svg, colour),
            points,
            "{label} ({colour}) should have one point a day"
        );
        assert!(svg.contains(label), "legend lacks {label}");
    }
    // Volume: one bar a day, drawn as rectangles.
    assert!(svg.matches("<rect").count() >= total, "volume bars");
}

#[tokio::test]
async fn intraday_day_draws_candles_and_vwap() {
    let db = acme_loaded().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("msft.svg");
    let run = db.run(&[
        "chart",
        "MSFT",
        "--day",
        "2024-03-08",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.expect_code(0);
    let bars = std::fs::read_to_string(root().join("fixtures/intraday/intraday_5min_MSFT.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("2024-03-08"))
        .count();
    assert!(
        run.stdout().contains(&format!("MSFT {bars} bars")),
        "{bars}\n{}",
        run.describe()
    );
    let svg = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        polyline_points(&svg, "#1F77B4"),
        bars,
        "one VWAP point a bar"
    );
    assert!(svg.contains("VWAP of the day so far"));
}

#[tokio::test]
async fn unknown_symbols_empty_ranges_and_bad_names_are_clear_errors() {
    let db = acme_loaded().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let out = out.to_str().unwrap();
    for (args, message) in [
        (
            vec!["chart", "NOPE", "--out", out],
            "unknown symbol NOPE: no daily prices or intraday bars are stored for it",
        ),
        (
            vec!["chart", "ACME", "--out", out, "--from", "2030-01-01"],
            "ACME has no daily prices from 2030-01-01 on; its daily prices run from 2022-06-01 to 2023-12-12",
        ),
        (
            vec!["chart", "ACME", "--out", out, "--day", "2023-01-03"],
            "ACME has no intraday bars on 2023-01-03 (New York time); it has no intraday bars",
        ),
        (
            vec![
                "chart",
                "ACME",
                "--out",
                out,
                "--from",
                "2023-02-01",
                "--to",
                "2023-01-01",
            ],
            "--from 2023-02-01 is after --to 2023-01-01",
        ),
        (
            vec!["chart", "ACME", "--out", "x.jpg"],
            "x.jpg: the chart file must end in .png or .svg",
        ),
    ] {
        let run = db.run(&args);
        run.expect_code(1);
        assert!(
            run.stderr().contains(&format!("error: {message}")),
            "{message}\n{}",
            run.describe()
        );
        assert!(!std::path::Path::new(out).exists(), "no file for a refusal");
    }
    db.run(&["chart", "ACME", "--out", out, "--size", "10x10"])
        .expect_code(2);
}
