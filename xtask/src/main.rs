//! `cargo xtask`: the project's task runner.
//!
//! - `cargo xtask bench [--quick] [--repeat K] [--suite NAME]... [--out DIR] [--threads N]`:
//!   builds the benchmark binary in release mode and runs the suites (all by default), writing
//!   `DIR/results.json` (default `target/ontime-bench`); with `--repeat K`, K times, keeping
//!   each run in `DIR/repeat-i` and printing every headline ratio's spread across the runs.
//! - `cargo xtask report [DIR]`: redraws `report.md` and the SVG figures from an existing
//!   `DIR/results.json` (default `target/ontime-bench`) without re-running anything.
//! - `cargo xtask sim [--workers N] [--load L] [--workload W] [--arrivals A] [--shape S]
//!   [--policy P]... [--requests R] [--seed S] [--defaults] [--calibrate]`: simulates one case
//!   with `ontime-sim` and prints each policy's miss ratio, quantiles and goodput beside the
//!   clairvoyant reference; `--calibrate` measures the simulator's transfer costs on a real pool.
//! - `cargo xtask loom`: runs the loom models with `RUSTFLAGS="--cfg loom"` and bounded
//!   preemptions.
//! - `cargo xtask soak [--secs N] [--seed S] [--release]`: random mixes of join, scope,
//!   loops, spawn and submit with injected panics (`soak/`); fails if any unit of work is
//!   lost or duplicated, a handle resolves wrongly, or the run hangs.
//! - `cargo xtask miri`: runs a chosen subset of ontime-core's tests under Miri with tree
//!   borrows, if a nightly toolchain with Miri is installed; otherwise says so and succeeds
//!   (CI has one stable toolchain and does not run it).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

/// Suites the benchmark binary knows; checked here so a typo fails before a long build.
const SUITES: &[&str] = &[
    "fork-join",
    "forall",
    "iter",
    "iter-breadth",
    "latency",
    "micropools",
    "dataflow",
    "sim",
];

