//! forall: a 1-D map/sum with light per-element work, a triangular loop (index `i` costs
//! `i + 1` units, so the work is irregular and sits at the end), and a 2-D tiled matrix
//! product, against rayon's parallel iterators and a rayon-core join-based loop.
//!
//! Rounds: 300 for the two ~5 ms cases, 90 for the ~25 ms product. A round's time is not
//! bell-shaped on a small VM, for any implementation. In some rounds the second worker starts
//! hundreds of microseconds (at worst 5 ms) late. In the slowest ones every loop body takes
//! twice as long once it runs, so the two workers are sharing one core. With 100 rounds the
//! median ratio between two implementations moved by 2-5% from one run to the next. Tripling
//! the rounds narrows that, at a cost of about 15 s per run.

use super::{ontime_pool, rayon_pool, Config};
use crate::harness::measure_interleaved;
use crate::results::Record;
use crate::workloads::*;

const SUITE: &str = "forall";

/// Runs the suite.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    let t = cfg.threads;
    let o = ontime_pool(t);
    // One pool per rayon variant, so neither inherits the other's awake workers.
    let r = rayon_pool(t, "rayon-iter-");
    let rc = rayon_pool(t, "rayon-core-");
    let mut out = Vec::new();

    let n = 10_000_000usize;
    let case = "map-sum-1e7";
    progress("forall: map-sum-1e7");
    let x: Vec<u64> = (0..n as u64).collect();
    let mut buf = vec![0u64; n];
    let expect = map_sum_serial(&x, &mut buf);
    let stats = {
        let buf = std::sync::Mutex::new(buf);
        measure_interleaved(
            cfg.rounds(300),
            &mut [
                ("ontime", &mut || {
                    assert_eq!(
                        o.install(|| map_sum_ontime(&x, &mut buf.lock().unwrap())),
                        expect
                    )
                }),
                ("rayon", &mut || {
                    assert_eq!(
                        r.install(|| map_sum_rayon_iter(&x, &mut buf.lock().unwrap())),
                        expect
                    )
                }),
                ("rayon-core", &mut || {
                    assert_eq!(
                        rc.install(|| map_sum_rayon_join(&x, &mut buf.lock().unwrap())),
                        expect
                    )
                }),
                ("serial", &mut || {
                    assert_eq!(map_sum_serial(&x, &mut buf.lock().unwrap()), expect)
                }),
            ],
        )
    };
    out.extend(super::time_records(
        SUITE,
        case,
        t,
        &stats,
        &[("elements", n.into())],
    ));

    let n = if cfg.quick { 2048 } else { 4096 };
    let case = format!("triangle-{n}");
    progress(&format!("forall: {case}"));
    let mut want = vec![0u64; n];
    triangle_serial(&mut want);
    let buf = std::sync::Mutex::new(vec![0u64; n]);
    let check = |o: &[u64]| assert!(o == want.as_slice(), "triangular loop mismatch");
    let stats = measure_interleaved(
        cfg.rounds(300),
        &mut [
            ("ontime", &mut || {
                o.install(|| triangle_ontime(&mut buf.lock().unwrap()));
                check(&buf.lock().unwrap())
            }),
            ("rayon", &mut || {
                r.install(|| triangle_rayon_iter(&mut buf.lock().unwrap()));
                check(&buf.lock().unwrap())
            }),
            ("rayon-core", &mut || {
                rc.install(|| triangle_rayon_join(&mut buf.lock().unwrap()));
                check(&buf.lock().unwrap())
            }),
            ("serial", &mut || {
                triangle_serial(&mut buf.lock().unwrap());
                check(&buf.lock().unwrap())
            }),
        ],
    );
    out.extend(super::time_records(
        SUITE,
        &case,
        t,
        &stats,
        &[("indices", n.into())],
    ));

    let n = if cfg.quick { 384 } else { 512 };
    let case = format!("matmul-{n}-tiled");
    progress(&format!("forall: {case}"));
    let a: Vec<f64> = (0..n * n).map(|i| (i % 13) as f64 * 0.5).collect();
    let b: Vec<f64> = (0..n * n).map(|i| (i % 7) as f64 - 3.0).collect();
    let mut want = vec![0.0; n * n];
    matmul_serial(&a, &b, &mut want, n);
    let c = std::sync::Mutex::new(vec![0.0; n * n]);
    let check = |c: &[f64]| assert!(c == want.as_slice(), "matrix product mismatch");
    let stats = measure_interleaved(
        cfg.rounds(90),
        &mut [
            ("ontime", &mut || {
                o.install(|| matmul_ontime(&a, &b, &mut c.lock().unwrap(), n));
                check(&c.lock().unwrap())
            }),
            ("rayon", &mut || {
                r.install(|| matmul_rayon_iter(&a, &b, &mut c.lock().unwrap(), n));
                check(&c.lock().unwrap())
            }),
            ("rayon-core", &mut || {
                rc.install(|| matmul_rayon_join(&a, &b, &mut c.lock().unwrap(), n));
                check(&c.lock().unwrap())
            }),
            ("serial", &mut || {
                matmul_serial(&a, &b, &mut c.lock().unwrap(), n);
                check(&c.lock().unwrap())
            }),
        ],
    );
    out.extend(super::time_records(
        SUITE,
        &case,
        t,
        &stats,
        &[("n", n.into()), ("tile", MM_TILE.into())],
    ));
    out
}
