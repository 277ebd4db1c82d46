//! Open-loop load generation for the latency and micropools suites: calibrated CPU work,
//! pre-computed arrival schedules, a generator that sleeps (it must not steal a core from
//! the pool it loads), and latency quantiles.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// The deterministic PRNG every stream is drawn from (the simulator's, so a seed gives the
/// same stream to the real suites and the simulator).
pub use ontime_sim::Rng;

/// CPU work whose cost is calibrated once: `spin(n)` costs about `n` × [`Spin::unit`].
#[derive(Copy, Clone, Debug)]
pub struct Spin {
    iters_per_unit: u64,
    /// What one unit costs.
    pub unit: Duration,
}

/// Hashing iterations; `black_box` keeps the optimiser from removing them.
#[inline(never)]
pub fn hash_iters(n: u64, seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = std::hint::black_box(x);
    }
    x
}

impl Spin {
    /// Measures how many hashing iterations take `unit` on this machine (best of 5).
    pub fn calibrate(unit: Duration) -> Spin {
        let probe = 200_000u64;
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            std::hint::black_box(hash_iters(probe, 7));
            best = best.min(t.elapsed().as_secs_f64());
        }
        let per_sec = probe as f64 / best;
        Spin {
            iters_per_unit: ((per_sec * unit.as_secs_f64()) as u64).max(1),
            unit,
        }
    }

    /// Burns about `units` units of CPU.
    #[inline]
    pub fn spin(&self, units: u64) -> u64 {
        hash_iters(self.iters_per_unit * units, units)
    }
}

/// Sleeps until `at` (no spinning); returns at once if it has passed.
pub fn sleep_until(at: Instant) {
    let now = Instant::now();
    if at > now {
        std::thread::sleep(at - now);
    }
}

/// Quantiles of a latency sample, in nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Quantiles {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// 99.95th percentile.
    pub p9995: u64,
}

/// A latency histogram: hdrhistogram for quantiles, plus log2-nanosecond buckets in the
/// style of the founding micropools note.
#[derive(Debug)]
pub struct Latencies {
    hist: Histogram<u64>,
    log2: [u64; 48],
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// Empty: 1 ns to 1 hour, 3 significant digits.
    pub fn new() -> Self {
        Latencies {
            hist: Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid bounds"),
            log2: [0; 48],
        }
    }
    /// Records one latency.
    pub fn record(&mut self, ns: u64) {
        let ns = ns.max(1);
        self.hist.saturating_record(ns);
        let b = (63 - ns.leading_zeros() as usize).min(47);
        self.log2[b] += 1;
    }
    /// Number recorded.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }
    /// p50 / p99 / p99.9 / p99.95.
    pub fn quantiles(&self) -> Quantiles {
        let q = |x: f64| self.hist.value_at_quantile(x);
        Quantiles {
            p50: q(0.5),
            p99: q(0.99),
            p999: q(0.999),
            p9995: q(0.9995),
        }
    }
    /// Counts per bucket `b` = latencies in `[2^b, 2^(b+1))` ns.
    pub fn log2_buckets(&self) -> &[u64; 48] {
        &self.log2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_buckets() {
        let mut l = Latencies::new();
        for i in 1..=1000u64 {
            l.record(i * 1000);
        }
        let q = l.quantiles();
        assert!((499_000..=501_000).contains(&q.p50), "{q:?}");
        assert!(q.p99 >= 989_000 && q.p9995 >= q.p999 && q.p999 >= q.p99);
        assert_eq!(l.log2_buckets().iter().sum::<u64>(), 1000);
        assert_eq!(l.len(), 1000);
    }
}
