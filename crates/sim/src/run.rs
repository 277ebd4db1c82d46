//! What a simulation produced: every request's latency, and what the mechanism did.

/// Mechanism counters of one simulated run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Items run (each exactly once: the sum of the requests' sizes).
    pub items_run: u64,
    /// Forks stolen by another worker.
    pub steals: u64,
    /// Pending forks made stealable by a heartbeat.
    pub promotions: u64,
    /// Stolen forks handed back to their owner (their request stopped sharing).
    pub handed_back: u64,
    /// Ranges sent home by thieves (their request stopped sharing).
    pub sent_home: u64,
    /// Queued requests run at a deprioritized loop's block boundary.
    pub yields: u64,
    /// Verdicts that changed a request.
    pub verdicts: u64,
    /// Requests rejected unrun (a policy that `rejects_late`); their items are not run.
    pub rejected: u64,
}

/// One simulated run: per request (in arrival order) its arrival, start and latency, in
/// nanoseconds of virtual time.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Finish minus arrival; `u64::MAX` for a request rejected unrun.
    pub latency_ns: Vec<u64>,
    /// Admission time.
    pub start_ns: Vec<u64>,
    /// Arrival time.
    pub arrival_ns: Vec<u64>,
    /// The target every request had.
    pub target_ns: u64,
    /// What the mechanism did.
    pub counters: Counters,
}

impl Run {
    /// Requests that missed the target.
    pub fn misses(&self) -> usize {
        self.latency_ns
            .iter()
            .filter(|&&l| l > self.target_ns)
            .count()
    }

    /// Fraction of requests that missed the target.
    pub fn miss_ratio(&self) -> f64 {
        self.misses() as f64 / self.latency_ns.len().max(1) as f64
    }

    /// The `q`-quantile of latency (nearest rank), in nanoseconds.
    ///
    /// ```
    /// let run = ontime_sim::Run {
    ///     latency_ns: vec![5, 1, 3, 2, 4],
    ///     start_ns: vec![0; 5],
    ///     arrival_ns: vec![0; 5],
    ///     target_ns: 3,
    ///     counters: Default::default(),
    /// };
    /// assert_eq!(run.quantile(0.5), 3);
    /// assert_eq!(run.quantile(1.0), 5);
    /// assert_eq!(run.miss_ratio(), 0.4);
    /// ```
    pub fn quantile(&self, q: f64) -> u64 {
        let mut v = self.latency_ns.clone();
        if v.is_empty() {
            return 0;
        }
        v.sort_unstable();
        let rank = ((q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    /// Requests that met the target per second of arrivals (first to last arrival), as the
    /// real latency suite counts goodput.
    pub fn goodput_per_s(&self) -> f64 {
        let met = self.latency_ns.len() - self.misses();
        let span = self.arrival_ns.iter().max().copied().unwrap_or(0) as f64 / 1e9;
        if span > 0.0 {
            met as f64 / span
        } else {
            0.0
        }
    }

    /// Mean latency in nanoseconds.
    pub fn mean_latency_ns(&self) -> f64 {
        self.latency_ns.iter().map(|&l| l as f64).sum::<f64>() / self.latency_ns.len().max(1) as f64
    }
}
