//! latency: open-loop streams of `forall` requests with a target latency, served by every
//! policy and by rayon-core (one spawn per request, join-based loop inside).
//!
//! Arrivals are Poisson, pre-computed, and identical for every implementation of a case
//! (same seed); the generator sleeps until each arrival and the latency is measured from the
//! *scheduled* arrival, so a late generator cannot hide queueing delay. A request is a loop
//! over `items` items of calibrated work (`ITEM` each).
//!
//! Every (case, implementation) runs `REPETITIONS` times (5 full, 2 quick). Repetition `r`
//! has its own seed, and its stream is the same for every implementation; within a
//! repetition the implementations run round-robin, the order rotated from one repetition to
//! the next. The record's value is the median miss ratio over the repetitions, with `min`,
//! `max`, `samples` and `extra.per_repetition`; ontime's records carry the median of their
//! per-repetition ratios to the best baseline, with the range (`pairing::annotate_repetitions`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ontime_core::{Request, StealPolicy, ThreadPoolBuilder};
use ontime_policies::StealFirst;
pub use ontime_sim::{
    median_items, requests_for, stream, Arrival, Arrivals, Workload, COMMON, ITEM,
};

use super::{rayon_pool_with_stack, Config};
use crate::load::{sleep_until, Latencies, Rng, Spin};
use crate::results::Record;

const SUITE: &str = "latency";
/// Loads, as fractions of the pool's measured capacity.
pub const LOADS: [f64; 6] = [0.5, 0.7, 0.8, 0.9, 1.0, 1.2];
/// Seconds of arrivals per repetition at the nominal rate, full and quick: the request count
/// follows that rate, and the measured capacity stretches the span (see `run`).
pub const SPAN_S: [f64; 2] = [1.0, 0.3];
/// Repetitions of every (case, implementation), each with its own seed shared by every
/// implementation: full and quick runs.
pub const REPETITIONS: [usize; 2] = [5, 2];

/// Capacity of a `threads`-worker pool on `w`'s requests, as served here.
#[derive(Copy, Clone, Debug)]
pub struct Capacity {
    /// Requests per second if every worker ran request work all the time (`threads` over the
    /// mean serial service time of the sample).
    pub nominal_rps: f64,
    /// Requests per second the pool completed in a closed loop.
    pub measured_rps: f64,
}

impl Capacity {
    /// Measured over nominal.
    pub fn efficiency(&self) -> f64 {
        self.measured_rps / self.nominal_rps
    }
}

/// Closed-loop saturation: `count` requests of `w`'s sizes on an ontime pool (steal-first),
/// with `4 × threads` in flight (each completion of the oldest admits the next), so the pool
/// never runs dry; capacity = completions per second. Measured in the same run as the
/// streams it scales, so the loads are fractions of what this machine delivers now.
pub fn measure_capacity(
    w: Workload,
    threads: usize,
    spin: Spin,
    count: usize,
    seed: u64,
) -> Capacity {
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .policy(StealFirst::new())
        .build()
        .expect("pool");
    let mut rng = Rng::new(seed);
    let sizes = w.sizes(count, &mut rng);
    let mean_service = sizes.iter().sum::<u64>() as f64 / count as f64 * ITEM.as_secs_f64();
    let window = 4 * threads;
    let mut in_flight = std::collections::VecDeque::with_capacity(window);
    let start = Instant::now();
    for items in sizes {
        if in_flight.len() == window {
            let h: ontime_core::RequestHandle<()> = in_flight.pop_front().expect("window");
            h.wait().expect("request panicked");
        }
        let items = items as usize;
        in_flight.push_back(pool.submit(Request::new(move || {
            ontime_core::forall_chunked(0..items, 1, |r| {
                std::hint::black_box(spin.spin(r.len() as u64));
            })
        })));
    }
    for h in in_flight {
        h.wait().expect("request panicked");
    }
    Capacity {
        nominal_rps: threads as f64 / mean_service,
        measured_rps: count as f64 / start.elapsed().as_secs_f64(),
    }
}

