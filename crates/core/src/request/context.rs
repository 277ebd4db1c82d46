//! The per-request state every task of a request points to.

use std::time::Duration;

use super::view::{Outcome, RequestFlags, RequestInfo, RequestView};
use super::RequestAction;
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

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
        }
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

    pub(crate) fn view(&self, now: Duration, num_threads: usize) -> RequestView {
        let mut v = RequestView::new(self.info, self.arrival, self.start(), now, num_threads);
        v.id = self.id;
        v.work_done = self.work_done.load(Ordering::Relaxed);
        v.work_total = self.work_total.load(Ordering::Relaxed);
        v.shareable = self.shareable();
        v.shed = self.is_shed();
        v.deprioritized = self.yields();
        v.root_finished = self.root_finished.load(Ordering::Relaxed);
        v
    }
}
