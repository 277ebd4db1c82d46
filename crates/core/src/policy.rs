//! The `StealPolicy` seam: decisions taken on cold paths only.
//!
//! A worker consults its pool's policy when it is idle (steal or admit first, and from which
//! victim to start) and when its heartbeat would promote a pending fork (may this work be
//! shared now?). Nothing on the fork/join path calls the policy: an un-stolen `join` never
//! sees it. Policies live in `ontime-policies`; the core ships [`StealFirst`], the default.

use std::fmt;

/// Where an idle worker looks first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IdleOrder {
    /// Steal from other workers; admit queued work only when nothing can be stolen
    /// (rayon's behaviour).
    StealFirst,
    /// Admit queued work before stealing (tokio's behaviour).
    AdmitFirst,
}

/// What an idle worker knows when it asks the policy where to look.
#[derive(Copy, Clone, Debug)]
#[non_exhaustive]
pub struct IdleView {
    /// Index of the idle worker.
    pub worker: usize,
    /// Number of workers in the pool.
    pub num_threads: usize,
    /// Jobs waiting in the admission queue (a snapshot).
    pub queued: usize,
}

/// What a worker knows when its heartbeat would promote its oldest pending fork.
#[derive(Copy, Clone, Debug)]
#[non_exhaustive]
pub struct ShareView {
    /// Index of the worker that owns the fork.
    pub worker: usize,
    /// Number of pending (not yet shared) forks on that worker, the candidate included.
    pub pending: usize,
    /// Workers announced as idle sleepers right now (a snapshot).
    pub sleepers: usize,
}

/// Decides, on cold paths, when a worker steals, when it admits new work, and whose work may
/// be shared.
///
/// Contract for implementors: every method may be called concurrently from any worker, must
/// not block, and must not call back into the pool. Decisions are advisory for liveness: a
/// worker that finds nothing where the policy pointed still looks everywhere before it
/// sleeps, so a policy cannot make the pool hang.
///
/// ```
/// use ontime_core::{IdleOrder, IdleView, StealPolicy, ThreadPoolBuilder};
///
/// /// Admit queued work before helping others.
/// #[derive(Debug)]
/// struct Eager;
/// impl StealPolicy for Eager {
///     fn name(&self) -> &str { "eager" }
///     fn idle_order(&self, _: &IdleView) -> IdleOrder { IdleOrder::AdmitFirst }
/// }
///
/// let pool = ThreadPoolBuilder::new().num_threads(2).policy(Eager).build().unwrap();
/// assert_eq!(pool.policy_name(), "eager");
/// assert_eq!(pool.install(|| 6 * 7), 42);
/// ```
pub trait StealPolicy: Send + Sync + fmt::Debug + 'static {
    /// A short name for reports (`"steal-first"`, ...).
    fn name(&self) -> &str;

    /// Idle worker: steal first, or admit queued work first? Default: steal first.
    fn idle_order(&self, view: &IdleView) -> IdleOrder {
        let _ = view;
        IdleOrder::StealFirst
    }

    /// Idle worker: index of the first victim to try; the others follow in ring order.
    /// `seed` is a fresh per-worker random number. Default: a random victim.
    fn first_victim(&self, view: &IdleView, seed: u64) -> usize {
        (seed % view.num_threads.max(1) as u64) as usize
    }

    /// Heartbeat: may the worker's oldest pending fork be made stealable now? Returning
    /// false keeps it private; the owner then runs it itself. Default: always share.
    fn may_share(&self, view: &ShareView) -> bool {
        let _ = view;
        true
    }
}

/// The default policy: an idle worker steals before it admits queued work, and every fork
/// may be shared.
///
/// ```
/// use ontime_core::{StealFirst, ThreadPoolBuilder};
/// let pool = ThreadPoolBuilder::new().num_threads(2).policy(StealFirst).build().unwrap();
/// assert_eq!(pool.policy_name(), "steal-first");
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct StealFirst;

impl StealPolicy for StealFirst {
    fn name(&self) -> &str {
        "steal-first"
    }
}
