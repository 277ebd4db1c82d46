//! fork-join: fib(30) and a binary-tree sum with a join per call, and one cold join of two
//! 200 µs halves into sleeping pools, against rayon-core, chili and serial code; plus the CPU
//! a pool's threads use in the second after its work (their wind-down: an ontime pool left
//! idle longer uses none, `docs/benchmarks.md`).

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;

use super::{ontime_pool, rayon_pool, Config};
use crate::harness::measure_interleaved;
use crate::idle::idle_cpu_fraction;
use crate::load::Spin;
use crate::results::Record;
use crate::workloads::*;

const SUITE: &str = "fork-join";
const FIB_N: u64 = 30;
const TREE_DEPTH: u32 = 20;

fn pools(
    threads: usize,
) -> (
    ontime_core::ThreadPool,
    rayon_core::ThreadPool,
    chili::ThreadPool,
) {
    let o = ontime_pool(threads);
    let r = rayon_pool(threads, "rayon-bench-");
    let c = chili::ThreadPool::with_config(chili::Config {
        thread_count: NonZeroUsize::new(threads),
        ..Default::default()
    });
    (o, r, c)
}

/// Runs the suite.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    let mut out = Vec::new();
    let t = cfg.threads;
    {
        let (o, r, c) = pools(t);
        progress("fork-join: fib-30");
        let expect = fib_serial(FIB_N);
        let stats = measure_interleaved(
            cfg.rounds(100),
            &mut [
                ("ontime", &mut || {
                    assert_eq!(o.install(|| fib_ontime(black_box(FIB_N))), expect)
                }),
                ("rayon-core", &mut || {
                    assert_eq!(r.install(|| fib_rayon(black_box(FIB_N))), expect)
                }),
                ("chili", &mut || {
                    assert_eq!(fib_chili(&mut c.scope(), black_box(FIB_N)), expect)
                }),
                ("serial", &mut || {
                    assert_eq!(fib_serial(black_box(FIB_N)), expect)
                }),
            ],
        );
        out.extend(super::time_records(
            SUITE,
            "fib-30",
            t,
            &stats,
            &[("joins", (fib_calls(FIB_N) / 2).into())],
        ));

        progress("fork-join: tree-sum");
        let tree = make_tree(TREE_DEPTH);
        let expect = tree_sum_serial(&tree);
        let stats = measure_interleaved(
            cfg.rounds(100),
            &mut [
                ("ontime", &mut || {
                    assert_eq!(o.install(|| tree_sum_ontime(&tree)), expect)
                }),
                ("rayon-core", &mut || {
                    assert_eq!(r.install(|| tree_sum_rayon(&tree)), expect)
                }),
                ("chili", &mut || {
                    assert_eq!(tree_sum_chili(&mut c.scope(), &tree), expect)
                }),
                ("serial", &mut || {
                    assert_eq!(tree_sum_serial(black_box(&tree)), expect)
                }),
            ],
        );
        out.extend(super::time_records(
            SUITE,
            "tree-sum",
            t,
            &stats,
            &[("nodes", ((1u64 << TREE_DEPTH) - 1).into())],
        ));
    }

    // A cold join: every pool asleep (the harness settles before each run), then one join of
    // two 200 µs halves from outside the pool, the shape of a request that arrives at an idle
    // server. The halves are calibrated CPU work, not a wait on the clock: two halves that
    // share one CPU then take twice as long, as they would in a real request.
    {
        let (o, r, c) = pools(t);
        progress("fork-join: cold-join-2x200us");
        let spin = Spin::calibrate(COLD_HALF);
        let half = || {
            black_box(spin.spin(1));
            1u32
        };
        let stats = measure_interleaved(
            cfg.rounds(200),
            &mut [
                ("ontime", &mut || {
                    let (a, b) = o.install(|| ontime_core::join(half, half));
                    assert_eq!(a + b, 2)
                }),
                ("rayon-core", &mut || {
                    let (a, b) = r.install(|| rayon_core::join(half, half));
                    assert_eq!(a + b, 2)
                }),
                ("chili", &mut || {
                    let (a, b) = c.scope().join(|_| half(), |_| half());
                    assert_eq!(a + b, 2)
                }),
                ("serial", &mut || assert_eq!(half() + half(), 2)),
            ],
        );
        out.extend(super::time_records(
            SUITE,
            "cold-join-2x200us",
            t,
            &stats,
            &[("half_us", 200.into())],
        ));
    }

    // Idle pools, measured alone (the pools above are gone) right after real work.
    progress("fork-join: idle-pool (1 s each)");
    let window = Duration::from_secs(1);
    {
        let o = ontime_pool(t);
        o.install(|| fib_ontime(25));
        if let Some(f) = idle_cpu_fraction("ontime-", window) {
            out.push(idle_record("ontime", t, f));
        }
    }
    {
        let r = rayon_pool(t, "rayon-idle-");
        r.install(|| fib_rayon(25));
        if let Some(f) = idle_cpu_fraction("rayon-idle-", window) {
            out.push(idle_record("rayon-core", t, f));
        }
    }
    out
}

/// The CPU work of each half of the cold join.
const COLD_HALF: Duration = Duration::from_micros(200);

fn fib_calls(n: u64) -> u64 {
    if n < 2 {
        1
    } else {
        1 + fib_calls(n - 1) + fib_calls(n - 2)
    }
}

fn idle_record(name: &str, threads: usize, fraction: f64) -> Record {
    let mut rec = Record {
        suite: SUITE.into(),
        case: "idle-pool".into(),
        implementation: name.into(),
        threads,
        metric: "idle_cpu_fraction".into(),
        value: fraction,
        min: None,
        max: None,
        samples: Some(1),
        extra: Default::default(),
    };
    rec.extra.insert("window_ms".into(), 1000.into());
    rec
}
