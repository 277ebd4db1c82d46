//! The `iter-breadth` suite: the rest of rayon's everyday iterator API, ontime against rayon
//! in the same run, one case per mechanism (`fold`, the flattening adapters, the searches in
//! index order, `try_for_each`, `map_init`, `chain`, `skip`/`take`, `par_windows`, `unzip`,
//! `partition`, `collect` into a `Result` and a `HashMap`, `par_extend`). As in `iter`, the code
//! measured is written once (`kernels!`) and compiled under each library's prelude, and each
//! case checks its result against a serial computation.
//!
//! Kept apart from `iter`, whose cases are the ones issue 18 names, so that each suite's
//! figures keep their meaning.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{ontime_pool, rayon_pool, Config};
use crate::harness::{measure_interleaved, Stats};
use crate::results::Record;

const SUITE: &str = "iter-breadth";

/// The measured code, once per library: the same source under each prelude.
macro_rules! kernels {
    ($($prelude:ident)::+) => {
        use $($prelude)::+::*;
        use std::collections::HashMap;

        pub fn fold_sum(x: &[f64]) -> f64 {
            x.par_iter().fold(|| 0.0, |a, &v| a + v * v).sum::<f64>()
        }

        pub fn flat_map_iter(n: u64) -> Vec<u64> {
            (0..n).into_par_iter().flat_map_iter(|i| 0..i % 8).collect()
        }

        pub fn flat_map(n: u64) -> Vec<u64> {
            (0..n).into_par_iter().flat_map(|i| (0..i % 8).into_par_iter()).collect()
        }

        pub fn position_first(x: &[u64], target: u64) -> Option<usize> {
            x.par_iter().position_first(|&v| v == target)
        }

        pub fn try_for_each(x: &[u64]) -> Result<(), u64> {
            x.par_iter().try_for_each(|&v| if v == u64::MAX { Err(v) } else { Ok(()) })
        }

        pub fn map_init(x: &[u64]) -> Vec<u64> {
            // A scratch buffer per piece of work, reused by every item of it.
            x.par_iter()
                .map_init(Vec::new, |scratch: &mut Vec<u64>, &v| {
                    scratch.clear();
                    scratch.extend([v, v + 1, v + 2]);
                    scratch.iter().sum::<u64>()
                })
                .collect()
        }

        pub fn chain(x: &[u64], y: &[u64]) -> Vec<u64> {
            x.par_iter().chain(y.par_iter()).copied().collect()
        }

        pub fn skip_take(x: &[u64]) -> Vec<u64> {
            x.par_iter().copied().skip(x.len() / 4).take(x.len() / 2).collect()
        }

        pub fn windows(x: &[u64]) -> u64 {
            x.par_windows(3).map(|w| w[0] ^ w[1] ^ w[2]).sum::<u64>()
        }

        pub fn unzip(x: &[u64]) -> (Vec<u64>, Vec<u64>) {
            x.par_iter().map(|&v| (v, v + 1)).unzip()
        }

        pub fn partition(x: &[u64]) -> (Vec<u64>, Vec<u64>) {
            x.par_iter().partition(|&&v| v % 3 == 0)
        }

        pub fn result(x: &[u64]) -> Result<Vec<u64>, u64> {
            x.par_iter()
                .map(|&v| if v == u64::MAX { Err(v) } else { Ok(v + 1) })
                .collect()
        }

        pub fn hash_map(x: &[u64]) -> HashMap<u64, u64> {
            x.par_iter().map(|&v| (v, v * 2)).collect()
        }

        pub fn extend(x: &[u64], out: &mut Vec<u64>) {
            out.clear();
            out.par_extend(x.par_iter().map(|v| v + 1));
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
    let r = rayon_pool(t, "rayon-breadth-");
    let scale = if cfg.quick { 10 } else { 1 };
    let n = 10_000_000 / scale;
    let mut out = Vec::new();
    // Times ontime's and rayon's runs of one case, each result checked.
    let mut case = |op: &str, size: usize, elements: usize, rounds: usize, f: &dyn Fn(bool)| {
        let name = format!("{op}-{}", tag(size));
        progress(&format!("iter-breadth: {name}"));
        let stats: Vec<Stats> = measure_interleaved(
            cfg.rounds(rounds),
            &mut [("ontime", &mut || f(true)), ("rayon", &mut || f(false))],
        );
        out.extend(super::time_records(
            SUITE,
            &name,
            t,
            &stats,
            &[("elements", elements.into())],
        ));
    };
    macro_rules! both {
        ($on:expr, $kernel:ident ( $($arg:expr),* )) => {
            if $on {
                o.install(|| on_ontime::$kernel($($arg),*))
            } else {
                r.install(|| on_rayon::$kernel($($arg),*))
            }
        };
    }

    let xf: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.25).collect();
    let want: f64 = xf.iter().map(|&v| v * v).sum();
    case("fold-sum", n, n, 100, &|on| {
        let s = both!(on, fold_sum(&xf));
        assert!((s - want).abs() <= 1e-9 * want, "fold-sum mismatch");
    });
    drop(xf);

    // Each i gives i % 8 items: 3.5 per i on average.
    let flat = |m: u64| (0..m).map(|i| i % 8).sum::<u64>() as usize;
    let m = 2_000_000 / scale as u64;
    case("flat-map-iter", m as usize, m as usize, 40, &|on| {
        let v = both!(on, flat_map_iter(m));
        assert!(v.len() == flat(m) && v[..8] == [0, 0, 1, 0, 1, 2, 0, 1]);
    });
    let m = m / 10;
    case("flat-map", m as usize, m as usize, 20, &|on| {
        let v = both!(on, flat_map(m));
        assert!(v.len() == flat(m) && v[..8] == [0, 0, 1, 0, 1, 2, 0, 1]);
    });

    let x: Vec<u64> = (0..n as u64).collect();
    let half = n as u64 / 2;
    case("position-first", n, n, 60, &|on| {
        assert_eq!(both!(on, position_first(&x, half)), Some(half as usize));
    });
    case("try-for-each", n, n, 100, &|on| {
        assert_eq!(both!(on, try_for_each(&x)), Ok(()));
    });
    case("map-init", n, n, 40, &|on| {
        let v = both!(on, map_init(&x));
        assert!(
            v.len() == n
                && v.iter()
                    .step_by(9973)
                    .enumerate()
                    .all(|(k, &y)| y == 3 * (k * 9973) as u64 + 3)
        );
    });
    let y: Vec<u64> = (0..n as u64 / 2).collect();
    case("chain", n, n + n / 2, 40, &|on| {
        let v = both!(on, chain(&x, &y));
        assert!(v.len() == n + n / 2 && v[n - 1] == n as u64 - 1 && v[n] == 0);
    });
    drop(y);
    case("skip-take", n, n, 40, &|on| {
        let v = both!(on, skip_take(&x));
        assert!(v.len() == n / 2 && v[0] == (n / 4) as u64);
    });
    let want_w: u64 = x.windows(3).map(|w| w[0] ^ w[1] ^ w[2]).sum();
    case("windows", n, n, 100, &|on| {
        assert_eq!(both!(on, windows(&x)), want_w);
    });
    case("unzip", n, n, 40, &|on| {
        let (a, b) = both!(on, unzip(&x));
        assert!(a.len() == n && b.len() == n && a[n - 1] + 1 == b[n - 1]);
    });
    case("partition", n, n, 40, &|on| {
        let (a, b) = both!(on, partition(&x));
        assert!(a.len() == n.div_ceil(3) && a.len() + b.len() == n && b[0] == 1);
    });
    case("collect-result", n, n, 40, &|on| {
        let v = both!(on, result(&x)).expect("no error");
        assert!(v.len() == n && v[n - 1] == n as u64);
    });
    let out_buf = Mutex::new(Vec::with_capacity(n));
    case("par-extend", n, n, 100, &|on| {
        let mut g = out_buf.lock().unwrap();
        let v: &mut Vec<u64> = &mut g;
        both!(on, extend(&x, v));
        assert!(v.len() == n && v[n - 1] == n as u64);
    });
    drop(out_buf);
    let k = n / 10;
    let small = &x[..k];
    case("collect-hash-map", k, k, 40, &|on| {
        let m: HashMap<u64, u64> = both!(on, hash_map(small));
        assert!(m.len() == k && m[&7] == 14);
    });
    out
}

/// A case's size as in its name: `10^k` as `1ek`, `2·10^k` as `2ek`.
fn tag(n: usize) -> String {
    let k = n.ilog10();
    let lead = n / 10usize.pow(k);
    if lead == 1 {
        format!("1e{k}")
    } else {
        format!("{lead}e{k}")
    }
}
