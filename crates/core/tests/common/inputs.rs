//! Inputs for the parallel iterator tests: pools of 1-3 workers, sizes from empty to large,
//! and a deterministic scramble.

use ontime_core::{ThreadPool, ThreadPoolBuilder};

pub fn pools() -> Vec<ThreadPool> {
    [1, 2, 3]
        .into_iter()
        .map(|n| ThreadPoolBuilder::new().num_threads(n).build().unwrap())
        .collect()
}

/// Sizes: empty, one element, ragged (not a power of two, around block sizes), large.
pub const SIZES: &[usize] = &[0, 1, 2, 7, 100, 513, 4097, 100_003];

/// A deterministic scramble.
pub fn data(n: usize) -> Vec<u64> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64 ^ n as u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 1000
        })
        .collect()
}

/// Runs `check` for every size on every pool, and once outside any pool (global pool).
pub fn each(check: impl Fn(&[u64]) + Sync) {
    for pool in pools() {
        for &n in SIZES {
            let v = data(n);
            pool.install(|| check(&v));
        }
    }
    check(&data(10_007));
}
