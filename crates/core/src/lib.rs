//! # ontime-core
//!
//! A work-stealing runtime whose forks cost nanoseconds: `join`, `scope`, `spawn`,
//! `install`, parallel loops (`forall`, `forall_chunked`, tiled `forall_2d/3d/4d`),
//! rayon-style parallel iterators and sorts ([`prelude`]), requests with a target latency
//! (`ThreadPool::submit`, awaitable handles, bounded queues), and a [`StealPolicy`] seam
//! through which `ontime-policies` decides, on cold paths, when a worker steals, when it
//! admits new work and whose work may be shared.
//!
//! ```
//! use ontime_core::prelude::*;
//! let v: Vec<u64> = (0..100_000).collect();
//! assert_eq!(v.par_iter().map(|x| x * 2).sum::<u64>(), 99_999 * 100_000);
//! ```
//!
//! ```
//! use ontime_core::{join, ThreadPoolBuilder};
//!
//! fn sum(v: &[u64]) -> u64 {
//!     if v.len() <= 1024 {
//!         return v.iter().sum();
//!     }
//!     let (l, r) = v.split_at(v.len() / 2);
//!     let (a, b) = join(|| sum(l), || sum(r));
//!     a + b
//! }
//!
//! let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
//! let data: Vec<u64> = (0..100_000).collect();
//! assert_eq!(pool.install(|| sum(&data)), 99_999 * 100_000 / 2);
//! ```
//!
//! ## How it works
//! Each worker owns a crossbeam-deque `Worker`; thieves use its `Stealer`; calls from outside
//! the pool enter through an `Injector`. A `join` does not push its second closure where thieves
//! can see it: it records it on a private list and a heartbeat (every 100 µs by default)
//! promotes the oldest pending fork into the deque (lazy fork exposure, as in Spice and
//! chili). Idle workers sleep on an event count and burn no CPU. The design notes sit beside
//! the code: `worker.rs` (pending forks and promotion), `sleep/README.md` (sleep and wake-up),
//! `latch.rs`, `scope.rs` (completion), `forall.rs` (splitting), `iter/mod.rs` (parallel
//! iterators) and `request/README.md` (requests and their handles).
//!
//! ## Panics
//! A panic inside `join`, `scope` or a parallel iterator is re-raised at that call after all
//! the work that borrows from its frame has finished; a panic in a `spawn`ed job, or in a
//! request whose handle was dropped, goes to the pool's panic handler.
//! No worker thread ever dies from a user panic.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

// The runtime's parts. State: `registry` (what a pool's threads share), `hooks` (every call
// into user code, contained). Threads: `start` (start-up, pinning), `worker` (the worker
// loop), `timer` (heartbeats, reviews), `sleep` (idle workers). Work in: `entry` (install,
// injection), `gate` (shutdown), `global` (the global pool). Work itself: `job`, `pending`, `latch`,
// `deque`. User-facing: `builder`, `pool`, `join`, `scope`, `spawn`, `slot`, `forall`,
// `request`, `policy`, `clock`.
// `docs/requests.md`'s examples run as doc tests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/requests.md")]
struct RequestsDoctests;

mod builder;
mod clock;
mod close;
mod deque;
mod entry;
mod forall;
mod gate;
mod global;
mod hooks;
pub mod iter;
mod job;
mod join;
mod latch;
mod pending;
mod policy;
mod pool;
pub mod prelude;
mod registry;
mod request;
mod scope;
mod sleep;
pub mod slice;
mod slot;
mod spawn;
mod start;
mod steer;
mod sync;
mod timer;
mod unwind;
mod worker;

#[cfg(all(test, loom))]
mod loom_tests;

pub use builder::{
    BuildError, ThreadPoolBuilder, DEFAULT_HEARTBEAT, MAX_HEARTBEAT, MAX_THREADS, MIN_HEARTBEAT,
    MIN_STACK_SIZE, NUM_THREADS_ENV,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use close::{CloseMode, Closed};
pub use forall::{forall, forall_2d, forall_3d, forall_4d, forall_chunked, SyncPtr};
pub use join::join;
pub use policy::{IdleOrder, IdleView, ShareView, StealFirst, StealPolicy};
pub use pool::{PoolStats, ThreadPool};
#[cfg(not(loom))]
pub use request::FromFuture;
pub use request::{
    cancellation_point, is_cancellation, is_cancelled, AdmissionQueue, FifoQueue, Finished,
    Outcome, Queued, Rejected, Request, RequestAction, RequestError, RequestFlags, RequestHandle,
    RequestInfo, RequestView, Series,
};
pub use scope::{scope, Scope};
pub use slot::{JobSlot, SlotTask};
pub use spawn::spawn;
pub use unwind::message as panic_message;

/// Index of the calling thread in its pool, or `None` outside any pool.
///
/// ```
/// assert_eq!(ontime_core::current_thread_index(), None);
/// let pool = ontime_core::ThreadPool::new(2).unwrap();
/// assert!(pool.install(ontime_core::current_thread_index).is_some());
/// ```
pub fn current_thread_index() -> Option<usize> {
    let wt = worker::WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    unsafe { wt.as_ref() }.map(worker::WorkerThread::index)
}

/// Number of workers in the current pool (the global pool outside any pool).
///
/// ```
/// let pool = ontime_core::ThreadPool::new(3).unwrap();
/// assert_eq!(pool.install(ontime_core::current_num_threads), 3);
/// ```
pub fn current_num_threads() -> usize {
    global::with_registry(|r| r.num_threads())
}
