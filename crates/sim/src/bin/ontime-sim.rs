//! `ontime-sim`: one simulated case, printed. Normally started by `cargo xtask sim`; usage:
//! `ontime-sim [--workers N] [--load L] [--workload W] [--arrivals poisson|bursty]
//! [--shape loop|tree] [--policy P]... [--requests R] [--seed S] [--defaults]` (`S` decimal,
//! or hexadecimal after `0x`). Without `--policy`, every policy of the suite and the clairvoyant reference run on the same stream;
//! `--defaults` prints the settings it would run with (the defaults, for flags not given
//! before it) and stops; `--calibrate` measures, on a real two-worker pool, what the
//! simulator's transfer costs stand for (`ontime_sim::calibrate`) and stops.

use std::time::Instant;

use ontime_sim::{Arrivals, Case, Costs, Shape, Workload, CLAIRVOYANT, POLICIES};

fn fail(msg: &str) -> ! {
    eprintln!("ontime-sim: {msg}");
    std::process::exit(2)
}

fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> T {
    v.and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fail(&format!("{flag} needs a valid value")))
}

fn main() {
    let mut case = Case {
        workload: Workload::Bimodal,
        arrivals: Arrivals::Poisson,
        load: 0.8,
        workers: 16,
        requests: 20_000,
        seed: 1,
        shape: Shape::Loop,
    };
    let mut policies: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--workers" => case.workers = value("--workers", args.next()),
            "--load" => case.load = value("--load", args.next()),
            "--requests" => case.requests = value("--requests", args.next()),
            "--seed" => {
                case.seed = args
                    .next()
                    .and_then(|s| ontime_sim::parse_seed(&s))
                    .unwrap_or_else(|| {
                        fail("--seed needs a number (decimal, or hexadecimal after 0x)")
                    })
            }
            "--defaults" => {
                println!(
                    "--workers {} --load {} --workload {} --arrivals {} --shape {} --requests {} --seed {}",
                    case.workers,
                    case.load,
                    case.workload.name(),
                    case.arrivals.name(),
                    if case.shape == Shape::Tree { "tree" } else { "loop" },
                    case.requests,
                    case.seed
                );
                return;
            }
            "--calibrate" => {
                let c = ontime_sim::calibrate::measure(400);
                println!("{c:#?}");
                let d = Costs::default();
                println!(
                    "simulator: admission hot = react + admit = {:?}, cold = wake + admit = {:?}; \
                     join hot = react + steal = {:?}, cold = wake + steal = {:?}; \
                     tick lateness uniform in 0..={:?}",
                    d.react + d.admit,
                    d.wake + d.admit,
                    d.react + d.steal,
                    d.wake + d.steal,
                    d.jitter
                );
                return;
            }
            "--policy" => {
                policies.push(args.next().unwrap_or_else(|| fail("--policy needs a name")))
            }
            "--workload" => {
                let w: String = value("--workload", args.next());
                case.workload = Workload::from_name(&w).unwrap_or_else(|| {
                    let known: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
                    fail(&format!(
                        "unknown workload {w:?} (known: {})",
                        known.join(", ")
                    ))
                });
            }
            "--arrivals" => {
                case.arrivals = match args.next().as_deref() {
                    Some("poisson") => Arrivals::Poisson,
                    Some("bursty") => Arrivals::BURSTY,
                    _ => fail("--arrivals takes poisson or bursty"),
                }
            }
            "--shape" => {
                case.shape = match args.next().as_deref() {
                    Some("loop") => Shape::Loop,
                    Some("tree") => Shape::Tree,
                    _ => fail("--shape takes loop or tree"),
                }
            }
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    if case.workers == 0 || case.requests == 0 {
        fail("--workers and --requests must be at least 1");
    }
    if !(case.load.is_finite() && case.load > 0.0) {
        fail("--load must be a positive number");
    }
    if policies.is_empty() {
        policies = POLICIES.iter().map(|p| p.to_string()).collect();
        policies.push(CLAIRVOYANT.into());
    }
    let target = case.target();
    println!(
        "{}: {} requests, {:?} arrivals, target {:?}, seed {}",
        case.name(),
        case.requests,
        case.arrivals.name(),
        target,
        case.seed
    );
    println!(
        "{:<28} {:>8} {:>10} {:>10} {:>10} {:>11} {:>8}",
        "policy", "missed", "p50 ms", "p99 ms", "p99.9 ms", "goodput/s", "secs"
    );
    for p in &policies {
        let t = Instant::now();
        let run = case
            .run(p, &Costs::default())
            .unwrap_or_else(|e| fail(&e.to_string()));
        // A rejected request's latency is `u64::MAX` (never answered): shown as infinite.
        let ms = |q| match run.quantile(q) {
            u64::MAX => f64::INFINITY,
            l => l as f64 / 1e6,
        };
        println!(
            "{:<28} {:>8.4} {:>10.3} {:>10.3} {:>10.3} {:>11.0} {:>8.2}",
            p,
            run.miss_ratio(),
            ms(0.5),
            ms(0.99),
            ms(0.999),
            run.goodput_per_s(),
            t.elapsed().as_secs_f64()
        );
        if std::env::var_os("ONTIME_SIM_DEBUG").is_some() {
            eprintln!("  {:?}", run.counters);
        }
    }
}