/// Serves `s` on an ontime pool with `policy`; latencies from the scheduled arrivals.
fn serve_ontime(
    policy: Box<dyn StealPolicy>,
    threads: usize,
    s: &[Arrival],
    spin: Spin,
    target: Duration,
) -> Vec<u64> {
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .policy_boxed(policy)
        .build()
        .expect("pool");
    let lead = Duration::from_millis(5);
    let (base_i, base_c) = (Instant::now() + lead, pool.now() + lead);
    let mut handles = Vec::with_capacity(s.len());
    for a in s {
        sleep_until(base_i + a.at);
        let items = a.items as usize;
        handles.push(
            pool.submit(
                Request::new(move || {
                    ontime_core::forall_chunked(0..items, 1, |r| {
                        std::hint::black_box(spin.spin(r.len() as u64));
                    })
                })
                .arrival(base_c + a.at)
                .target(target),
            ),
        );
    }
    let out: Vec<u64> = handles
        .into_iter()
        .map(|h| match h.wait() {
            Ok(done) => done.outcome.latency().as_nanos() as u64,
            // Rejected unrun (a policy that rejects late requests): never answered, so a miss
            // at any target, as the simulator counts it.
            Err(e) if e.is_rejected() => u64::MAX,
            Err(e) => panic!("request failed: {e}"),
        })
        .collect();
    if std::env::var_os("ONTIME_BENCH_DEBUG").is_some() {
        let light: Vec<u64> = out
            .iter()
            .zip(s)
            .filter(|(_, a)| a.items <= COMMON)
            .map(|(l, _)| *l)
            .collect();
        let miss = light
            .iter()
            .filter(|&&l| l > target.as_nanos() as u64)
            .count();
        let mut q: Vec<u64> = light.iter().map(|l| l / 1000).collect();
        q.sort_unstable();
        eprintln!(
            "  {:?} light misses {}/{} p50 {}us p90 {}us",
            pool.stats(),
            miss,
            light.len(),
            q[q.len() / 2],
            q[q.len() * 9 / 10]
        );
    }
    out
}

fn rayon_loop(lo: usize, hi: usize, spin: Spin) {
    if hi - lo <= 1 {
        if hi > lo {
            std::hint::black_box(spin.spin(1));
        }
        return;
    }
    let mid = lo + (hi - lo) / 2;
    rayon_core::join(|| rayon_loop(lo, mid, spin), || rayon_loop(mid, hi, spin));
}

/// Serves `s` on rayon-core: one `spawn` per request, a join-based loop inside.
///
/// The workers get 64 MiB stacks: a rayon worker waiting in a `join` runs other spawned
/// requests on top of its stack, without bound, and under a long queue (lognormal at load 0.9)
/// the default 2 MiB overflowed and aborted the whole run.
fn serve_rayon(threads: usize, s: &[Arrival], spin: Spin) -> Vec<u64> {
    let pool = rayon_pool_with_stack(threads, "rayon-latency-", Some(64 << 20));
    let lat: Arc<Vec<AtomicU64>> = Arc::new((0..s.len()).map(|_| AtomicU64::new(0)).collect());
    let left = Arc::new(AtomicUsize::new(s.len()));
    let base = Instant::now() + Duration::from_millis(5);
    for (i, a) in s.iter().enumerate() {
        let due = base + a.at;
        sleep_until(due);
        let (lat, left, items) = (lat.clone(), left.clone(), a.items as usize);
        pool.spawn(move || {
            rayon_loop(0, items, spin);
            lat[i].store(due.elapsed().as_nanos() as u64, Ordering::Relaxed);
            left.fetch_sub(1, Ordering::Release);
        });
    }
    while left.load(Ordering::Acquire) > 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    lat.iter().map(|l| l.load(Ordering::Relaxed)).collect()
}

/// The implementations measured: every policy, rayon-core, and the `ONTIME_BENCH_EXTRA`
/// variants asked for (a comma-separated list of names from [`ontime_sim::EXTRA`]).
///
/// # Panics
/// If `ONTIME_BENCH_EXTRA` names a variant not in [`ontime_sim::EXTRA`] (the message lists
/// them).
pub fn impls() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = ontime_sim::POLICIES.to_vec();
    v.push("rayon-core");
    if let Ok(extra) = std::env::var("ONTIME_BENCH_EXTRA") {
        for name in extra.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let known = ontime_sim::EXTRA
                .iter()
                .find(|&&e| e == name)
                .unwrap_or_else(|| {
                    panic!(
                        "ONTIME_BENCH_EXTRA: no variant named {name:?}; known: {:?}",
                        ontime_sim::EXTRA
                    )
                });
            v.push(known);
        }
    }
    v
}

fn policy(name: &str, threads: usize, target: Duration) -> Box<dyn StealPolicy> {
    ontime_sim::policy(name, threads, target)
        .unwrap_or_else(|| unreachable!("no policy named {name}"))
}