#[derive(Parser, Debug)]
#[command(name = "cargo xtask", about = "ontime's task runner")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run benchmark suites and write results.json.
    Bench {
        /// Reduced sizes and sample counts.
        #[arg(long)]
        quick: bool,
        /// Suites to run (default: all). Repeatable.
        #[arg(long = "suite")]
        suites: Vec<String>,
        /// Output folder.
        #[arg(long, default_value = "target/ontime-bench")]
        out: PathBuf,
        /// Worker threads per pool.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Run the chosen suites this many times and print each headline ratio's spread.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
    /// Redraw report.md and the figures from an existing results.json.
    Report {
        /// Folder holding results.json.
        #[arg(default_value = "target/ontime-bench")]
        dir: PathBuf,
    },
    /// Run the loom models.
    Loom {
        /// Preemption bound passed as LOOM_MAX_PREEMPTIONS.
        #[arg(long, default_value_t = 3)]
        preemptions: usize,
    },
    /// Soak test: random work with injected panics, every unit counted.
    Soak {
        /// How long to run, in seconds.
        #[arg(long, default_value_t = 30)]
        secs: u64,
        /// Seed of the random mix (default: from the clock; printed).
        #[arg(long)]
        seed: Option<u64>,
        /// Build in release mode (default: debug, with overflow checks and debug assertions).
        #[arg(long)]
        release: bool,
    },
    /// Run a subset of ontime-core's tests under Miri (needs nightly with Miri).
    Miri,
    /// Simulate one case (ontime-sim): miss ratio, quantiles and goodput per policy. Flags
    /// left out take the simulator's defaults (`cargo xtask sim --defaults` lists them).
    Sim {
        /// Simulated workers.
        #[arg(long)]
        workers: Option<usize>,
        /// Offered load, as a fraction of the simulated pool's capacity.
        #[arg(long)]
        load: Option<f64>,
        /// Workload: bimodal, lognormal, enormous, search or finance.
        #[arg(long)]
        workload: Option<String>,
        /// Arrivals: poisson or bursty.
        #[arg(long)]
        arrivals: Option<String>,
        /// Request shape: loop or tree.
        #[arg(long)]
        shape: Option<String>,
        /// Policy report name, or clairvoyant (default: every policy and clairvoyant).
        /// Repeatable.
        #[arg(long = "policy")]
        policies: Vec<String>,
        /// Requests in the stream.
        #[arg(long)]
        requests: Option<usize>,
        /// Seed of the stream and the simulation: decimal, or hexadecimal after `0x` (the
        /// simulator reads it).
        #[arg(long)]
        seed: Option<String>,
        /// Print the settings the simulator would run with (its defaults for flags not given)
        /// and stop.
        #[arg(long)]
        defaults: bool,
        /// Measure on a real two-worker pool what the simulator's transfer costs stand for
        /// (about 10 s), print it beside the simulator's costs, and stop.
        #[arg(long)]
        calibrate: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Bench {
            quick,
            suites,
            out,
            threads,
            repeat,
        } => bench(quick, &suites, &out, threads, repeat),
        Cmd::Report { dir } => report(&dir),
        Cmd::Loom { preemptions } => loom(preemptions),
        Cmd::Soak {
            secs,
            seed,
            release,
        } => soak(secs, seed, release),
        Cmd::Miri => miri(),
        Cmd::Sim {
            workers,
            load,
            workload,
            arrivals,
            shape,
            policies,
            requests,
            seed,
            defaults,
            calibrate,
        } => {
            // Only the flags given go through: the simulator owns its defaults.
            let given = [
                ("--workers", workers.map(|v| v.to_string())),
                ("--load", load.map(|v| v.to_string())),
                ("--workload", workload),
                ("--arrivals", arrivals),
                ("--shape", shape),
                ("--requests", requests.map(|v| v.to_string())),
                ("--seed", seed),
            ];
            let mut args: Vec<String> = given
                .into_iter()
                .filter_map(|(flag, v)| v.map(|v| [flag.to_string(), v]))
                .flatten()
                .collect();
            for p in policies {
                args.push("--policy".into());
                args.push(p);
            }
            for (on, flag) in [(defaults, "--defaults"), (calibrate, "--calibrate")] {
                if on {
                    args.push(flag.into());
                }
            }
            sim(&args)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The benchmark binary already printed its one-line error.
        Err(e) if e.is_empty() => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A folder given on the command line: relative paths are taken from the workspace root, so
/// `bench --out` and `report` agree on where `target/ontime-bench` is.
fn in_root(root: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

fn bench(
    quick: bool,
    suites: &[String],
    out: &Path,
    threads: usize,
    repeat: usize,
) -> Result<(), String> {
    for s in suites {
        if !SUITES.contains(&s.as_str()) {
            return Err(format!(
                "unknown suite {s:?} (known: {})",
                SUITES.join(", ")
            ));
        }
    }
    if threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    if repeat == 0 {
        return Err("--repeat must be at least 1".into());
    }
    let root = workspace_root();
    let out = in_root(&root, out);
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let probe = out.join(".write-test");
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write to {}: {e}", out.display()))?;
    let _ = std::fs::remove_file(probe);

    build_bench(&root)?;
    let mut cmd = Command::new(root.join("target/release/ontime-bench"));
    cmd.arg("--out")
        .arg(&out)
        .arg("--threads")
        .arg(threads.to_string());
    if quick {
        cmd.arg("--quick");
    }
    if repeat > 1 {
        cmd.arg("--repeat").arg(repeat.to_string());
    }
    for s in suites {
        cmd.arg("--suite").arg(s);
    }
    run_bench(cmd)
}

/// Runs `cargo ARGS` in the workspace root with extra environment variables; `failed` is the
/// error when it exits unsuccessfully.
fn cargo(root: &Path, args: &[&str], env: &[(&str, String)], failed: &str) -> Result<(), String> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed.into())
    }
}

/// Builds the benchmark binary (release).
fn build_bench(root: &Path) -> Result<(), String> {
    cargo(
        root,
        &[
            "build",
            "--release",
            "--quiet",
            "-p",
            "ontime-benches",
            "--bin",
            "ontime-bench",
        ],
        &[],
        "building the benchmarks failed",
    )
}

/// Runs the benchmark binary; on failure it has printed its own one-line error.
fn run_bench(mut cmd: Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run the benchmarks: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(String::new())
    }
}

