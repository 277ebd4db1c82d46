//! A simulation case: a workload, an arrival process, a load and a pool size, run by a named
//! policy or the clairvoyant reference. What `cargo xtask sim` and the sim bench suite run.

use std::fmt;
use std::time::Duration;

use crate::{clairvoyant, policy, simulate, stream, target_for, Arrival, Arrivals, Costs};
use crate::{Run, Shape, Workload};

/// The report name of the clairvoyant reference.
pub const CLAIRVOYANT: &str = "clairvoyant";

/// Why a case could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// No policy has this report name.
    UnknownPolicy(String),
    /// The policy rejected the pool (its `validate` message).
    Policy(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::UnknownPolicy(name) => write!(
                f,
                "no policy named {name:?}; known: {}, {}, {CLAIRVOYANT}",
                crate::POLICIES.join(", "),
                crate::EXTRA.join(", ")
            ),
            SimError::Policy(msg) => write!(f, "the policy rejected the pool: {msg}"),
        }
    }
}

impl std::error::Error for SimError {}

/// One simulated configuration.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Case {
    /// Request sizes.
    pub workload: Workload,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Offered work as a fraction of the pool's capacity (`workers` × virtual time).
    pub load: f64,
    /// Simulated workers.
    pub workers: usize,
    /// Requests in the stream.
    pub requests: usize,
    /// Seed of the stream (sizes and arrivals) and of the simulated victims and jitter.
    pub seed: u64,
    /// What each request does with its items.
    pub shape: Shape,
}

impl Case {
    /// `<workload>-load<L>-w<N>` (the workload as `<name>-bursty` for bursty arrivals, and
    /// `<name>-tree` for the fork-join shape), the `case` of its records.
    ///
    /// ```
    /// use ontime_sim::{Arrivals, Case, Shape, Workload};
    /// let c = Case { workload: Workload::Lognormal, arrivals: Arrivals::BURSTY, load: 0.8,
    ///                workers: 16, requests: 10, seed: 0, shape: Shape::Loop };
    /// assert_eq!(c.name(), "lognormal-bursty-load0.8-w16");
    /// ```
    pub fn name(&self) -> String {
        let bursty = if self.arrivals == Arrivals::Poisson {
            ""
        } else {
            "-bursty"
        };
        let tree = if self.shape == Shape::Tree {
            "-tree"
        } else {
            ""
        };
        format!(
            "{}{bursty}{tree}-load{}-w{}",
            self.workload.name(),
            self.load,
            self.workers
        )
    }

    /// The stream: the latency suite's generator at this load of `workers` workers.
    pub fn stream(&self) -> Vec<Arrival> {
        stream(
            self.workload,
            self.arrivals,
            self.requests,
            self.load,
            1.0,
            self.workers,
            self.seed,
        )
    }

    /// The target: the latency suite's rule (5 × the median request's serial time).
    pub fn target(&self) -> Duration {
        target_for(&self.stream())
    }

    /// Runs the case with the policy of report name `name`, or [`CLAIRVOYANT`].
    ///
    /// # Errors
    /// An unknown name, or a policy that rejects the pool size.
    pub fn run(&self, name: &str, costs: &Costs) -> Result<Run, SimError> {
        let s = self.stream();
        let target = target_for(&s);
        if name == CLAIRVOYANT {
            return Ok(clairvoyant(self.workers, &s, target, costs.item));
        }
        let p = policy(name, self.workers, target)
            .ok_or_else(|| SimError::UnknownPolicy(name.to_string()))?;
        simulate(&*p, self.workers, &s, target, self.shape, costs, self.seed)
            .map_err(SimError::Policy)
    }
}
