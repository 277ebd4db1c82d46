//! Interleaved timing with medians.

use std::time::Instant;

/// Summary of one implementation's samples, in nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Implementation name.
    pub name: String,
    /// Median sample.
    pub median: f64,
    /// Fastest sample.
    pub min: f64,
    /// Slowest sample.
    pub max: f64,
    /// Number of samples.
    pub samples: usize,
}

/// Median of `v` (mean of the two middle values for an even count). `v` must not be empty.
///
/// ```
/// assert_eq!(ontime_benches::harness::median(&mut [3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(ontime_benches::harness::median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
/// ```
pub fn median(v: &mut [f64]) -> f64 {
    assert!(!v.is_empty(), "median of no samples");
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Summarises raw samples.
pub fn summarize(name: &str, mut samples: Vec<f64>) -> Stats {
    let median = median(&mut samples);
    Stats {
        name: name.to_string(),
        median,
        min: samples[0],
        max: samples[samples.len() - 1],
        samples: samples.len(),
    }
}

/// Runs each closure once per round, `rounds` times, rotating the order every round; one
/// untimed warm-up run of each comes first. Returns one [`Stats`] per closure, in input order.
pub fn measure_interleaved(rounds: usize, impls: &mut [(&str, &mut dyn FnMut())]) -> Vec<Stats> {
    for (_, f) in impls.iter_mut() {
        f();
    }
    let k = impls.len();
    let mut times = vec![Vec::with_capacity(rounds); k];
    for round in 0..rounds {
        for j in 0..k {
            let idx = (round + j) % k;
            let t = Instant::now();
            (impls[idx].1)();
            times[idx].push(t.elapsed().as_nanos() as f64);
        }
    }
    impls
        .iter()
        .zip(times)
        .map(|((name, _), t)| summarize(name, t))
        .collect()
}
