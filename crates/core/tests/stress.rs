//! Stress: more than a million tasks, nested, random shapes, every task accounted for once.

use std::sync::atomic::{AtomicU64, Ordering};

use ontime_core::{join, scope, ThreadPoolBuilder};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A random tree of joins, scope spawns and loops; returns how many leaf tasks it ran,
/// and counts them in `ran` as well.
fn shape(seed: u64, depth: u32, ran: &AtomicU64) -> u64 {
    let mut rng = Rng(seed | 1);
    if depth == 0 {
        ran.fetch_add(1, Ordering::Relaxed);
        return 1;
    }
    match rng.next() % 4 {
        0 | 1 => {
            let (a, b) = join(
                || shape(rng.0 ^ 1, depth - 1, ran),
                || shape(rng.0 ^ 2, depth - 1, ran),
            );
            a + b
        }
        2 => {
            let k = 2 + rng.next() % 3;
            let total = AtomicU64::new(0);
            scope(|s| {
                for i in 0..k {
                    let total = &total;
                    s.spawn(move |_| {
                        total.fetch_add(
                            shape(seed.wrapping_mul(31) ^ i, depth - 1, ran),
                            Ordering::Relaxed,
                        );
                    });
                }
            });
            total.into_inner()
        }
        _ => {
            let k = 2 + (rng.next() % 3) as usize;
            let total = AtomicU64::new(0);
            ontime_core::forall(0..k, |i| {
                total.fetch_add(
                    shape(seed.wrapping_mul(17) ^ i as u64, depth - 1, ran),
                    Ordering::Relaxed,
                );
            });
            total.into_inner()
        }
    }
}

#[test]
fn over_a_million_random_nested_tasks() {
    let pool = ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    let ran = AtomicU64::new(0);
    let mut counted = 0;
    let mut seed = 0x1234_5678;
    while counted < 1_000_000 {
        seed += 1;
        counted += pool.install(|| shape(seed, 14, &ran));
    }
    assert_eq!(ran.load(Ordering::Relaxed), counted);
}

#[test]
fn a_million_joins_in_one_tree() {
    fn count(n: u64) -> u64 {
        if n <= 1 {
            return 1;
        }
        let (a, b) = join(|| count(n / 2), || count(n - n / 2));
        a + b
    }
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    assert_eq!(pool.install(|| count(1 << 21)), 1 << 21);
}