/// A miss-ratio record with the quantiles in `extra`.
pub fn miss_record(
    suite: &str,
    case: &str,
    implementation: &str,
    threads: usize,
    lat: &Latencies,
    misses: u64,
    extra: &[(&str, serde_json::Value)],
) -> Record {
    let q = lat.quantiles();
    let mut r = Record {
        suite: suite.into(),
        case: case.into(),
        implementation: implementation.into(),
        threads,
        metric: "miss_ratio".into(),
        value: misses as f64 / lat.len().max(1) as f64,
        min: None,
        max: None,
        samples: None,
        extra: Default::default(),
    };
    for (k, v) in [
        ("requests", lat.len()),
        ("p50_ns", q.p50),
        ("p99_ns", q.p99),
        ("p999_ns", q.p999),
        ("p9995_ns", q.p9995),
    ] {
        r.extra.insert(k.into(), v.into());
    }
    r.extra.insert(
        "log2_ns_histogram".into(),
        lat.log2_buckets().to_vec().into(),
    );
    for (k, v) in extra {
        r.extra.insert((*k).into(), v.clone());
    }
    r
}

/// Requests of `s` that met `target`, per second of its arrivals (the span from the stream's
/// start to its last scheduled arrival).
fn goodput(s: &[Arrival], latencies: &[u64], target: Duration) -> f64 {
    let met = latencies
        .iter()
        .filter(|&&l| l <= target.as_nanos() as u64)
        .count();
    let span = s.last().map_or(0.0, |a| a.at.as_secs_f64());
    if span > 0.0 {
        met as f64 / span
    } else {
        0.0
    }
}

/// Median, min, max and samples of per-repetition figures, into `rec`.
fn summarize_repetitions(rec: &mut Record, per: &[f64]) {
    let mut v = per.to_vec();
    rec.value = crate::harness::median(&mut v);
    rec.min = Some(v[0]);
    rec.max = Some(v[v.len() - 1]);
    rec.samples = Some(v.len());
    rec.extra
        .insert("per_repetition".into(), per.to_vec().into());
}

/// The streams of one case, one per repetition. Repetition `r` has its own seed, and serves
/// the same stream to every implementation.
///
/// The count comes from the nominal capacity and the measured `efficiency` scales only the
/// gaps, so every run serves the same requests in the same order and only the time scale
/// follows the machine: the arrivals span about `span_s / efficiency`. Counting from the
/// measured capacity re-drew the whole stream whenever the measurement moved by one request,
/// and with 1-3 enormous requests a repetition, where they landed decided the baselines'
/// goodput more than any policy did (2026-12-05: one repetition's admit-first goodput read
/// 499, 741, 781 and 423 requests/s in four full runs).
pub fn case_streams(
    w: Workload,
    wi: usize,
    load: f64,
    span_s: f64,
    efficiency: f64,
    threads: usize,
    reps: usize,
) -> Vec<Vec<Arrival>> {
    let n = requests_for(w, span_s, load, 1.0, threads);
    (0..reps)
        .map(|r| {
            let seed = 0x5eed + wi as u64 + 0x1_0000 * r as u64;
            stream(w, Arrivals::Poisson, n, load, efficiency, threads, seed)
        })
        .collect()
}

