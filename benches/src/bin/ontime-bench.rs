//! Runs benchmark suites and writes `results.json`. Normally started by `cargo xtask bench`,
//! which validates the arguments; usage:
//! `ontime-bench [--quick] [--repeat K] [--threads N] [--out DIR] [--suite NAME]...` runs
//! suites (K times, each run's results kept in `DIR/repeat-i`, with the spread of every
//! headline ratio printed at the end), then
//! writes `results.json`, `report.md` and SVG figures into DIR;
//! `ontime-bench --report DIR` redraws the report and figures from `DIR/results.json`.

use std::path::PathBuf;

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use ontime_benches::report;
use ontime_benches::results::{Machine, Results, SCHEMA};
use ontime_benches::suites::{self, Config};

fn fail(msg: &str) -> ! {
    eprintln!("ontime-bench: {msg}");
    std::process::exit(2)
}

fn main() {
    let mut quick = false;
    let mut repeat = 1usize;
    let mut threads = 2usize;
    let mut out = PathBuf::from("target/ontime-bench");
    let mut names: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--repeat" => {
                repeat = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&k: &usize| k >= 1)
                    .unwrap_or_else(|| fail("--repeat needs a count of at least 1"))
            }
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
            "--report" => {
                let dir = args
                    .next()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| fail("--report needs a folder"));
                let r = Results::load(&dir.join("results.json")).unwrap_or_else(|e| fail(&e));
                render(&r, &dir);
                return;
            }
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
    let mut runs = Vec::with_capacity(repeat);
    for k in 1..=repeat {
        if repeat > 1 {
            eprintln!("== run {k} of {repeat}");
        }
        let fresh = run_suites(&cfg, &chosen, quick);
        if repeat > 1 {
            // Every repetition keeps its own results; the last one also becomes the main file.
            let dir = out.join(format!("repeat-{k}"));
            std::fs::create_dir_all(&dir)
                .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", dir.display())));
            fresh
                .save(&dir.join("results.json"))
                .unwrap_or_else(|e| fail(&e));
        }
        runs.push(fresh);
    }
    let fresh = runs.last().cloned().expect("at least one run");
    let path = out.join("results.json");
    let merged = match Results::load(&path) {
        Ok(mut old) => {
            old.merge(fresh);
            old
        }
        Err(_) => fresh,
    };
    merged.save(&path).unwrap_or_else(|e| fail(&e));
    eprintln!("wrote {}", path.display());
    if chosen.iter().any(|s| s.name == "dataflow") {
        // An execution trace of one graph, beside the report (docs/dataflow.md, "Traces").
        match suites::dataflow::write_trace(&cfg, &out) {
            Ok(p) => eprintln!("wrote {} (open it in https://ui.perfetto.dev)", p.display()),
            Err(e) => fail(&e),
        }
    }
    render(&merged, &out);
    if repeat > 1 {
        print!("{}", report::repeat_spread(&runs));
        eprintln!(
            "each run's results: {}/repeat-1 .. repeat-{repeat}",
            out.display()
        );
    }
}

/// Runs the chosen suites once, with a progress bar on a terminal.
fn run_suites(cfg: &Config, chosen: &[&suites::Suite], quick: bool) -> Results {
    let mut fresh = Results {
        schema: SCHEMA,
        quick,
        machine: Machine::detect(),
        results: vec![],
    };
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(chosen.len() as u64);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] [{bar:30.cyan/blue}] {pos}/{len} suites  {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        Some(b)
    } else {
        None
    };
    for suite in chosen {
        let start = std::time::Instant::now();
        let mut progress = |what: &str| match &bar {
            Some(b) => b.set_message(what.to_string()),
            None => eprintln!("  [{:>6.1}s] {what}", start.elapsed().as_secs_f64()),
        };
        fresh.results.extend((suite.run)(cfg, &mut progress));
        if let Some(b) = &bar {
            b.println(format!(
                "{} done in {:.1} s",
                suite.name,
                start.elapsed().as_secs_f64()
            ));
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    fresh
}

/// Writes report.md and the figures, and prints the summary.
fn render(r: &Results, dir: &Path) {
    let figs = report::render(r, dir).unwrap_or_else(|e| fail(&e));
    print!("{}", report::summary(r));
    eprintln!(
        "wrote {} and {} figures ({})",
        dir.join("report.md").display(),
        figs.len(),
        figs.join(", ")
    );
}
