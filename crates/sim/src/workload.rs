//! Request streams: size distributions and arrival processes, shared by the real latency
//! suite (`benches/src/suites/latency.rs`) and the simulator, so both serve the same requests
//! for the same seed.
//!
//! A request is a loop over `items` items of [`ITEM`] each (the latency suite's grain). Sizes
//! are in items; times in the simulator are `items × ITEM`.

use std::time::Duration;

use crate::Rng;

/// Cost of one loop item.
///
/// The grain is set against the development VM's jitter: a spinning thread there loses the
/// CPU for 25-45 µs typically, 0.2-0.9 ms at the 99th percentile and up to 4 ms at worst
/// (`docs/benchmarks.md`). With 10 µs items a common request is 1 ms of serial work and
/// T = 5 ms, so a typical preemption is under 1% of T and a bad one under 20%.
pub const ITEM: Duration = Duration::from_micros(10);
/// Items in a common request (1 ms of serial work).
pub const COMMON: u64 = 100;
/// The target is this many times the workload's median serial service time.
pub const TARGET_FACTOR: u32 = 5;

/// A request-size distribution.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Workload {
    /// 1% of requests 100× the common size.
    Bimodal,
    /// Log-normal sizes, median [`COMMON`], sigma 1 (heavy tail).
    Lognormal,
    /// 0.2% of requests 500× the common size: far beyond any target.
    Enormous,
    /// Shaped like the web-search index servers of the tail-control (PPoPP'16) and
    /// Few-to-Many (ASPLOS'15) evaluations: most requests short, a tenth of them about ten
    /// times longer, each group log-normal around its median (sigma 0.5). The shape follows
    /// the papers' description (a short majority and a long tail an order of magnitude
    /// longer); the parameters are assumed, not fitted to their data.
    Search,
    /// Shaped like tail-control's option-pricing (finance) server: work grows with a
    /// portfolio's size, with no extreme tail: sizes log-uniform from a quarter to four times
    /// the common size. Assumed parameters, as for [`Workload::Search`].
    Finance,
}

impl Workload {
    /// Every workload, the latency suite's three first.
    pub const ALL: [Workload; 5] = [
        Workload::Bimodal,
        Workload::Lognormal,
        Workload::Enormous,
        Workload::Search,
        Workload::Finance,
    ];

    /// The real latency suite's workloads.
    pub const LATENCY_SUITE: [Workload; 3] =
        [Workload::Bimodal, Workload::Lognormal, Workload::Enormous];

    /// Name used in case names and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Bimodal => "bimodal",
            Workload::Lognormal => "lognormal",
            Workload::Enormous => "enormous",
            Workload::Search => "search",
            Workload::Finance => "finance",
        }
    }

    /// The workload called `name`, if any.
    ///
    /// ```
    /// use ontime_sim::Workload;
    /// assert_eq!(Workload::from_name("bimodal"), Some(Workload::Bimodal));
    /// assert_eq!(Workload::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// Mean items per request, from 100,000 requests of a fixed seed (the log-normal tails
    /// are clamped, so a sample is the simplest exact-enough mean for sizing a stream).
    pub fn mean_items(self) -> f64 {
        let sizes = self.sizes(100_000, &mut Rng::new(0x3ea7));
        sizes.iter().sum::<u64>() as f64 / sizes.len() as f64
    }

    /// The two-point workloads' heavy requests: their share and their size.
    pub fn heavy(self) -> Option<(f64, u64)> {
        match self {
            Workload::Bimodal => Some((0.01, COMMON * 100)),
            Workload::Enormous => Some((0.002, COMMON * 500)),
            _ => None,
        }
    }

    /// The sizes of `n` requests, in items. A two-point workload gets exactly its share of
    /// heavy requests (`max(1, round(n × share))`), at random positions: drawn independently,
    /// the 1-3 enormous requests of a one-second repetition were as often 0 as 2, and whether
    /// one came decided that repetition's miss ratios more than any policy did. The other
    /// workloads draw each size independently.
    pub fn sizes(self, n: usize, rng: &mut Rng) -> Vec<u64> {
        let common = COMMON as f64;
        let clamp = |x: f64| x.clamp(1.0, 1e5) as u64;
        let Some((share, size)) = self.heavy() else {
            return (0..n)
                .map(|_| match self {
                    Workload::Search => {
                        let long = rng.unit() <= 0.1;
                        let median = if long { 10.0 * common } else { common };
                        clamp(median * (0.5 * rng.normal()).exp())
                    }
                    Workload::Finance => clamp(common * 16f64.powf(rng.unit() - 0.5)),
                    _ => clamp(common * rng.normal().exp()),
                })
                .collect();
        };
        let heavy = ((n as f64 * share).round() as usize).clamp(1, n);
        let mut out = vec![COMMON; n];
        // A partial Fisher-Yates shuffle of the positions picks `heavy` distinct ones.
        let mut pos: Vec<usize> = (0..n).collect();
        for i in 0..heavy {
            let j = i + (rng.next_u64() % (n - i) as u64) as usize;
            pos.swap(i, j);
            out[pos[i]] = size;
        }
        out
    }
}