fn report(dir: &Path) -> Result<(), String> {
    let root = workspace_root();
    let dir = in_root(&root, dir);
    let json = dir.join("results.json");
    let text = std::fs::read_to_string(&json)
        .map_err(|e| format!("cannot read {}: {e}", json.display()))?;
    serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", json.display()))?;
    build_bench(&root)?;
    let mut cmd = Command::new(root.join("target/release/ontime-bench"));
    cmd.arg("--report").arg(&dir);
    run_bench(cmd)
}

fn loom(preemptions: usize) -> Result<(), String> {
    cargo(
        &workspace_root(),
        &[
            "test",
            "--release",
            "-p",
            "ontime-core",
            "-p",
            "ontime-dataflow",
            "--lib",
            "--target-dir",
            "target/loom",
        ],
        &[
            ("RUSTFLAGS", "--cfg loom".into()),
            ("LOOM_MAX_PREEMPTIONS", preemptions.to_string()),
        ],
        "loom models failed",
    )
}

fn soak(secs: u64, seed: Option<u64>, release: bool) -> Result<(), String> {
    let mut args = vec!["run", "--quiet", "-p", "ontime-soak"];
    if release {
        args.push("--release");
    }
    let secs = secs.to_string();
    args.extend(["--", "--secs", &secs]);
    let seed = seed.map(|s| s.to_string());
    if let Some(seed) = &seed {
        args.extend(["--seed", seed]);
    }
    cargo(&workspace_root(), &args, &[], "the soak test failed")
}

/// The tests Miri runs: the unsafe data structures and protocols, with small sizes. Each
/// entry is a test-name filter for `cargo miri test -p ontime-core`.
const MIRI_TESTS: &[(&str, &str)] = &[
    ("--lib", "pending::"),
    ("--lib", "sleep::"),
    ("--lib", "clock::"),
    // Small versions of the unsafe protocols: stolen forks, scopes, job slots, cross-pool
    // and handle latches, a contained hook panic (the other tests are sized for native speed).
    ("--test=miri", ""),
];

/// `cargo xtask sim`: builds and runs the simulator's command-line front end (release mode;
/// it validates its own arguments and says what is wrong).
fn sim(args: &[String]) -> Result<(), String> {
    let mut all: Vec<&str> = vec![
        "run",
        "--quiet",
        "--release",
        "-p",
        "ontime-sim",
        "--bin",
        "ontime-sim",
        "--",
    ];
    all.extend(args.iter().map(String::as_str));
    cargo(&workspace_root(), &all, &[], "")
}

fn miri() -> Result<(), String> {
    let root = workspace_root();
    let has_miri = Command::new("cargo")
        .args(["+nightly", "miri", "--version"])
        .current_dir(&root)
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_miri {
        println!(
            "cargo xtask miri: no nightly toolchain with Miri here (rustup toolchain install \
             nightly --component miri); nothing run"
        );
        return Ok(());
    }
    for (target, filter) in MIRI_TESTS {
        println!("== miri: ontime-core {target} {filter}");
        let status = Command::new("cargo")
            .current_dir(&root)
            .env("MIRIFLAGS", "-Zmiri-tree-borrows -Zmiri-ignore-leaks")
            .args([
                "+nightly",
                "miri",
                "test",
                "-p",
                "ontime-core",
                "--target-dir",
                "target/miri",
                target,
                "--",
                filter,
            ])
            .status()
            .map_err(|e| format!("cannot run cargo miri: {e}"))?;
        if !status.success() {
            return Err(format!(
                "Miri found a problem in ontime-core {target} {filter}"
            ));
        }
    }
    Ok(())
}
