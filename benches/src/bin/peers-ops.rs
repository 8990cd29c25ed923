//! Measurements of the `peers` comparison that hold up on a busy machine,
//! and the tables made from all of them.
//!
//! ```text
//! # Criterion results (one copy of target/criterion per run) as CSV rows.
//! peers-ops criterion DIR RUN >> peers.csv
//!
//! # Round-robin timing: every contender runs a ~1 ms batch in turn, ROUNDS
//! # times per benchmark row, so load from other processes hits all alike.
//! peers-ops rr [ROUNDS] [RUN] [MESSAGE] >> peers.csv
//!
//! # Instruction counts under callgrind (independent of machine load):
//! # runs `valgrind --tool=callgrind` on `peers-ops count` at two batch
//! # sizes and divides the difference.
//! peers-ops callgrind [N] [MESSAGE] >> peers.csv
//!
//! # MESSAGE: only the rows whose message starts with it (`frame_` for
//! # the protocol rows of issue 13, `store_small`, ...).
//! peers-ops count ROUTINE MESSAGE NAME N      # what callgrind runs
//!
//! # Markdown tables: per method, each contender's median as a ratio to
//! # hand-written from the same run, and the absolute medians.
//! peers-ops report peers.csv
//! ```
//!
//! CSV rows are `method,run,routine,message,name,value`, with `value` in
//! nanoseconds per call (`criterion`, `rr`) or instructions per call
//! (`callgrind`). Run it with `--profile bench` (release plus debug info),
//! as `cargo bench` builds the benchmark.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use codec_benches::peers::run::{prepare, Batch, Prepared, MESSAGES, ROUTINES};
use codec_benches::peers::{summaries, Borrowing, NAMES};
use serde_json::Value;

const USAGE: &str = "usage: peers-ops criterion DIR RUN\n       \
                     peers-ops rr [ROUNDS] [RUN] [MESSAGE]\n       \
                     peers-ops callgrind [N] [MESSAGE]\n       \
                     peers-ops count ROUTINE MESSAGE NAME N\n       \
                     peers-ops report CSV";

/// The slowdown against hand-written code the derive is allowed.
const TARGET_RATIO: f64 = 1.05;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        ["criterion", dir, run] => criterion(Path::new(dir), run),
        ["rr"] => rr(301, "1", ""),
        ["rr", rounds] => parse(rounds).and_then(|r| rr(r, "1", "")),
        ["rr", rounds, run] => parse(rounds).and_then(|r| rr(r, run, "")),
        ["rr", rounds, run, only] => parse(rounds).and_then(|r| rr(r, run, only)),
        ["callgrind"] => callgrind(1000, ""),
        ["callgrind", n] => parse(n).and_then(|n| callgrind(n, "")),
        ["callgrind", n, only] => parse(n).and_then(|n| callgrind(n, only)),
        ["count", routine, message, name, n] => {
            parse(n).and_then(|n| count(routine, message, name, n))
        }
        ["report", csv] => report(Path::new(csv)),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peers-ops: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}\n{USAGE}"))
}

/// Every `(routine, message, name)` the comparison has, in table order.
fn cells() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    MESSAGES.into_iter().flat_map(|m| {
        ROUTINES
            .into_iter()
            .flat_map(move |r| NAMES.into_iter().map(move |n| (r, m, n)))
    })
}

fn ready(routine: &str, message: &str, name: &str) -> Option<Batch> {
    match prepare(routine, message, name) {
        Some(Prepared::Ready(batch)) => Some(batch),
        _ => None,
    }
}

/// Reads `DIR/peers_<routine>_<message>/<name>/new/estimates.json`.
fn criterion(dir: &Path, run: &str) -> Result<(), String> {
    let mut found = 0;
    for (routine, message, name) in cells() {
        let path: PathBuf = [
            dir,
            Path::new(&format!("peers_{routine}_{message}")),
            Path::new(name),
            Path::new("new/estimates.json"),
        ]
        .iter()
        .collect();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let median = json["median"]["point_estimate"]
            .as_f64()
            .ok_or_else(|| format!("{}: no median", path.display()))?;
        println!("criterion,{run},{routine},{message},{name},{median:.3}");
        found += 1;
    }
    if found == 0 {
        return Err(format!("no peers results under {}", dir.display()));
    }
    Ok(())
}