/// How requests arrive.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// A Poisson process: independent exponential gaps (the real latency suite's arrivals).
    Poisson,
    /// A two-state Markov-modulated Poisson process: a burst state at `1 + swing` times the
    /// mean rate and a calm state at `1 - swing` times it, each lasting an exponential time
    /// with a mean of `dwell` mean gaps, so the long-run rate is the Poisson one.
    Bursty {
        /// Rate excursion of each state, in `0..1`.
        swing: f64,
        /// Mean time in a state, in mean inter-arrival gaps.
        dwell: f64,
    },
}

impl Arrivals {
    /// The bursty process the simulator suite uses: bursts at 1.75× the mean rate, calms at
    /// 0.25×, each lasting 200 mean gaps on average (assumed parameters).
    pub const BURSTY: Arrivals = Arrivals::Bursty {
        swing: 0.75,
        dwell: 200.0,
    };

    /// Name used on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            Arrivals::Poisson => "poisson",
            Arrivals::Bursty { .. } => "bursty",
        }
    }
}

/// One request of a stream: when it arrives (offset from the start) and its size.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Arrival {
    /// Scheduled arrival, from the stream's start.
    pub at: Duration,
    /// Items in its loop.
    pub items: u64,
}

/// A stream at `load` of a `threads`-worker pool's capacity: `arrivals` whose mean rate makes
/// the offered work (sum of sizes × [`ITEM`]) equal `load × efficiency × threads` per unit
/// time. `efficiency` is the measured capacity over the nominal one (1 in the simulator), so
/// `load` is a fraction of what the pool really completes. The latency suite's streams are
/// the Poisson ones.
///
/// ```
/// use ontime_sim::{stream, Arrivals, Workload};
/// let s = stream(Workload::Bimodal, Arrivals::Poisson, 1000, 0.5, 1.0, 2, 1);
/// assert_eq!(s.len(), 1000);
/// assert!(s.windows(2).all(|w| w[0].at <= w[1].at));
/// ```
pub fn stream(
    w: Workload,
    arrivals: Arrivals,
    n: usize,
    load: f64,
    efficiency: f64,
    threads: usize,
    seed: u64,
) -> Vec<Arrival> {
    let mut rng = Rng::new(seed);
    let sizes = w.sizes(n, &mut rng);
    let mean_service = sizes.iter().sum::<u64>() as f64 / n as f64 * ITEM.as_secs_f64();
    let gap = mean_service / (load * efficiency * threads as f64);
    let mut t = 0.0;
    // Bursty: the state flips at exponential times; the gap is scaled by the state's rate.
    let (mut burst, mut flip_at) = (false, 0.0);
    sizes
        .into_iter()
        .map(|items| {
            match arrivals {
                Arrivals::Poisson => t += rng.exp(gap),
                Arrivals::Bursty { swing, dwell } => {
                    while t >= flip_at {
                        burst = !burst;
                        flip_at = t + rng.exp(dwell * gap);
                    }
                    let rate = if burst { 1.0 + swing } else { 1.0 - swing };
                    t += rng.exp(gap / rate.max(1e-3));
                }
            }
            Arrival {
                at: Duration::from_secs_f64(t),
                items,
            }
        })
        .collect()
}

