//! The `StealPolicy` seam: decisions taken on cold paths only.
//!
//! A worker consults its pool's policy when it is idle (steal or admit first, from which
//! victims), when its heartbeat would promote a pending fork (may this work be shared now?),
//! and when it admits a request; the timer consults it on running requests (deadlines,
//! predicted misses, shedding). The policy also makes the pool's admission queue, which
//! decides admission order and routing. Nothing on the fork/join path calls the policy: an
//! un-stolen `join` never sees it, and the effect of a request verdict on a fork is one relaxed
//! load of the request's sharing flag at promotion. Policies live in `ontime-policies`; the
//! core ships [`StealFirst`], the default.

use std::fmt;

use crate::request::{AdmissionQueue, FifoQueue, RequestAction, RequestView};

/// Where an idle worker looks first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IdleOrder {
    /// Steal from other workers; admit queued work only when nothing can be stolen
    /// (rayon's behaviour).
    StealFirst,
    /// Admit queued work before stealing (tokio's behaviour).
    AdmitFirst,
    /// Steal, but admit nothing now. Meant for a worker [blocked](IdleView::blocked) inside a
    /// request that can still meet its target ([`IdleView::blocked_on_live`]): a request
    /// admitted there runs nested above the blocked one, which cannot finish before it does.
    /// Queued work waits for another worker (a refusing worker passes its wake-up on), or for
    /// this one once it is free. For a free worker it means the same as `StealFirst`, so
    /// that queued work is never stranded.
    ///
    /// ```
    /// use ontime_core::{IdleOrder, IdleView, StealPolicy};
    /// #[derive(Debug)]
    /// struct NoNesting;
    /// impl StealPolicy for NoNesting {
    ///     fn name(&self) -> &str { "no-nesting" }
    ///     fn idle_order(&self, v: &IdleView) -> IdleOrder {
    ///         if v.blocked_on_live { IdleOrder::StealOnly } else { IdleOrder::AdmitFirst }
    ///     }
    /// }
    /// let v = IdleView::new(0, 2, 3, true).on_live(true);
    /// assert_eq!(NoNesting.idle_order(&v), IdleOrder::StealOnly);
    /// ```
    StealOnly,
}

/// What an idle worker knows when it asks the policy where to look.
#[derive(Copy, Clone, Debug)]
#[non_exhaustive]
pub struct IdleView {
    /// Index of the idle worker.
    pub worker: usize,
    /// Number of workers in the pool.
    pub num_threads: usize,
    /// Jobs and requests waiting for admission (a snapshot).
    pub queued: usize,
    /// True when the worker is waiting inside a job (for a join or scope to finish) rather
    /// than free in its main loop.
    pub blocked: bool,
    /// True when the worker is `blocked` inside a request that can still meet its target: it
    /// has a target, its deadline has not passed, and no verdict has stopped its sharing or
    /// deprioritized it. Whatever this worker takes now runs nested above that request's
    /// frame and delays it. (While this holds the worker also leaves alone, in its own deque
    /// and hand-back queue, the work of requests that can no longer meet their target; see
    /// `request/README.md`, "Blocked workers".)
    pub blocked_on_live: bool,
}

impl IdleView {
    /// A view for policy tests and decision tables.
    ///
    /// ```
    /// use ontime_core::{IdleOrder, IdleView, StealFirst, StealPolicy};
    /// let v = IdleView::new(0, 2, 5, false);
    /// assert_eq!(StealFirst.idle_order(&v), IdleOrder::StealFirst);
    /// ```
    pub fn new(worker: usize, num_threads: usize, queued: usize, blocked: bool) -> Self {
        IdleView {
            worker,
            num_threads,
            queued,
            blocked,
            blocked_on_live: false,
        }
    }

    /// The same view with [`blocked_on_live`](Self::blocked_on_live) set to `live` (which
    /// implies `blocked`).
    ///
    /// ```
    /// use ontime_core::IdleView;
    /// let v = IdleView::new(0, 2, 0, true).on_live(true);
    /// assert!(v.blocked && v.blocked_on_live);
    /// ```
    pub fn on_live(mut self, live: bool) -> Self {
        self.blocked_on_live = live;
        self.blocked |= live;
        self
    }
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

impl ShareView {
    /// A view for policy tests, decision tables and simulators (`ontime-sim` drives policies
    /// through it).
    ///
    /// ```
    /// use ontime_core::{ShareView, StealFirst, StealPolicy};
    /// let v = ShareView::new(0, 3, 1);
    /// assert!(StealFirst.may_share(&v));
    /// assert_eq!((v.worker, v.pending, v.sleepers), (0, 3, 1));
    /// ```
    pub fn new(worker: usize, pending: usize, sleepers: usize) -> Self {
        ShareView {
            worker,
            pending,
            sleepers,
        }
    }
}

/// Decides, on cold paths, when a worker steals, when it admits new work, and whose work may
/// be shared.
///
/// Contract for implementors: every method may be called concurrently from any worker (and
/// `review` from the timer thread), must not block, and must not call back into the pool.
/// A method that panics does no harm beyond that call: the panic is caught, reported once to
/// the pool's panic handler, and the call takes its fallback answer, the trait's default
/// (`idle_order`: steal first; `first_victim`: the seed modulo the pool size; `may_steal`,
/// `may_share`: true; `review`: `Continue`). `name`, `reviews_running`, `validate` and
/// `admission_queue` are asked once, by `build()`, which fails with
/// [`BuildError::Policy`](crate::BuildError::Policy) if one panics. See `docs/reliability.md`.
/// No decision can make the pool hang: a worker always runs its own deque, and work that a
/// policy keeps from thieves (`may_steal`, `may_share`, `StopSharing`) stays on a worker that
/// will run it; every admission-queue item reaches some worker by the queue's own contract.
/// Time comes only from [`RequestView::now`], read from the pool's [`Clock`](crate::Clock), so
/// a test with a [`ManualClock`](crate::ManualClock) drives a policy deterministically.
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
    /// A short name for reports (`"steal-first"`, ...). Asked once, when the pool is built.
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

