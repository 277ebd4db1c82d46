//! The per-request state every task of a request points to.

use std::time::Duration;

use super::view::{Outcome, RequestFlags, RequestInfo, RequestView};
use super::RequestAction;
use crate::sync::{fence, Arc, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};

/// A request's place in its life (`RequestCtx::life`); see `cancel.rs` for the protocol.
pub(crate) mod life {
    /// Submitted, waiting in the admission queue.
    pub(crate) const QUEUED: u8 = 0;
    /// Submitted for a later instant, waiting in the pool's schedule (`schedule.rs`).
    pub(crate) const SCHEDULED: u8 = 5;
    /// Its instant will never come (the pool shut down first): its root job, run once by the
    /// schedule, resolves the handle `Cancelled`.
    pub(crate) const UNSCHEDULED: u8 = 6;
    /// Its root job won the start: the closure runs (or ran).
    pub(crate) const RUNNING: u8 = 1;
    /// Its root closure returned and the result was not cancelled.
    pub(crate) const FINISHED: u8 = 2;
    /// Cancelled before it started: the canceller resolved the handle; the queued job is a
    /// tombstone that runs nothing.
    pub(crate) const CANCELLED_QUEUED: u8 = 3;
    /// Cancelled while running: its loops unwind at their next block boundary and its handle
    /// resolves `Cancelled` when the root closure returns.
    pub(crate) const CANCELLED_RUNNING: u8 = 4;
}

/// What [`RequestCtx::cancel`] found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CancelFrom {
    /// It was queued: the caller now uncounts it and resolves the handle (it will never
    /// run).
    Queued,
    /// It was waiting for its instant: the caller resolves the handle (it will never run;
    /// it was never counted as queued).
    Scheduled,
    /// It is running: it was told; its root job resolves the handle.
    Running,
    /// It had already been cancelled.
    Again,
    /// It had already finished: nothing changes.
    Finished,
}

/// How the root job's finish went (`RequestCtx::finish`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Finish {
    Done,
    Cancelled,
}