/// Round-robin timing of every contender, row by row (rows whose message
/// starts with `only`).
fn rr(rounds: usize, run: &str, only: &str) -> Result<(), String> {
    if rounds == 0 {
        return Err("ROUNDS must be at least 1".into());
    }
    for message in MESSAGES.into_iter().filter(|m| m.starts_with(only)) {
        for routine in ROUTINES {
            let mut sides: Vec<(&str, Batch, u64, Vec<f64>)> = Vec::new();
            for name in NAMES {
                if let Some(mut batch) = ready(routine, message, name) {
                    let n = calibrate(&mut batch);
                    sides.push((name, batch, n, Vec::with_capacity(rounds)));
                }
            }
            for round in 0..rounds {
                // Rotate the order, so that no contender always follows
                // the same one.
                let k = sides.len();
                for i in 0..k {
                    let (_, batch, n, times) = &mut sides[(i + round) % k];
                    let start = Instant::now();
                    batch(*n);
                    times.push(start.elapsed().as_nanos() as f64 / *n as f64);
                }
            }
            for (name, _, _, mut times) in sides {
                println!(
                    "rr,{run},{routine},{message},{name},{:.3}",
                    median(&mut times)
                );
            }
        }
    }
    Ok(())
}

/// A batch size that takes about a millisecond.
fn calibrate(batch: &mut Batch) -> u64 {
    batch(16);
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        batch(n);
        if start.elapsed().as_micros() > 1_000 || n > 1 << 30 {
            return n;
        }
        n *= 2;
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs one batch of `n`, for callgrind.
fn count(routine: &str, message: &str, name: &str, n: u64) -> Result<(), String> {
    match prepare(routine, message, name) {
        Some(Prepared::Ready(mut batch)) => {
            batch(n);
            Ok(())
        }
        Some(Prepared::Unsupported(why)) => Err(format!("{name} cannot {routine}: {why}")),
        None => Err(USAGE.to_owned()),
    }
}

/// Instructions per call of every cell (whose message starts with
/// `only`): callgrind's totals at batch sizes `base` and `base + n`,
/// differenced.
fn callgrind(n: u64, only: &str) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let base = 100;
    for (routine, message, name) in cells().filter(|(_, m, _)| m.starts_with(only)) {
        if ready(routine, message, name).is_none() {
            continue;
        }
        let at = |k: u64| instructions(&exe, routine, message, name, k);
        let per_call = (at(base + n)? as f64 - at(base)? as f64) / n as f64;
        println!("callgrind,1,{routine},{message},{name},{per_call:.1}");
    }
    Ok(())
}

/// Total instructions of `peers-ops count .. k` under callgrind.
fn instructions(
    exe: &Path,
    routine: &str,
    message: &str,
    name: &str,
    k: u64,
) -> Result<u64, String> {
    let k = k.to_string();
    codec_benches::callgrind::instructions(exe, &["count", routine, message, name, &k])
}

/// One measurement.
struct Row {
    method: String,
    run: String,
    routine: String,
    message: String,
    name: String,
    value: f64,
}

fn read_csv(path: &Path) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        if line.is_empty() || line.starts_with("method,") {
            continue;
        }
        let [method, run, routine, message, name, value] = f[..] else {
            return Err(format!("{}:{}: expected 6 fields", path.display(), i + 1));
        };
        rows.push(Row {
            method: method.to_owned(),
            run: run.to_owned(),
            routine: routine.to_owned(),
            message: message.to_owned(),
            name: name.to_owned(),
            value: value
                .parse()
                .map_err(|_| format!("{}:{}: bad value", path.display(), i + 1))?,
        });
    }
    Ok(rows)
}

/// Per method: `(routine, message) -> name -> run -> value`.
type Table = BTreeMap<(usize, usize), BTreeMap<String, BTreeMap<String, f64>>>;

fn report(path: &Path) -> Result<(), String> {
    let rows = read_csv(path)?;
    let mut methods: Vec<String> = Vec::new();
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for r in rows {
        let (Some(ri), Some(mi)) = (
            ROUTINES.iter().position(|x| *x == r.routine),
            MESSAGES.iter().position(|x| *x == r.message),
        ) else {
            continue;
        };
        if !methods.contains(&r.method) {
            methods.push(r.method.clone());
        }
        tables
            .entry(r.method)
            .or_default()
            .entry((mi, ri))
            .or_default()
            .entry(r.name)
            .or_default()
            .insert(r.run, r.value);
    }
    for method in &methods {
        print!("{}", ratio_table(method, &tables[method]));
        println!();
        print!("{}", absolute_table(method, &tables[method]));
        println!();
    }
    println!("Contenders:\n");
    println!("| crate | wire format | borrowed decode | notes |");
    println!("| --- | --- | --- | --- |");
    for s in summaries() {
        let wire = if s.wire_compatible {
            "ours, byte-equal"
        } else {
            "not wire-compatible"
        };
        let borrow = match s.borrowing {
            Borrowing::Supported => "yes".to_owned(),
            Borrowing::Unsupported(why) => format!("n/a: {why}"),
        };
        println!("| {} | {wire} | {borrow} | {} |", s.name, s.notes);
    }
    Ok(())
}

