//! micropools: the founding note's bimodal packet benchmark. Packets arrive in bursts; a
//! packet is a short hash; one packet in 10,000 starts a chain of re-scheduled hashing steps
//! (each step `spawn`s the next). Latency per packet from its scheduled arrival to its finish
//! (for a chain, the finish of its last step). `micropools` (light + heavy pool, shedding
//! after a budget) against `single-pool` (steal-first, all workers).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ontime_core::{Request, StealPolicy, ThreadPoolBuilder};
use ontime_policies::{Micropools, StealFirst};

use super::Config;
use crate::load::{sleep_until, Latencies, Rng, Spin};
use crate::results::Record;

const SUITE: &str = "micropools";
/// Cost of a packet and of one chain step.
const PACKET: Duration = Duration::from_micros(10);
/// Steps in an expensive packet's chain.
const CHAIN: u32 = 2000;
/// One packet in this many starts a chain (0.01%).
const CHAIN_EVERY: u64 = 10_000;
/// Packets per burst.
const BURST: usize = 32;
/// Offered load, as a fraction of the pool's capacity.
const LOAD: f64 = 0.6;
/// A request running longer than this is shed to the heavy pool.
const BUDGET: Duration = Duration::from_micros(50);

struct Run {
    cheap: Latencies,
    chains: Latencies,
    makespan: Duration,
}

fn step(k: u32, spin: Spin, done: Arc<dyn Fn() + Send + Sync>) {
    std::hint::black_box(spin.spin(1));
    if k + 1 < CHAIN {
        ontime_core::spawn(move || step(k + 1, spin, done));
    } else {
        done();
    }
}

fn serve(policy: Box<dyn StealPolicy>, threads: usize, chains: &[bool], spin: Spin) -> Run {
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .policy_boxed(policy)
        .build()
        .expect("pool");
    let n = chains.len();
    let lat: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let left = Arc::new(AtomicUsize::new(n));
    // Work per packet, averaged: (1 + CHAIN / CHAIN_EVERY) units.
    let mean = PACKET.as_secs_f64() * (1.0 + f64::from(CHAIN) / CHAIN_EVERY as f64);
    let gap = Duration::from_secs_f64(mean * BURST as f64 / (LOAD * threads as f64));
    let base = Instant::now() + Duration::from_millis(5);
    for (b, burst) in chains.chunks(BURST).enumerate() {
        let due = base + gap * b as u32;
        sleep_until(due);
        for (j, &chain) in burst.iter().enumerate() {
            let i = b * BURST + j;
            let (lat, left) = (lat.clone(), left.clone());
            let finish: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
                lat[i].store(due.elapsed().as_nanos() as u64, Ordering::Relaxed);
                left.fetch_sub(1, Ordering::Release);
            });
            drop(pool.submit(Request::new(move || {
                if chain {
                    step(0, spin, finish);
                } else {
                    std::hint::black_box(spin.spin(1));
                    finish();
                }
            })));
        }
    }
    while left.load(Ordering::Acquire) > 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let makespan = base.elapsed();
    let (mut cheap, mut long) = (Latencies::new(), Latencies::new());
    for (i, &c) in chains.iter().enumerate() {
        let l = lat[i].load(Ordering::Relaxed);
        if c {
            long.record(l)
        } else {
            cheap.record(l)
        }
    }
    Run {
        cheap,
        chains: long,
        makespan,
    }
}

/// Runs the suite.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    let t = cfg.threads.max(2);
    let n = if cfg.quick { 50_000 } else { 200_000 };
    let spin = Spin::calibrate(PACKET);
    let mut rng = Rng::new(0xb1_0d);
    // Chains at pseudo-random places, one per CHAIN_EVERY packets on average.
    let chains: Vec<bool> = (0..n)
        .map(|_| rng.next_u64().is_multiple_of(CHAIN_EVERY))
        .collect();
    let case = "bimodal-packets";
    let heavy = (t / 2).max(1);
    let mut out = Vec::new();
    for name in ["micropools", "single-pool"] {
        progress(&format!("micropools: {case} {name}"));
        let policy: Box<dyn StealPolicy> = match name {
            "micropools" => Box::new(Micropools::new(t - heavy, heavy, BUDGET)),
            _ => Box::new(StealFirst::new()),
        };
        let r = serve(policy, t, &chains, spin);
        let q = r.cheap.quantiles();
        let extra = |rec: &mut Record| {
            rec.extra.insert("packets".into(), (n as u64).into());
            rec.extra.insert("chains".into(), r.chains.len().into());
            rec.extra.insert(
                "pools".into(),
                if name == "micropools" {
                    format!("{} light + {heavy} heavy, budget {BUDGET:?}", t - heavy).into()
                } else {
                    format!("{t} workers").into()
                },
            );
            rec.extra.insert(
                "log2_ns_histogram".into(),
                r.cheap.log2_buckets().to_vec().into(),
            );
            let cq = r.chains.quantiles();
            rec.extra.insert("chain_p50_ns".into(), cq.p50.into());
            rec.extra.insert("load".into(), LOAD.into());
        };
        for (metric, v) in [
            ("p50_ns", q.p50 as f64),
            ("p99_ns", q.p99 as f64),
            ("p999_ns", q.p999 as f64),
            ("p9995_ns", q.p9995 as f64),
            ("throughput_per_s", n as f64 / r.makespan.as_secs_f64()),
        ] {
            let mut rec = Record {
                suite: SUITE.into(),
                case: case.into(),
                implementation: name.into(),
                threads: t,
                metric: metric.into(),
                value: v,
                min: None,
                max: None,
                samples: None,
                extra: Default::default(),
            };
            extra(&mut rec);
            out.push(rec);
        }
    }
    out
}
