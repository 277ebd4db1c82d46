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
    /// The 95% interval of the median (see [`median_interval`]).
    pub median_lo: f64,
    /// Upper end of that interval.
    pub median_hi: f64,
    /// Every sample, in round order (for paired ratios: `pairing.rs`).
    pub rounds: Vec<f64>,
}

/// The 95% order-statistic interval of the median of `sorted` (ascending, not empty): the
/// ranks `n/2 ∓ 1.96·√n/2` (the binomial normal approximation; distribution-free).
///
/// ```
/// let v: Vec<f64> = (0..100).map(f64::from).collect();
/// assert_eq!(ontime_benches::harness::median_interval(&v), (40.0, 60.0));
/// ```
pub fn median_interval(sorted: &[f64]) -> (f64, f64) {
    let n = sorted.len();
    let half = 1.96 * (n as f64).sqrt() / 2.0;
    let lo = ((n as f64 / 2.0 - half).floor().max(0.0) as usize).min(n - 1);
    let hi = ((n as f64 / 2.0 + half).ceil() as usize).min(n - 1);
    (sorted[lo], sorted[hi])
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

/// Summarises raw samples, given in round order.
pub fn summarize(name: &str, rounds: Vec<f64>) -> Stats {
    let mut samples = rounds.clone();
    let median = median(&mut samples);
    let (median_lo, median_hi) = median_interval(&samples);
    Stats {
        name: name.to_string(),
        median,
        median_lo,
        median_hi,
        min: samples[0],
        max: samples[samples.len() - 1],
        samples: samples.len(),
        rounds,
    }
}

/// The order of each round: a seeded shuffle, so every implementation runs after every other
/// in some rounds. (A rotation gives each one the same predecessor every round: in the forall
/// suite `rayon-core` always ran right after `rayon`, on the same still-awake pool, and
/// `ontime` always right after the serial run; that skewed their medians by several percent.)
pub fn round_orders(k: usize, rounds: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = crate::load::Rng::new(seed);
    (0..rounds)
        .map(|_| {
            let mut order: Vec<usize> = (0..k).collect();
            for i in (1..k).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            order
        })
        .collect()
}

/// Runs each closure once per round, `rounds` times, in a shuffled order every round (see
/// [`round_orders`]); one untimed warm-up run of each comes first. Returns one [`Stats`] per
/// closure, in input order.
pub fn measure_interleaved(rounds: usize, impls: &mut [(&str, &mut dyn FnMut())]) -> Vec<Stats> {
    measure_prepared(rounds, &mut |_| {}, impls)
}

/// How long the harness sleeps before each timed run, so that it starts with every pool idle.
///
/// After a run, a pool's idle workers spin and yield for a while before they sleep (ontime's
/// at most about 70 µs, rayon's 32 yields). Run straight after another implementation, a
/// case shared the 2-core machine with that implementation's idle workers: each of their
/// yields that found the case's thread runnable on the same CPU handed it a slice and took
/// one back, so the order of the implementations, not their code, moved the figures. While the
/// harness sleeps nothing competes with the idle workers, and they all go to sleep in well under
/// this time. See docs/benchmarks.md, Method.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(1);

/// As [`measure_interleaved`], calling `prepare(i)` untimed before each run of closure `i`
/// (to restore its input, say). Every run, the warm-ups included, comes after a pause of
/// [`SETTLE`].
pub fn measure_prepared(
    rounds: usize,
    prepare: &mut dyn FnMut(usize),
    impls: &mut [(&str, &mut dyn FnMut())],
) -> Vec<Stats> {
    for (i, (_, f)) in impls.iter_mut().enumerate() {
        prepare(i);
        std::thread::sleep(SETTLE);
        f();
    }
    let k = impls.len();
    let mut times = vec![Vec::with_capacity(rounds); k];
    for order in round_orders(k, rounds, 0x0b5e_55ed) {
        for idx in order {
            prepare(idx);
            std::thread::sleep(SETTLE);
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

#[cfg(test)]
mod tests {
    use super::round_orders;

    #[test]
    fn rounds_are_shuffled_permutations_with_varied_predecessors() {
        let orders = round_orders(4, 30, 7);
        assert_eq!(orders.len(), 30);
        let mut preds = vec![std::collections::BTreeSet::new(); 4];
        for o in &orders {
            let mut sorted = o.clone();
            sorted.sort_unstable();
            assert_eq!(
                sorted,
                vec![0, 1, 2, 3],
                "a round runs each implementation once"
            );
            for w in o.windows(2) {
                preds[w[1]].insert(w[0]);
            }
        }
        // Every implementation runs right after each of the three others in some round.
        assert!(preds.iter().all(|p| p.len() == 3), "{preds:?}");
        assert_eq!(round_orders(4, 30, 7), orders, "seeded: reproducible");
    }
}
