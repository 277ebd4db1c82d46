//! sim: the simulator (`ontime-sim`) serving the latency workloads at 2 to 256 simulated
//! workers, every policy and the clairvoyant reference on the same streams. Records are
//! deterministic: two runs give identical records (no wall clock enters them).
//!
//! Cases are `<workload>[-bursty]-load<L>-w<N>`; `threads` is the number of simulated
//! workers; `miss_ratio` carries p50/p99/p99.9 in `extra`, and each policy's ratio to the
//! best baseline (steal-first, admit-first) and to the clairvoyant reference.

use ontime_sim::{Arrivals, Case, Costs, Run, Shape, Workload, CLAIRVOYANT, POLICIES};

use super::Config;
use crate::results::Record;

const SUITE: &str = "sim";
/// Simulated pool sizes, full and quick.
pub const WORKERS: [&[usize]; 2] = [&[2, 16, 64, 256], &[2, 16, 256]];
/// Loads (fractions of the simulated pool's capacity), full and quick.
pub const LOADS: [&[f64]; 2] = [
    &[0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.2],
    &[0.3, 0.5, 0.8, 1.0, 1.2],
];
/// Requests per case, full and quick.
pub const REQUESTS: [usize; 2] = [3_000, 1_200];
const SEED: u64 = 0x51_3eed;

/// The (workload, arrivals) pairs of a run: every workload with Poisson arrivals, and the
/// latency suite's workloads with bursty arrivals in a full run.
fn streams(quick: bool) -> Vec<(Workload, Arrivals)> {
    let mut v: Vec<_> = Workload::ALL
        .iter()
        .map(|&w| (w, Arrivals::Poisson))
        .collect();
    if !quick {
        v.extend(
            Workload::LATENCY_SUITE
                .iter()
                .map(|&w| (w, Arrivals::BURSTY)),
        );
    }
    v
}

fn records(case: &Case, names: &[&str], runs: &[Run]) -> Vec<Record> {
    let miss: Vec<f64> = runs.iter().map(Run::miss_ratio).collect();
    let good: Vec<f64> = runs.iter().map(Run::goodput_per_s).collect();
    // The best baseline by the project's one rule (`pairing::best_peer`: neither ours nor
    // the clairvoyant bound), and the bound itself.
    let best = |v: &[f64], higher: bool| {
        let row: Vec<(&str, f64)> = names.iter().copied().zip(v.iter().copied()).collect();
        crate::pairing::best_peer(&row, higher).map(|i| (names[i], v[i]))
    };
    let clair = names.iter().position(|&x| x == CLAIRVOYANT);
    let name = case.name();
    let mut out = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let common = |rec: &mut Record| {
            for (k, v) in [
                ("workload", case.workload.name().into()),
                ("arrivals", case.arrivals.name().into()),
                ("load", case.load.into()),
                ("requests", (run.latency_ns.len() as u64).into()),
                ("target_ns", run.target_ns.into()),
                ("seed", case.seed.into()),
            ] {
                rec.extra.insert(k.into(), v);
            }
        };
        let mut m = Record::new(SUITE, &name, names[i], case.workers, "miss_ratio", miss[i]);
        common(&mut m);
        for (k, q) in [("p50_ns", 0.5), ("p99_ns", 0.99), ("p999_ns", 0.999)] {
            m.extra.insert(k.into(), run.quantile(q).into());
        }
        let c = &run.counters;
        for (k, v) in [
            ("steals", c.steals),
            ("promotions", c.promotions),
            ("handed_back", c.handed_back),
            ("sent_home", c.sent_home),
            ("yields", c.yields),
        ] {
            m.extra.insert(k.into(), v.into());
        }
        let mut g = Record::new(
            SUITE,
            &name,
            names[i],
            case.workers,
            "goodput_per_s",
            good[i],
        );
        common(&mut g);
        if crate::pairing::is_ours(names[i]) {
            for (rec, v, higher) in [(&mut m, &miss, false), (&mut g, &good, true)] {
                if let Some((peer, b)) = best(v, higher).filter(|&(_, b)| b > 0.0) {
                    rec.extra.insert("ratio".into(), (v[i] / b).into());
                    rec.extra.insert("ratio_peer".into(), peer.into());
                }
                if let Some(c) = clair.filter(|&c| v[c] > 0.0) {
                    rec.extra
                        .insert("vs_clairvoyant".into(), (v[i] / v[c]).into());
                }
            }
        }
        out.push(m);
        out.push(g);
    }
    out
}

/// Runs the suite: cases on two threads (each simulation is single-threaded and
/// deterministic; the records come out in case order whatever the threads do).
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    let q = usize::from(cfg.quick);
    let mut cases = Vec::new();
    for &workers in WORKERS[q] {
        for &(workload, arrivals) in &streams(cfg.quick) {
            for &load in LOADS[q] {
                cases.push(Case {
                    workload,
                    arrivals,
                    load,
                    workers,
                    requests: REQUESTS[q],
                    seed: SEED,
                    shape: Shape::Loop,
                });
            }
        }
    }
    let mut names: Vec<&str> = POLICIES.to_vec();
    names.push(CLAIRVOYANT);
    let costs = Costs::default();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(vec![None; cases.len()]);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::scope(|s| {
        for _ in 0..2 {
            let tx = tx.clone();
            let (cases, names, next, done) = (&cases, &names, &next, &done);
            s.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let _ = tx.send(format!("sim: {} ({}/{})", case.name(), i + 1, cases.len()));
                let runs: Vec<Run> = names
                    .iter()
                    .map(|n| case.run(n, &costs).expect("every suite policy runs"))
                    .collect();
                done.lock().expect("no panic while held")[i] = Some(records(case, names, &runs));
            });
        }
        drop(tx);
        for line in rx {
            progress(&line);
        }
    });
    done.into_inner()
        .expect("workers finished")
        .into_iter()
        .flat_map(|r| r.expect("every case ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_ratios_to_the_best_baseline_and_the_bound() {
        let case = Case {
            workload: Workload::Bimodal,
            arrivals: Arrivals::Poisson,
            load: 0.8,
            workers: 4,
            requests: 300,
            seed: 1,
            shape: Shape::Loop,
        };
        let names = ["steal-first", "admit-first", "target-latency", CLAIRVOYANT];
        let runs: Vec<Run> = names
            .iter()
            .map(|n| case.run(n, &Costs::default()).unwrap())
            .collect();
        let recs = records(&case, &names, &runs);
        assert_eq!(recs.len(), 8);
        let tl = &recs[4];
        assert_eq!(
            (tl.implementation.as_str(), tl.metric.as_str()),
            ("target-latency", "miss_ratio")
        );
        let best = runs[0].miss_ratio().min(runs[1].miss_ratio());
        let ratio = tl.extra["ratio"].as_f64().unwrap();
        assert!((ratio - runs[2].miss_ratio() / best).abs() < 1e-12);
        assert_eq!(tl.case, "bimodal-load0.8-w4");
        assert!(
            !recs[0].extra.contains_key("ratio"),
            "baselines carry no ratio"
        );
    }
}