/// Requests in a stream offering `span_s` seconds of arrivals at `load` (a fraction of the
/// measured capacity, `efficiency` × nominal) to `threads` workers.
pub fn requests_for(w: Workload, span_s: f64, load: f64, efficiency: f64, threads: usize) -> usize {
    let rate = load * efficiency * threads as f64 / (w.mean_items() * ITEM.as_secs_f64());
    (rate * span_s).ceil().max(1.0) as usize
}

/// The median size of a stream's requests, in items.
pub fn median_items(s: &[Arrival]) -> u64 {
    let mut v: Vec<u64> = s.iter().map(|a| a.items).collect();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// The target a latency-suite case sets for a stream: [`TARGET_FACTOR`] times the median
/// request's serial time.
pub fn target_for(s: &[Arrival]) -> Duration {
    ITEM * median_items(s) as u32 * TARGET_FACTOR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_offer_the_requested_load() {
        for w in Workload::ALL {
            for a in [Arrivals::Poisson, Arrivals::BURSTY] {
                let s = stream(w, a, 40_000, 0.8, 1.0, 2, 1);
                let work: f64 = s.iter().map(|a| a.items as f64).sum::<f64>() * ITEM.as_secs_f64();
                let span = s.last().unwrap().at.as_secs_f64();
                let offered = work / span / 2.0;
                assert!((offered - 0.8).abs() < 0.08, "{w:?} {a:?}: {offered}");
            }
        }
        let s = stream(Workload::Bimodal, Arrivals::Poisson, 20_000, 0.8, 1.0, 2, 1);
        assert_eq!(median_items(&s), COMMON);
        let heavy = s.iter().filter(|a| a.items > COMMON).count();
        assert_eq!(heavy, 200, "exactly 1% of the requests are heavy");
    }

    #[test]
    fn bursty_arrivals_are_burstier_than_poisson() {
        // Index of dispersion of counts in windows of 50 mean gaps: about 1 for Poisson,
        // well above for the modulated process.
        let dispersion = |a| {
            let s = stream(Workload::Finance, a, 100_000, 0.5, 1.0, 4, 9);
            let span = s.last().unwrap().at.as_secs_f64();
            let win = span / s.len() as f64 * 50.0;
            let mut counts = vec![0f64; (span / win) as usize + 1];
            for x in &s {
                counts[(x.at.as_secs_f64() / win) as usize] += 1.0;
            }
            let m = counts.iter().sum::<f64>() / counts.len() as f64;
            counts.iter().map(|c| (c - m).powi(2)).sum::<f64>() / counts.len() as f64 / m
        };
        let (p, b) = (dispersion(Arrivals::Poisson), dispersion(Arrivals::BURSTY));
        assert!(p < 1.5 && b > 5.0, "poisson {p}, bursty {b}");
    }

    #[test]
    fn every_stream_carries_at_least_one_heavy_request_at_random_places() {
        for n in [1, 7, 480] {
            let s = stream(
                Workload::Enormous,
                Arrivals::Poisson,
                n,
                0.5,
                1.0,
                2,
                n as u64,
            );
            let heavy: Vec<usize> = (0..n).filter(|&i| s[i].items > COMMON).collect();
            assert_eq!(heavy.len(), 1, "n = {n}");
        }
        let first = |seed| {
            let s = stream(Workload::Bimodal, Arrivals::Poisson, 500, 0.5, 1.0, 2, seed);
            s.iter().position(|a| a.items > COMMON)
        };
        assert_ne!(first(1), first(2), "positions follow the seed");
    }
}