/// Runs the suite.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    let t = cfg.threads;
    let only: Option<String> = std::env::var("ONTIME_BENCH_ONLY").ok();
    // Each repetition offers about SPAN_S seconds of arrivals: 1 s in a full run (5 repetitions,
    // 6 loads, 3 workloads, 6 implementations: about 10.5 minutes here), 0.3 s quick (under 2 minutes).
    let span_s = SPAN_S[usize::from(cfg.quick)];
    let spin = Spin::calibrate(ITEM);
    let mut out = Vec::new();
    let workloads = Workload::LATENCY_SUITE;
    // Capacity first, per workload, on this machine and in this run.
    let capacity: Vec<Capacity> = workloads
        .iter()
        .enumerate()
        .map(|(wi, &w)| {
            progress(&format!("latency: {} capacity (closed loop)", w.name()));
            let count = if cfg.quick { 400 } else { 1500 };
            measure_capacity(w, t, spin, count, 0xca9 + wi as u64)
        })
        .collect();
    for (wi, w) in workloads.into_iter().enumerate() {
        for load in LOADS {
            let case = format!("{}-load{load}", w.name());
            if only.as_ref().is_some_and(|o| !case.contains(o.as_str())) {
                continue;
            }
            let reps = REPETITIONS[usize::from(cfg.quick)];
            let cap = capacity[wi];
            let streams = case_streams(w, wi, load, span_s, cap.efficiency(), t, reps);
            let n = streams[0].len();
            let median = ITEM * median_items(&streams[0]) as u32;
            let target = ontime_sim::target_for(&streams[0]);
            let names = impls();
            let k = names.len();
            let mut lats: Vec<Latencies> = (0..k).map(|_| Latencies::new()).collect();
            let mut misses = vec![0u64; k];
            let mut per: Vec<Vec<f64>> = vec![Vec::with_capacity(reps); k];
            let mut per_goodput: Vec<Vec<f64>> = vec![Vec::with_capacity(reps); k];
            for (r, s) in streams.iter().enumerate() {
                // Round-robin, the order rotated every repetition.
                for j in 0..k {
                    let i = (j + r) % k;
                    let name = names[i];
                    progress(&format!("latency: {case} {name} ({}/{reps})", r + 1));
                    let raw = match name {
                        "rayon-core" => serve_rayon(t, s, spin),
                        _ => serve_ontime(policy(name, t, target), t, s, spin, target),
                    };
                    let m = raw
                        .iter()
                        .filter(|&&l| l > target.as_nanos() as u64)
                        .count();
                    raw.iter().for_each(|&l| lats[i].record(l));
                    misses[i] += m as u64;
                    per[i].push(m as f64 / raw.len().max(1) as f64);
                    per_goodput[i].push(goodput(s, &raw, target));
                }
            }
            let extra: Vec<(&str, serde_json::Value)> = vec![
                ("target_ns", (target.as_nanos() as u64).into()),
                ("median_service_ns", (median.as_nanos() as u64).into()),
                ("item_ns", (ITEM.as_nanos() as u64).into()),
                ("workload", w.name().into()),
                ("load", load.into()),
                ("load_nominal", (load * cap.efficiency()).into()),
                ("capacity_nominal_rps", cap.nominal_rps.into()),
                ("capacity_measured_rps", cap.measured_rps.into()),
                ("offered_rps", (n as f64 * cap.efficiency() / span_s).into()),
                ("requests_per_repetition", n.into()),
                ("arrival", "poisson, open loop, from scheduled time".into()),
            ];
            // Miss ratio: the figure is the median over repetitions; quantiles and the
            // histogram pool every repetition's requests.
            let mut recs: Vec<Record> = (0..k)
                .map(|i| {
                    let mut rec =
                        miss_record(SUITE, &case, names[i], t, &lats[i], misses[i], &extra);
                    summarize_repetitions(&mut rec, &per[i]);
                    rec
                })
                .collect();
            crate::pairing::annotate_repetitions(&names, &per, false, &mut recs);
            // Goodput: requests that met T per second of arrivals, median over repetitions.
            let mut good: Vec<Record> = (0..k)
                .map(|i| {
                    let mut rec = Record::new(SUITE, &case, names[i], t, "goodput_per_s", 0.0);
                    for (key, v) in &extra {
                        rec.extra.insert((*key).into(), v.clone());
                    }
                    summarize_repetitions(&mut rec, &per_goodput[i]);
                    rec
                })
                .collect();
            crate::pairing::annotate_repetitions(&names, &per_goodput, true, &mut good);
            out.extend(recs);
            out.extend(good);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_measured_on_the_workloads_own_sizes() {
        let spin = Spin::calibrate(Duration::from_nanos(200));
        let c = measure_capacity(Workload::Lognormal, 1, spin, 40, 3);
        // Nominal: one worker over the mean serial time of the same 40 sizes.
        let mut rng = Rng::new(3);
        let sizes = Workload::Lognormal.sizes(40, &mut rng);
        let mean = sizes.iter().sum::<u64>() as f64 / 40.0 * ITEM.as_secs_f64();
        assert!((c.nominal_rps - 1.0 / mean).abs() < 1e-6 * c.nominal_rps);
        assert!(c.measured_rps.is_finite() && c.measured_rps > 0.0);
        assert!(c.efficiency() > 0.0);
    }

    #[test]
    fn a_case_serves_the_same_requests_whatever_capacity_was_measured() {
        let a = case_streams(Workload::Enormous, 2, 1.2, 0.3, 1.0, 2, 2);
        let b = case_streams(Workload::Enormous, 2, 1.2, 0.3, 0.8, 2, 2);
        assert_eq!(a.len(), 2);
        assert_ne!(a[0], a[1], "each repetition has its own stream");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.len(), y.len());
            for (p, q) in x.iter().zip(y) {
                assert_eq!(p.items, q.items);
                // A lower capacity stretches the time scale by 1 / 0.8.
                let want = p.at.as_secs_f64() / 0.8;
                assert!((q.at.as_secs_f64() - want).abs() <= 1e-6 * want.max(1e-3));
            }
        }
    }
}