/// Shared by the request's root job, every task it forks, the timer's active set, and
/// nothing else. Flags are monotonic (they only ever go from their initial value to the
/// other), so relaxed loads are enough: a stale read delays a decision by one fork, it never
/// makes one wrong.
#[derive(Debug)]
pub(crate) struct RequestCtx {
    pub(crate) id: u64,
    pub(crate) info: RequestInfo,
    pub(crate) arrival: Duration,
    start_ns: AtomicU64,
    /// Cleared (never set again) when the policy says StopSharing.
    shareable: AtomicBool,
    /// Set (never cleared) when the policy says Shed.
    shed: AtomicBool,
    /// Set (never cleared) when the policy says Deprioritize.
    yields: AtomicBool,
    root_finished: AtomicBool,
    /// The worker that admitted it: where its work goes back when it stops sharing.
    home: AtomicUsize,
    work_done: AtomicU64,
    work_total: AtomicU64,
    /// One of the [`life`] states.
    life: AtomicU8,
    /// Runs even when the pool is closed with `CloseMode::Cancel` (set before sharing).
    pub(crate) complete_on_close: bool,
    /// Rejected unrun if it cannot meet its target when admitted (set before sharing).
    pub(crate) reject_when_late: bool,
    /// Whether the request's handle still holds a reference (the timer's active set tells
    /// "no task left alive" by the reference count, less this one).
    held_by_handle: AtomicBool,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl RequestCtx {
    pub(crate) fn new(id: u64, info: RequestInfo, arrival: Duration) -> Self {
        RequestCtx {
            id,
            info,
            arrival,
            start_ns: AtomicU64::new(0),
            shareable: AtomicBool::new(true),
            shed: AtomicBool::new(false),
            yields: AtomicBool::new(false),
            root_finished: AtomicBool::new(false),
            home: AtomicUsize::new(usize::MAX),
            work_done: AtomicU64::new(0),
            work_total: AtomicU64::new(0),
            life: AtomicU8::new(life::QUEUED),
            held_by_handle: AtomicBool::new(true),
            complete_on_close: false,
            reject_when_late: false,
        }
    }

    /// The root job asks to start: true unless the request was cancelled while queued (then
    /// it must run nothing and touch nothing: the canceller resolved the handle).
    pub(crate) fn try_start(&self) -> bool {
        self.life
            .compare_exchange(
                life::QUEUED,
                life::RUNNING,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// A request submitted for a later instant starts out waiting for it (before anyone else
    /// sees the context).
    pub(crate) fn mark_scheduled(&self) {
        self.life.store(life::SCHEDULED, Ordering::Relaxed);
    }

    /// Its instant came: the schedule moves it to the queue. False if it was cancelled
    /// meanwhile (its handle is resolved; its job is a tombstone).
    pub(crate) fn release_scheduled(&self) -> bool {
        self.life
            .compare_exchange(
                life::SCHEDULED,
                life::QUEUED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// The pool shuts down before the request's instant: its root job will resolve it
    /// `Cancelled`. False (and nothing done) if the handle cancelled it first.
    pub(crate) fn unschedule(&self) -> bool {
        self.life
            .compare_exchange(
                life::SCHEDULED,
                life::UNSCHEDULED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// After a failed [`try_start`](Self::try_start): whether the root job must resolve the
    /// request `Cancelled` itself (it was unscheduled, not cancelled through its handle).
    /// True once: the state moves on to cancelled.
    pub(crate) fn take_unscheduled(&self) -> bool {
        self.life
            .compare_exchange(
                life::UNSCHEDULED,
                life::CANCELLED_QUEUED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// The root job won the start but the pool was closed with `CloseMode::Cancel`: it
    /// resolves the request `Cancelled` without running it (a later cancel finds it
    /// cancelled).
    pub(crate) fn close_cancelled(&self) {
        self.life.store(life::CANCELLED_QUEUED, Ordering::Release);
    }

    /// The root job won the start but resolves the request without running it (rejected):
    /// a later cancel finds it finished.
    pub(crate) fn finished_unrun(&self) {
        self.life.store(life::FINISHED, Ordering::Release);
    }

    /// The root closure has returned: whether its result stands or was cancelled meanwhile.
    /// After this, [`cancel`](Self::cancel) finds it finished.
    pub(crate) fn finish(&self) -> Finish {
        match self.life.compare_exchange(
            life::RUNNING,
            life::FINISHED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Finish::Done,
            Err(state) => {
                debug_assert_eq!(state, life::CANCELLED_RUNNING);
                Finish::Cancelled
            }
        }
    }

    /// Cancels the request: a queued one will never run (the caller resolves its handle); a
    /// running one stops sharing (so its loops reach the cancellation check on their slow
    /// path) and is told through [`is_cancelled`](Self::is_cancelled).
    pub(crate) fn cancel(&self) -> CancelFrom {
        let mut state = self.life.load(Ordering::Acquire);
        loop {
            let (to, from) = match state {
                life::QUEUED => (life::CANCELLED_QUEUED, CancelFrom::Queued),
                life::SCHEDULED => (life::CANCELLED_QUEUED, CancelFrom::Scheduled),
                life::RUNNING => (life::CANCELLED_RUNNING, CancelFrom::Running),
                life::FINISHED => return CancelFrom::Finished,
                _ => return CancelFrom::Again,
            };
            match self
                .life
                .compare_exchange(state, to, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    if from == CancelFrom::Running {
                        // Loops test for cancellation only once their request stops sharing
                        // (`forall::Progress::at_boundary`): the fast path stays one load.
                        self.shareable.store(false, Ordering::Release);
                    }
                    return from;
                }
                Err(now) => state = now,
            }
        }
    }

    /// Whether the root job won the start (running, finished, or cancelled while running).
    pub(crate) fn was_started(&self) -> bool {
        matches!(
            self.life.load(Ordering::Acquire),
            life::RUNNING | life::FINISHED | life::CANCELLED_RUNNING
        )
    }

    /// Whether the request was cancelled while running (its work should stop).
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.life.load(Ordering::Acquire) == life::CANCELLED_RUNNING
    }

    /// The handle lets go of its reference (called just before it drops it).
    pub(crate) fn release_handle(&self) {
        self.held_by_handle.store(false, Ordering::Release);
    }

    /// Whether only bookkeeping still holds the request: the timer's set (whose reference
    /// `this` is) and its handle, if alive. Then every task of the request is done.
    pub(crate) fn only_bookkeeping_left(this: &Arc<Self>) -> bool {
        let count = Arc::strong_count(this);
        // `strong_count` promises no ordering: the fence makes the count read above an
        // acquire, so a count without the handle's reference sees its flag cleared
        // (`outside_refs`).
        fence(Ordering::Acquire);
        count <= 1 + this.outside_refs()
    }

    /// References held by something other than the request's tasks and the timer's set.
    ///
    /// Read it *after* the reference count. The handle clears its flag (release) before it
    /// drops its reference (a release decrement). A count read (acquire) that no longer
    /// includes the handle's reference therefore synchronises with that decrement, and this
    /// load, after it, sees the flag cleared: the two agree. A count that still includes it
    /// may be paired with either flag value, and with the cleared one the request only looks
    /// busier (kept one review longer). Read in the other order, a handle dropping in
    /// between makes the count look one lower than the flag says, and a request with one
    /// task alive would leave the reviews.
    pub(crate) fn outside_refs(&self) -> usize {
        usize::from(self.held_by_handle.load(Ordering::Acquire))
    }

    /// The one relaxed load a promotion or a steal pays for request awareness.
    #[inline]
    pub(crate) fn shareable(&self) -> bool {
        self.shareable.load(Ordering::Relaxed)
    }

    /// Whether its loops yield to queued requests at block boundaries.
    #[inline]
    pub(crate) fn yields(&self) -> bool {
        self.yields.load(Ordering::Relaxed)
    }

    /// Whether a verdict has given up on it (stopped its sharing or deprioritized it): its
    /// work is what a worker blocked in a live request leaves alone (`WorkerThread::search`).
    pub(crate) fn is_given_up(&self) -> bool {
        !self.shareable() || self.yields()
    }

    /// Whether it can still meet its target at `now`: it has one, its deadline has not
    /// passed, and no verdict has given up on it ([`IdleView::blocked_on_live`]
    /// (crate::IdleView::blocked_on_live)). `now` is asked for only when the rest holds.
    pub(crate) fn is_live(&self, now: impl FnOnce() -> Duration) -> bool {
        match self.info.target {
            Some(t) if !self.is_given_up() => now() <= self.arrival.saturating_add(t),
            _ => false,
        }
    }

    #[inline]
    pub(crate) fn is_shed(&self) -> bool {
        self.shed.load(Ordering::Relaxed)
    }

    pub(crate) fn set_start(&self, t: Duration) {
        self.start_ns.store(nanos(t), Ordering::Relaxed);
    }

    pub(crate) fn start(&self) -> Duration {
        Duration::from_nanos(self.start_ns.load(Ordering::Relaxed))
    }

    pub(crate) fn set_home(&self, worker: usize) {
        self.home.store(worker, Ordering::Relaxed);
    }

    /// If this request stopped sharing and `me` is not its home worker, the home worker:
    /// a loop block on a thief then hands its remaining range home. One relaxed load while
    /// the request shares.
    #[inline]
    pub(crate) fn unshared_home(&self, me: usize) -> Option<usize> {
        if self.shareable() {
            return None;
        }
        let home = self.home.load(Ordering::Relaxed);
        (home != me && home != usize::MAX).then_some(home)
    }

    pub(crate) fn set_root_finished(&self) {
        self.root_finished.store(true, Ordering::Relaxed);
    }

    /// A loop of `units` indices starts inside this request.
    #[inline]
    pub(crate) fn announce_work(&self, units: usize) {
        self.work_total.fetch_add(units as u64, Ordering::Relaxed);
    }

    /// `units` indices of a loop finished.
    #[inline]
    pub(crate) fn report_work(&self, units: usize) {
        self.work_done.fetch_add(units as u64, Ordering::Relaxed);
    }

    /// Applies a verdict; true if it changed anything (verdicts are irreversible, so each
    /// takes effect once).
    pub(crate) fn apply(&self, action: RequestAction) -> bool {
        // `RequestFlags::raised_by` says which flags the verdict raises; each is swapped
        // (never the ones it does not raise), and `|` evaluates every swap.
        let on = RequestFlags::raised_by(action);
        (on.unshared && self.shareable.swap(false, Ordering::Relaxed))
            | (on.deprioritized && !self.yields.swap(true, Ordering::Relaxed))
            | (on.shed && !self.shed.swap(true, Ordering::Relaxed))
    }

    /// The outcome of the request's root closure, finished at `finish`.
    pub(crate) fn outcome(&self, finish: Duration) -> Outcome {
        Outcome {
            id: self.id,
            arrival: self.arrival,
            start: self.start(),
            finish,
            target: self.info.target,
        }
    }

    /// The policy's view of this request; `queued` and `running` as [`RequestView`] says.
    pub(crate) fn view(
        &self,
        now: Duration,
        num_threads: usize,
        queued: usize,
        running: usize,
    ) -> RequestView {
        let mut v = RequestView::new(self.info, self.arrival, self.start(), now, num_threads);
        v.queued = queued;
        v.running = running;
        v.id = self.id;
        v.work_done = self.work_done.load(Ordering::Relaxed);
        v.work_total = self.work_total.load(Ordering::Relaxed);
        v.shareable = self.shareable();
        v.shed = self.is_shed();
        v.deprioritized = self.yields();
        v.root_finished = self.root_finished.load(Ordering::Relaxed);
        v.cancelled = self.is_cancelled();
        v
    }
}
