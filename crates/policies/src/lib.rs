//! # ontime-policies
//!
//! The [`StealPolicy`](ontime_core::StealPolicy) family for ontime pools serving streams of
//! requests with target latencies:
//!
//! | policy | idle worker | sharing | admission |
//! |---|---|---|---|
//! | [`StealFirst`] | steals, admits only when nothing is stealable | always | any |
//! | [`AdmitFirst`] | admits, steals only when nothing is queued | always | any |
//! | [`TargetLatency::new`] (the default, `target-latency`) | admits first; steals first from the live request that needs workers most (above 2 workers); blocked inside a request that can still make it, neither admits nor steals | stops once progress predicts a miss | requests that can still make it first ([`LateLast`]), adaptive LIFO |
//! | [`TargetLatency::reactive`] | steals first | stops at the deadline | any |
//! | [`TargetLatency::predictive`] | steals first | stops once progress predicts a miss | any |
//! | [`Micropools`] | inside its pool only | always | sharded by class / cost, shedding |
//! | [`earliest_deadline_first`], [`priority_levels`] | steals first | always | EDF / levels |
//!
//! Every policy except micropools takes an [`Admission`] order, so "EDF admission with
//! target-latency stealing" is `TargetLatency::predictive().admission(Admission::EarliestDeadlineFirst)`.
//! When to pick which, with measured figures: `docs/policies.md`.
//!
//! ```
//! use std::time::Duration;
//! use ontime_core::{Request, ThreadPoolBuilder};
//! use ontime_policies::TargetLatency;
//!
//! let pool = ThreadPoolBuilder::new()
//!     .num_threads(2)
//!     .policy(TargetLatency::new())
//!     .build()
//!     .unwrap();
//! let handles: Vec<_> = (0..16u64)
//!     .map(|i| pool.submit(Request::new(move || {
//!         let hits = std::sync::atomic::AtomicU64::new(0);
//!         ontime_core::forall(0..10_000, |j| {
//!             if j as u64 % (i + 1) == 0 { hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed); }
//!         });
//!         hits.into_inner()
//!     }).target(Duration::from_millis(50))))
//!     .collect();
//! for (i, h) in handles.into_iter().enumerate() {
//!     assert_eq!(h.wait().unwrap().value, (10_000 + i as u64) / (i as u64 + 1));
//! }
//! assert_eq!(pool.stats().completed, 16);
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

// The README's examples use both crates, so they run as doc tests of this one.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

mod adaptive_edf;
mod adaptive_lifo;
mod admission;
mod baseline;
mod late_last;
mod micropools;
mod target_latency;

pub use adaptive_edf::AdaptiveEdfQueue;
pub use adaptive_lifo::AdaptiveLifoQueue;
pub use admission::{Admission, EdfQueue, LevelMode, LevelQueue, Levels};
pub use baseline::{earliest_deadline_first, priority_levels, AdmitFirst, StealFirst};
pub use late_last::LateLast;
pub use micropools::{HeavyOrder, Micropools};
pub use target_latency::TargetLatency;

#[cfg(test)]
mod tests;