fn unit(method: &str) -> &'static str {
    if method == "callgrind" {
        "instructions"
    } else {
        "ns"
    }
}

/// Median over runs of `name / hand` from the same run.
fn ratio(cell: &BTreeMap<String, BTreeMap<String, f64>>, name: &str) -> Option<f64> {
    let hand = cell.get("hand")?;
    let mut r: Vec<f64> = cell
        .get(name)?
        .iter()
        .filter_map(|(run, v)| hand.get(run).map(|h| v / h))
        .collect();
    (!r.is_empty()).then(|| median(&mut r))
}

fn median_value(cell: &BTreeMap<String, BTreeMap<String, f64>>, name: &str) -> Option<f64> {
    let mut v: Vec<f64> = cell.get(name)?.values().copied().collect();
    (!v.is_empty()).then(|| median(&mut v))
}

fn header(first: &str) -> String {
    let mut s = format!("| {first} |");
    for n in NAMES {
        s.push_str(&format!(" {n} |"));
    }
    s.push_str("\n| --- |");
    for _ in NAMES {
        s.push_str(" ---: |");
    }
    s.push('\n');
    s
}

fn ratio_table(method: &str, table: &Table) -> String {
    let runs: std::collections::BTreeSet<&String> = table
        .values()
        .flat_map(|c| c.values().flat_map(|r| r.keys()))
        .collect();
    let mut out = format!(
        "{method}: ratio to hand-written (median over {} run{} of the same-run ratio; \
         **bold**: derive over {TARGET_RATIO}x; *italic*: a crate faster than the derive)\n\n",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" }
    );
    out.push_str(&header(&format!(
        "benchmark ({}/call of hand)",
        unit(method)
    )));
    for (&(mi, ri), cell) in table {
        let derive = ratio(cell, "derive");
        out.push_str(&format!(
            "| {}/{} ({}) |",
            ROUTINES[ri],
            MESSAGES[mi],
            median_value(cell, "hand").map_or("-".into(), |h| format!("{h:.1}"))
        ));
        for name in NAMES {
            let cell_text = match ratio(cell, name) {
                None => "n/a".to_owned(),
                Some(r) if name == "derive" && r > TARGET_RATIO => format!("**{r:.2}**"),
                Some(r) if name != "derive" && name != "hand" && derive.is_some_and(|d| r < d) => {
                    format!("*{r:.2}*")
                }
                Some(r) => format!("{r:.2}"),
            };
            out.push_str(&format!(" {cell_text} |"));
        }
        out.push('\n');
    }
    out
}

fn absolute_table(method: &str, table: &Table) -> String {
    let mut out = format!("{method}: medians, {} per call\n\n", unit(method));
    out.push_str(&header("benchmark"));
    for (&(mi, ri), cell) in table {
        out.push_str(&format!("| {}/{} |", ROUTINES[ri], MESSAGES[mi]));
        for name in NAMES {
            let text = median_value(cell, name).map_or("n/a".into(), |v| {
                if v >= 100.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                }
            });
            out.push_str(&format!(" {text} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_same_run_medians() {
        let mut cell: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        cell.entry("hand".into()).or_default().extend([
            ("1".to_owned(), 10.0),
            ("2".to_owned(), 20.0),
            ("3".to_owned(), 10.0),
        ]);
        cell.entry("derive".into()).or_default().extend([
            ("1".to_owned(), 11.0),
            ("2".to_owned(), 20.0),
            ("3".to_owned(), 10.0),
        ]);
        // Ratios 1.1, 1.0, 1.0: median 1.0 (not 41/40).
        assert_eq!(ratio(&cell, "derive"), Some(1.0));
        assert_eq!(median_value(&cell, "hand"), Some(10.0));
        assert_eq!(ratio(&cell, "speedy"), None);
    }

    #[test]
    fn report_reads_its_csv() {
        let path = std::env::temp_dir().join(format!("peers-ops-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "method,run,routine,message,name,value\n\
             rr,1,encode,mixed,hand,10\n\
             rr,1,encode,mixed,derive,12\n\
             rr,1,encode,mixed,speedy,11\n",
        )
        .unwrap();
        let rows = read_csv(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(rows.len(), 3);
        let mut table = Table::new();
        for r in rows {
            table
                .entry((2, 0))
                .or_default()
                .entry(r.name)
                .or_default()
                .insert(r.run, r.value);
        }
        let t = ratio_table("rr", &table);
        assert!(
            t.contains("| encode/mixed (10.0) | **1.20** | 1.00 | *1.10* |"),
            "{t}"
        );
    }
}
