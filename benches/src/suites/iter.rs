//! iter: rayon-style data parallelism, ontime's `prelude` against rayon's, one case per
//! operation (map-sum, in-place update, a 3×3 blur by rows, filter-collect of the primes,
//! map-collect, filter-collect of a large result, the two sorts). Both run the same closures
//! on pools of the same size; each case checks its result against a serial computation.
//!
//! The code measured is written once (`kernels!`) and compiled twice, under
//! `use ontime_core::prelude::*` and under `use rayon::prelude::*`: a port is the import.
//!
//! Inputs that a case consumes (the sorts' unsorted data) are restored before every timed run,
//! outside the timing (`harness::measure_prepared`).

use std::sync::Mutex;

use super::{ontime_pool, rayon_pool, Config};
use crate::harness::{measure_interleaved, measure_prepared, Stats};
use crate::load::Rng;
use crate::results::Record;

const SUITE: &str = "iter";

/// A kernel that builds a `Vec` from a slice (the collect cases).
type Kernel = fn(&[u64]) -> Vec<u64>;

/// The measured code, once per library: the same source under each prelude.
macro_rules! kernels {
    ($($prelude:ident)::+) => {
        use $($prelude)::+::*;

        pub fn map_sum(x: &[f64]) -> f64 {
            x.par_iter().map(|&v| v * v + 1.0).sum::<f64>()
        }

        pub fn update(x: &mut [f64]) {
            x.par_iter_mut().for_each(|v| *v = *v * 0.999 + 1.0);
        }

        pub fn blur(img: &[f32], out: &mut [f32], side: usize) {
            out.par_chunks_mut(side)
                .enumerate()
                .for_each(|(y, row)| super::blur_row(img, side, y, row));
        }

        pub fn primes(bound: u32) -> Vec<u32> {
            (0..bound).into_par_iter().filter(|&k| super::is_prime(k)).collect()
        }

        pub fn map_collect(x: &[u64]) -> Vec<u64> {
            x.par_iter().map(|&v| 3 * v + 1).collect()
        }

        pub fn filter_collect(x: &[u64]) -> Vec<u64> {
            x.par_iter().copied().filter(|v| v % 3 != 0).collect()
        }

        pub fn sort(v: &mut [u64], stable: bool) {
            if stable {
                v.par_sort()
            } else {
                v.par_sort_unstable()
            }
        }
    };
}

mod on_ontime {
    kernels!(ontime_core::prelude);
}

mod on_rayon {
    kernels!(rayon::prelude);
}

