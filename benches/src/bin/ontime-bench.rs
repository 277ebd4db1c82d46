//! Runs benchmark suites and writes `results.json`. Normally started by `cargo xtask bench`,
//! which validates the arguments; usage:
//! `ontime-bench [--quick] [--threads N] [--out DIR] [--suite NAME]...`

use std::path::PathBuf;

use ontime_benches::results::{Machine, Results, SCHEMA};
use ontime_benches::suites::{self, Config};

fn fail(msg: &str) -> ! {
    eprintln!("ontime-bench: {msg}");
    std::process::exit(2)
}

fn main() {
    let mut quick = false;
    let mut threads = 2usize;
    let mut out = PathBuf::from("target/ontime-bench");
    let mut names: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| fail("--threads needs a positive number"))
            }
            "--out" => {
                out = args
                    .next()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| fail("--out needs a folder"))
            }
            "--suite" => names.push(args.next().unwrap_or_else(|| fail("--suite needs a name"))),
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    let chosen: Vec<_> = if names.is_empty() {
        suites::ALL.iter().collect()
    } else {
        names
            .iter()
            .map(|n| {
                suites::find(n).unwrap_or_else(|| {
                    let known: Vec<_> = suites::ALL.iter().map(|s| s.name).collect();
                    fail(&format!(
                        "unknown suite {n:?} (known: {})",
                        known.join(", ")
                    ))
                })
            })
            .collect()
    };
    std::fs::create_dir_all(&out)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", out.display())));
    let cfg = Config { quick, threads };
    let mut fresh = Results {
        schema: SCHEMA,
        quick,
        machine: Machine::detect(),
        results: vec![],
    };
    for suite in chosen {
        let start = std::time::Instant::now();
        let mut progress =
            |what: &str| eprintln!("  [{:>6.1}s] {what}", start.elapsed().as_secs_f64());
        fresh.results.extend((suite.run)(&cfg, &mut progress));
    }
    let path = out.join("results.json");
    let merged = match Results::load(&path) {
        Ok(mut old) => {
            old.merge(fresh);
            old
        }
        Err(_) => fresh,
    };
    merged.save(&path).unwrap_or_else(|e| fail(&e));
    print_table(&merged);
    eprintln!("wrote {}", path.display());
}

fn print_table(r: &Results) {
    println!(
        "{:<10} {:<18} {:<12} {:>3} {:>14} {:>10}",
        "suite", "case", "impl", "thr", "median", "vs ontime"
    );
    for rec in &r.results {
        let base = r.results.iter().find(|o| {
            o.suite == rec.suite
                && o.case == rec.case
                && o.implementation == "ontime"
                && o.metric == rec.metric
        });
        let ratio = base
            .map(|b| format!("{:.2}x", rec.value / b.value))
            .unwrap_or_default();
        let value = if rec.metric == "time_ns" {
            format!("{:.3} ms", rec.value / 1e6)
        } else {
            format!("{:.4}", rec.value)
        };
        println!(
            "{:<10} {:<18} {:<12} {:>3} {:>14} {:>10}",
            rec.suite, rec.case, rec.implementation, rec.threads, value, ratio
        );
    }
}
