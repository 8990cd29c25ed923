//! Turns criterion's results into a markdown table of medians and
//! derive/hand ratios.
//!
//! ```text
//! cargo bench -p codec-benches --bench wire -- --warm-up-time 1 --measurement-time 3
//! cargo run -p codec-benches --bin bench-table [CRITERION_DIR]
//! ```
//!
//! `CRITERION_DIR` defaults to `$CARGO_TARGET_DIR/criterion`, or
//! `target/criterion`. Every benchmark whose id ends in `/derive` or
//! `/hand` becomes one row, keyed by the rest of its id; ratios over 1.05
//! are marked in bold.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

/// The slowdown the issue allows the derive.
const TARGET_RATIO: f64 = 1.05;

/// Medians (ns) of one comparison.
#[derive(Default)]
struct Row {
    derive: Option<f64>,
    hand: Option<f64>,
}

fn main() -> ExitCode {
    let dir = match std::env::args_os().nth(1) {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("criterion"),
    };
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    if let Err(e) = collect(&dir, &mut rows) {
        eprintln!("bench-table: {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    if rows.is_empty() {
        eprintln!(
            "bench-table: no derive/hand results under {}; run the benchmark first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    print!("{}", table(&rows));
    ExitCode::SUCCESS
}

/// Walks `dir` for `new/benchmark.json` files and records each median.
fn collect(dir: &Path, rows: &mut BTreeMap<String, Row>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some((id, median)) = read_result(&path) {
                if let Some(key) = id.strip_suffix("/derive") {
                    rows.entry(key.to_owned()).or_default().derive = Some(median);
                } else if let Some(key) = id.strip_suffix("/hand") {
                    rows.entry(key.to_owned()).or_default().hand = Some(median);
                }
            }
        } else {
            collect(&path, rows)?;
        }
    }
    Ok(())
}

/// The full id and median (ns) of one result directory, if it has both.
fn read_result(new: &Path) -> Option<(String, f64)> {
    let read = |name: &str| -> Option<Value> {
        let text = std::fs::read_to_string(new.join(name)).ok()?;
        serde_json::from_str(&text).ok()
    };
    let id = read("benchmark.json")?.get("full_id")?.as_str()?.to_owned();
    let median = read("estimates.json")?
        .get("median")?
        .get("point_estimate")?
        .as_f64()?;
    Some((id, median))
}

/// The markdown table.
fn table(rows: &BTreeMap<String, Row>) -> String {
    let mut out = String::from(
        "| benchmark | derive (median) | hand-written (median) | derive/hand |\n\
         | --- | ---: | ---: | ---: |\n",
    );
    for (key, row) in rows {
        let ratio = match (row.derive, row.hand) {
            (Some(d), Some(h)) if h > 0.0 => {
                let r = d / h;
                if r > TARGET_RATIO {
                    format!("**{r:.3}**")
                } else {
                    format!("{r:.3}")
                }
            }
            _ => "-".to_owned(),
        };
        out.push_str(&format!(
            "| {key} | {} | {} | {ratio} |\n",
            duration(row.derive),
            duration(row.hand)
        ));
    }
    out
}

/// A duration in ns, µs or ms with three significant-ish digits.
fn duration(ns: Option<f64>) -> String {
    match ns {
        None => "-".to_owned(),
        Some(ns) if ns < 1_000.0 => format!("{ns:.1} ns"),
        Some(ns) if ns < 1_000_000.0 => format!("{:.2} µs", ns / 1e3),
        Some(ns) => format!("{:.2} ms", ns / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pairs_and_marks() {
        let mut rows = BTreeMap::new();
        rows.insert(
            "encode/a".to_owned(),
            Row {
                derive: Some(110.0),
                hand: Some(100.0),
            },
        );
        rows.insert(
            "decode/b".to_owned(),
            Row {
                derive: Some(1500.0),
                hand: None,
            },
        );
        let t = table(&rows);
        assert!(
            t.contains("| encode/a | 110.0 ns | 100.0 ns | **1.100** |"),
            "{t}"
        );
        assert!(t.contains("| decode/b | 1.50 µs | - | - |"), "{t}");
    }

    #[test]
    fn reads_criterion_layout() {
        let dir = std::env::temp_dir().join(format!("bench-table-{}", std::process::id()));
        for (f, median) in [("derive", 12.0), ("hand", 10.0)] {
            let new = dir.join("encode_x").join(f).join("new");
            std::fs::create_dir_all(&new).unwrap();
            std::fs::write(
                new.join("benchmark.json"),
                format!(r#"{{"full_id":"encode/x/{f}"}}"#),
            )
            .unwrap();
            std::fs::write(
                new.join("estimates.json"),
                format!(r#"{{"median":{{"point_estimate":{median}}}}}"#),
            )
            .unwrap();
        }
        let mut rows = BTreeMap::new();
        collect(&dir, &mut rows).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let row = &rows["encode/x"];
        assert_eq!((row.derive, row.hand), (Some(12.0), Some(10.0)));
    }
}