    /// Idle worker: may it steal from `victim`? Returning false keeps the victim's deque to
    /// its owner (micropools keep stealing inside a pool). Default: yes.
    fn may_steal(&self, view: &IdleView, victim: usize) -> bool {
        let _ = (view, victim);
        true
    }

    /// Heartbeat: may the worker's oldest pending fork be made stealable now? Returning
    /// false keeps it private; the owner then runs it itself. Asked only for work whose
    /// request (if any) still shares. Default: always share.
    fn may_share(&self, view: &ShareView) -> bool {
        let _ = view;
        true
    }

    /// Checks a pool of `num_threads` workers can use this policy (e.g. micropool sizes must
    /// add up); an error message makes `build()` fail with
    /// [`BuildError::Policy`](crate::BuildError::Policy).
    fn validate(&self, num_threads: usize) -> Result<(), String> {
        let _ = num_threads;
        Ok(())
    }

    /// Makes the pool's admission queue (called once, at `build()`): it decides admission
    /// order (FIFO, priority, deadline) and routing. Default: [`FifoQueue`].
    fn admission_queue(&self, num_threads: usize) -> Box<dyn AdmissionQueue> {
        let _ = num_threads;
        Box::new(FifoQueue::new())
    }

    /// A verdict on a request: called by the admitting worker just before the request's
    /// closure starts, and, if [`reviews_running`](Self::reviews_running) says so, by the
    /// timer about once per heartbeat for as long as any of the request's work is alive.
    /// Verdicts are irreversible (see [`RequestAction`]). Default: [`RequestAction::Continue`].
    fn review(&self, view: &RequestView) -> RequestAction {
        let _ = view;
        RequestAction::Continue
    }

    /// Steering: how badly a running request needs more workers, or `None` if it is not a
    /// candidate. The timer asks right after it [reviews](Self::review) a request and keeps
    /// it (so only a policy that [reviews running requests](Self::reviews_running) steers);
    /// until its next pass, an idle worker starts its victim walk at a worker that runs the
    /// candidate with the highest urgency and has work to steal, instead of at
    /// [`first_victim`](Self::first_victim) (which still applies when there is no candidate,
    /// or no such worker). A request given up by this pass's verdict is not a candidate.
    /// The value is compared only with the other requests' (a NaN is ignored). A pool of 2
    /// workers or fewer never asks: there a thief has at most one victim, so steering could
    /// not change anything. Design note and invariant: `crates/core/src/steer.rs`.
    /// Default: `None` (no steering).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::{RequestAction, RequestInfo, RequestView, StealPolicy, ThreadPoolBuilder};
    ///
    /// /// Points thieves at the request with the least time left.
    /// #[derive(Debug)]
    /// struct Rush;
    /// impl StealPolicy for Rush {
    ///     fn name(&self) -> &str { "rush" }
    ///     fn reviews_running(&self) -> bool { true }
    ///     fn urgency(&self, v: &RequestView) -> Option<f64> {
    ///         let left = v.deadline()?.checked_sub(v.now)?;
    ///         Some(-left.as_secs_f64())
    ///     }
    /// }
    ///
    /// let ms = Duration::from_millis;
    /// let mut info = RequestInfo::default();
    /// info.target = Some(ms(10));
    /// let v = RequestView::new(info, ms(0), ms(0), ms(4), 8);
    /// assert_eq!(Rush.urgency(&v), Some(-0.006));
    /// let pool = ThreadPoolBuilder::new().num_threads(2).policy(Rush).build().unwrap();
    /// assert_eq!(pool.install(|| 6 * 7), 42);
    /// ```
    fn urgency(&self, view: &RequestView) -> Option<f64> {
        let _ = view;
        None
    }

    /// Whether every request that can no longer meet its target when a worker comes to it is
    /// rejected unrun, as if each were submitted with
    /// [`Request::reject_when_late`](crate::Request::reject_when_late). Asked once, when the
    /// pool is built. Default: false (late requests still run).
    fn rejects_late(&self) -> bool {
        false
    }

    /// Whether the timer should call [`review`](Self::review) on running requests. A policy
    /// that answers false costs the timer nothing per request. Asked once, when the pool is
    /// built. Default: false.
    fn reviews_running(&self) -> bool {
        false
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
