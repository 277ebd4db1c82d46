//! # ontime-sim
//!
//! A deterministic discrete-event simulator of an ontime pool serving a stream of requests,
//! in which **the real policy objects decide**: `idle_order`, `first_victim`, `may_steal`,
//! `may_share`, the policy's own admission queue and `review`, driven through the same
//! [`IdleView`](ontime_core::IdleView), [`ShareView`](ontime_core::ShareView) and
//! [`RequestView`](ontime_core::RequestView) values a pool builds, with virtual time as the
//! clock. It runs a policy at 1 to 256 (or more) workers on a 2-core machine, and beside a
//! [`clairvoyant`] reference that knows every request's size.
//!
//! A request is a loop of `items` items (the latency suite's requests), split the way
//! ontime's loops split: eager halving on entry (`ceil(log2 n)` times), halving on demand at
//! a block boundary when the heartbeat flag is up, the oldest pending fork promoted, thieves
//! asking victims for promotions, forks handed back or sent home when a request stops
//! sharing, deprioritized loops yielding to queued requests at block boundaries, blocked
//! workers admitting nested requests. [`Shape::Tree`] makes each request a fork-join tree
//! instead. What is simulated and what is not: `docs/simulator.md`.
//!
//! Same configuration and seed, same result: no wall clock, no threads, ties broken by
//! event order.
//!
//! ```
//! use ontime_sim::{Arrivals, Case, Costs, Workload};
//! let case = Case {
//!     workload: Workload::Bimodal,
//!     arrivals: Arrivals::Poisson,
//!     load: 0.5,
//!     workers: 16,
//!     requests: 2_000,
//!     seed: 1,
//!     shape: ontime_sim::Shape::Loop,
//! };
//! let a = case.run("target-latency", &Costs::default()).unwrap();
//! let b = case.run("target-latency", &Costs::default()).unwrap();
//! assert_eq!(a, b); // deterministic
//! assert_eq!(a.counters.items_run, case.stream().iter().map(|r| r.items).sum::<u64>());
//! let bound = case.run("clairvoyant", &Costs::default()).unwrap();
//! assert!(bound.miss_ratio() <= a.miss_ratio() + 0.05);
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod calibrate;
mod case;
mod clairvoyant;
mod engine;
mod model;
mod policies;
mod rng;
mod run;
mod workload;

use std::time::Duration;

use ontime_core::StealPolicy;

pub use case::{Case, SimError, CLAIRVOYANT};
pub use clairvoyant::clairvoyant;
pub use policies::{policy, EXTRA, POLICIES};
pub use rng::{parse_seed, Rng};
pub use run::{Counters, Run};
pub use workload::{
    median_items, requests_for, stream, target_for, Arrival, Arrivals, Workload, COMMON, ITEM,
    TARGET_FACTOR,
};

/// The costs of the simulated mechanism. The defaults were calibrated on the 2-core
/// development VM (`docs/simulator.md`, "Calibration", says how each was measured).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Costs {
    /// One loop item (one block: the latency suite's loops run one item per block).
    pub item: Duration,
    /// From a thief taking a fork to the fork's first item starting on the thief.
    pub steal: Duration,
    /// From a worker popping the admission queue to the request's first item.
    pub admit: Duration,
    /// From work being published to a spinning idle worker finding it.
    pub react: Duration,
    /// From work being published to a sleeping worker running (futex wake-up and
    /// scheduling).
    pub wake: Duration,
    /// How long an idle worker spins (asking victims for promotions) before it sleeps.
    pub spin: Duration,
    /// The timer's heartbeat interval.
    pub heartbeat: Duration,
    /// The timer's lateness: each tick comes up to this much after its interval
    /// (uniformly drawn from the seed).
    pub jitter: Duration,
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            item: ITEM,
            steal: Duration::from_micros(1),
            admit: Duration::from_micros(1),
            react: Duration::from_micros(1),
            wake: Duration::from_micros(40),
            spin: Duration::from_micros(60),
            heartbeat: Duration::from_micros(100),
            jitter: Duration::from_micros(170),
        }
    }
}

/// What a request does with its items.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A `forall` over its items, one item per block (the latency suite's requests).
    Loop,
    /// A balanced fork-join tree with one item per leaf (a `join` at every inner node,
    /// each fork pending until promoted); it reports no loop progress.
    Tree,
}

/// Serves `stream` (every request with target `target`) on a simulated pool of `workers`
/// workers run by `policy`.
///
/// # Errors
/// The policy's `validate` message if it rejects the pool size.
///
/// # Panics
/// If `workers` is 0 (a pool needs a worker); if the policy panics (the simulator, unlike a
/// pool, does not contain a policy's panics: it is a test bench, and the panic is the
/// finding); or if the simulated pool hangs, which would be a simulator bug (a bound on
/// virtual time turns it into a panic with a message).
///
/// ```
/// use std::time::Duration;
/// use ontime_sim::{simulate, Arrival, Costs, Shape};
/// use ontime_policies::StealFirst;
/// let s = vec![Arrival { at: Duration::ZERO, items: 10 }];
/// let run = simulate(&StealFirst::new(), 1, &s, Duration::from_millis(1), Shape::Loop,
///                    &Costs::default(), 0).unwrap();
/// // One worker, asleep when the request arrives: wake-up, admission, 10 items of 10 µs.
/// let c = Costs::default();
/// let expect = c.wake + c.admit + 10 * c.item;
/// assert_eq!(run.latency_ns, vec![expect.as_nanos() as u64]);
/// ```
pub fn simulate(
    policy: &dyn StealPolicy,
    workers: usize,
    stream: &[Arrival],
    target: Duration,
    shape: Shape,
    costs: &Costs,
    seed: u64,
) -> Result<Run, String> {
    assert!(workers > 0, "ontime-sim: a pool needs at least one worker");
    let engine = engine::Engine::new(policy, workers, stream, target, shape, *costs, seed)?;
    Ok(engine.run())
}