/// Runs the suite.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    let t = cfg.threads;
    let o = ontime_pool(t);
    let r = rayon_pool(t, "rayon-iter-");
    let (n, tag) = if cfg.quick {
        (1_000_000, "1e6")
    } else {
        (10_000_000, "1e7")
    };
    let mut out = Vec::new();
    let mut emit = |case: &str, stats: Vec<Stats>, elements: usize| {
        out.extend(super::time_records(
            SUITE,
            case,
            t,
            &stats,
            &[("elements", elements.into())],
        ));
    };

    // map-sum: a light map and a sum over f64.
    let case = format!("map-sum-{tag}");
    progress(&format!("iter: {case}"));
    let x: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.25).collect();
    let expect: f64 = x.iter().map(|&v| v * v + 1.0).sum();
    let close = |s: f64| assert!((s - expect).abs() <= 1e-9 * expect, "map-sum mismatch");
    let stats = measure_interleaved(
        cfg.rounds(150),
        &mut [
            ("ontime", &mut || {
                close(o.install(|| on_ontime::map_sum(&x)))
            }),
            ("rayon", &mut || close(r.install(|| on_rayon::map_sum(&x)))),
        ],
    );
    emit(&case, stats, n);
    drop(x);

    // par_iter_mut: an in-place update. Both libraries update one buffer in turn (two
    // buffers could sit differently in memory and time differently for that alone); a
    // sample of it is checked against the update applied serially as many times.
    let case = format!("iter-mut-{tag}");
    progress(&format!("iter: {case}"));
    let start = |i: usize| (i % 977) as f64;
    let mut buf: Vec<f64> = (0..n).map(start).collect();
    let runs = std::cell::Cell::new(0u32);
    let stats = {
        let buf = std::cell::RefCell::new(&mut buf);
        measure_interleaved(
            cfg.rounds(150),
            &mut [
                ("ontime", &mut || {
                    runs.set(runs.get() + 1);
                    let mut b = buf.borrow_mut();
                    let v: &mut [f64] = &mut b;
                    o.install(|| on_ontime::update(v))
                }),
                ("rayon", &mut || {
                    runs.set(runs.get() + 1);
                    let mut b = buf.borrow_mut();
                    let v: &mut [f64] = &mut b;
                    r.install(|| on_rayon::update(v))
                }),
            ],
        )
    };
    for i in (0..n).step_by(9973) {
        let want = (0..runs.get()).fold(start(i), |v, _| v * 0.999 + 1.0);
        assert!(buf[i] == want, "in-place update mismatch at {i}");
    }
    emit(&case, stats, n);
    drop(buf);

    // A 3×3 box blur of a square f32 image, one output row per chunk, into one buffer that
    // both libraries write in turn.
    let side = if cfg.quick { 1024 } else { 4096 };
    let case = format!("blur-{side}");
    progress(&format!("iter: {case}"));
    let img: Vec<f32> = (0..side * side).map(|i| ((i * 7) % 251) as f32).collect();
    let mut want = vec![0f32; side * side];
    for (y, row) in want.chunks_mut(side).enumerate() {
        blur_row(&img, side, y, row);
    }
    // Untimed, before each run: the previous run's output is checked, then cleared.
    let blurred = std::cell::RefCell::new(vec![0f32; side * side]);
    let written = std::cell::Cell::new(false);
    let stats = measure_prepared(
        cfg.rounds(100),
        &mut |_| {
            let mut b = blurred.borrow_mut();
            assert!(!written.get() || *b == want, "blur mismatch");
            b.fill(0.0);
            written.set(true);
        },
        &mut [
            ("ontime", &mut || {
                let mut b = blurred.borrow_mut();
                let v: &mut [f32] = &mut b;
                o.install(|| on_ontime::blur(&img, v, side))
            }),
            ("rayon", &mut || {
                let mut b = blurred.borrow_mut();
                let v: &mut [f32] = &mut b;
                r.install(|| on_rayon::blur(&img, v, side))
            }),
        ],
    );
    assert!(*blurred.borrow() == want, "blur mismatch");
    emit(&case, stats, side * side);
    drop((img, want, blurred));

    // Filter-collect: the primes below a bound, by trial division (cost grows with n).
    let (bound, btag) = if cfg.quick {
        (200_000u32, "2e5")
    } else {
        (2_000_000, "2e6")
    };
    let case = format!("primes-{btag}");
    progress(&format!("iter: {case}"));
    let want: Vec<u32> = (0..bound).filter(|&k| is_prime(k)).collect();
    let check = |v: Vec<u32>| assert!(v == want, "primes mismatch");
    let stats = measure_interleaved(
        cfg.rounds(60),
        &mut [
            ("ontime", &mut || {
                check(o.install(|| on_ontime::primes(bound)))
            }),
            ("rayon", &mut || {
                check(r.install(|| on_rayon::primes(bound)))
            }),
        ],
    );
    emit(&case, stats, bound as usize);
    drop(want);

    // Map-collect into a Vec, in order; then a filter-collect of a large result (two thirds
    // of the items kept, about 53 MB at 10^7), whose runs each library joins at the end.
    let src: Vec<u64> = (0..n as u64).collect();
    for (op, want_len, want, kernels) in [
        (
            "map-collect",
            n,
            (|i| 3 * i as u64 + 1) as fn(usize) -> u64,
            (
                on_ontime::map_collect as Kernel,
                on_rayon::map_collect as Kernel,
            ),
        ),
        (
            "filter-collect",
            n - n.div_ceil(3),
            |i| (i / 2 * 3 + i % 2 + 1) as u64,
            (on_ontime::filter_collect, on_rayon::filter_collect),
        ),
    ] {
        let case = format!("{op}-{tag}");
        progress(&format!("iter: {case}"));
        let check = |v: Vec<u64>| {
            let ok = v.len() == want_len
                && v.iter()
                    .enumerate()
                    .step_by(9973)
                    .all(|(i, &y)| y == want(i));
            assert!(ok, "{op} mismatch")
        };
        let stats = measure_interleaved(
            cfg.rounds(100),
            &mut [
                ("ontime", &mut || check(o.install(|| kernels.0(&src)))),
                ("rayon", &mut || check(r.install(|| kernels.1(&src)))),
            ],
        );
        emit(&case, stats, n);
    }
    drop(src);

    // The sorts, of random u64 (restored before each run, untimed).
    let mut rng = Rng::new(0x5047);
    let unsorted: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
    let mut want = unsorted.clone();
    want.sort_unstable();
    for (stable, name) in [(false, "sort-unstable"), (true, "sort")] {
        let case = format!("{name}-{tag}");
        progress(&format!("iter: {case}"));
        let bufs = [Mutex::new(unsorted.clone()), Mutex::new(unsorted.clone())];
        let stats = measure_prepared(
            cfg.rounds(40),
            &mut |i| bufs[i].lock().unwrap().copy_from_slice(&unsorted),
            &mut [
                ("ontime", &mut || {
                    let mut g = bufs[0].lock().unwrap();
                    let v: &mut [u64] = &mut g;
                    o.install(|| on_ontime::sort(v, stable))
                }),
                ("rayon", &mut || {
                    let mut g = bufs[1].lock().unwrap();
                    let v: &mut [u64] = &mut g;
                    r.install(|| on_rayon::sort(v, stable))
                }),
            ],
        );
        for b in &bufs {
            assert!(*b.lock().unwrap() == want, "{case}: not sorted");
        }
        emit(&case, stats, n);
    }
    out
}

/// Row `y` of a 3×3 box blur of the `side`×`side` image `img` (edges clamp).
#[inline(never)]
fn blur_row(img: &[f32], side: usize, y: usize, row: &mut [f32]) {
    let ys = [y.saturating_sub(1), y, (y + 1).min(side - 1)];
    for (x, out) in row.iter_mut().enumerate() {
        let xs = [x.saturating_sub(1), x, (x + 1).min(side - 1)];
        let mut s = 0.0;
        for &yy in &ys {
            let line = &img[yy * side..yy * side + side];
            s += line[xs[0]] + line[xs[1]] + line[xs[2]];
        }
        *out = s * (1.0 / 9.0);
    }
}

/// Trial division.
#[inline(never)]
fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}
