//! What policies and callers see of a request: its description, a snapshot of its progress,
//! the policy's verdicts, and its outcome.

use std::time::Duration;

/// What the submitter said about a request.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestInfo {
    /// Latency the request should meet, from its arrival; `None`: no target.
    pub target: Option<Duration>,
    /// Class label for routing.
    pub class: u32,
    /// Expected serial running time, if known.
    pub cost_hint: Option<Duration>,
    /// Priority level, higher first.
    pub priority: u8,
}

impl RequestInfo {
    /// Whether a request with this description, arrived at `arrival` and not started by
    /// `now`, can no longer meet its target on `threads` workers: its deadline has passed, or
    /// its cost hint spread over the workers does not fit before it. False without a target.
    /// Queue-aware admission (`LateLast` in ontime-policies) and opt-in rejection
    /// ([`Request::reject_when_late`](crate::Request::reject_when_late)) both use this one
    /// rule.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::RequestInfo;
    /// let ms = Duration::from_millis;
    /// let mut info = RequestInfo::default();
    /// info.target = Some(ms(10));
    /// assert!(!info.cannot_meet(ms(0), ms(5), 2));
    /// assert!(info.cannot_meet(ms(0), ms(11), 2), "deadline passed");
    /// info.cost_hint = Some(ms(12));
    /// assert!(info.cannot_meet(ms(0), ms(5), 2), "6 ms of work left no room after 5 ms");
    /// ```
    pub fn cannot_meet(&self, arrival: Duration, now: Duration, threads: usize) -> bool {
        let Some(target) = self.target else {
            return false;
        };
        let deadline = arrival.saturating_add(target);
        if deadline < now {
            return true;
        }
        self.cost_hint.is_some_and(|c| {
            let per = c / u32::try_from(threads.max(1)).unwrap_or(u32::MAX);
            now.saturating_add(per) > deadline
        })
    }
}

/// A snapshot of one request, handed to [`StealPolicy::review`](crate::StealPolicy::review).
///
/// All times are readings of the pool's [`Clock`](crate::Clock).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestView {
    /// Identifier, unique within its pool.
    pub id: u64,
    /// What the submitter said about it.
    pub info: RequestInfo,
    /// When it arrived.
    pub arrival: Duration,
    /// When a worker admitted it.
    pub start: Duration,
    /// The time of this review.
    pub now: Duration,
    /// Units of loop work finished so far (indices or tiles of its `forall`s).
    pub work_done: u64,
    /// Units of loop work announced so far (every loop adds its length when it starts).
    pub work_total: u64,
    /// Whether its forks may still be shared with other workers.
    pub shareable: bool,
    /// Whether its re-scheduled work already goes to the admission queue.
    pub shed: bool,
    /// Whether its loops already yield to queued requests.
    pub deprioritized: bool,
    /// Whether its root closure has returned (spawned work may still be running).
    pub root_finished: bool,
    /// Whether it was cancelled while running ([`RequestHandle::cancel`](crate::RequestHandle::cancel)):
    /// its loops are unwinding and its result will be discarded.
    pub cancelled: bool,
    /// Workers in the pool.
    pub num_threads: usize,
    /// Requests submitted and waiting to start at this review (`PoolStats::queued`; the load a
    /// policy may weigh a verdict by; 0 where the caller does not know it).
    pub queued: usize,
    /// Requests the pool has started and whose closure has not returned, at this review, this
    /// one included (0 where the caller does not know it).
    pub running: usize,
}

impl RequestView {
    /// A view of a request that arrived at `arrival`, started at `start` and is looked at
    /// `now`, with no loop progress reported and sharing allowed. For policy tests and
    /// decision tables; fields can be adjusted after.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::{RequestInfo, RequestView};
    /// let ms = Duration::from_millis;
    /// let mut info = RequestInfo::default();
    /// info.target = Some(ms(10));
    /// let v = RequestView::new(info, ms(0), ms(1), ms(12), 2);
    /// assert!(v.missed());
    /// assert_eq!(v.deadline(), Some(ms(10)));
    /// ```
    pub fn new(
        info: RequestInfo,
        arrival: Duration,
        start: Duration,
        now: Duration,
        num_threads: usize,
    ) -> Self {
        RequestView {
            id: 0,
            info,
            arrival,
            start,
            now,
            work_done: 0,
            work_total: 0,
            shareable: true,
            shed: false,
            deprioritized: false,
            root_finished: false,
            cancelled: false,
            num_threads,
            queued: 0,
            running: 0,
        }
    }

    /// Arrival plus target, if the request has a target.
    pub fn deadline(&self) -> Option<Duration> {
        self.info.target.map(|t| self.arrival.saturating_add(t))
    }

    /// Whether the deadline has passed.
    pub fn missed(&self) -> bool {
        self.deadline().is_some_and(|d| self.now > d)
    }

    /// Time since admission.
    pub fn running_for(&self) -> Duration {
        self.now.saturating_sub(self.start)
    }

    /// Fraction of the announced loop work done, if any was announced.
    pub fn progress(&self) -> Option<f64> {
        (self.work_total > 0).then(|| self.work_done as f64 / self.work_total as f64)
    }
}

/// A policy's verdict on a running request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RequestAction {
    /// Leave it as it is.
    Continue,
    /// Stop sharing its work: its pending forks are no longer promoted, and a thief that
    /// takes one of its already-shared jobs hands it back to the owner. Its remaining work
    /// runs on the workers that already hold it. Irreversible.
    StopSharing,
    /// [`StopSharing`](Self::StopSharing), and more: wherever its loops run, each block
    /// boundary first runs a queued request (nested, on that worker), so the request only
    /// gets the capacity the stream leaves over. Irreversible.
    Deprioritize,
    /// Send its re-scheduled work (spawns made from now on) to the admission queue, where the
    /// policy's queue routes it (micropools: to the heavy pool). Irreversible.
    Shed,
}

/// The irreversible flags a request's verdicts raise: what a pool keeps per request (as
/// atomics) and a simulator keeps per simulated request. Each flag, once raised, stays
/// raised; [`apply`](Self::apply) is the one definition of what each verdict raises.
///
/// ```
/// use ontime_core::{RequestAction, RequestFlags};
/// let mut f = RequestFlags::default();
/// assert!(f.apply(RequestAction::StopSharing));
/// assert!(f.unshared && !f.deprioritized);
/// assert!(f.apply(RequestAction::Deprioritize), "it also yields now");
/// assert!(!f.apply(RequestAction::StopSharing), "nothing new");
/// assert!(!f.apply(RequestAction::Continue));
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFlags {
    /// It stopped sharing (`StopSharing`, `Deprioritize`).
    pub unshared: bool,
    /// Its loops yield to queued requests (`Deprioritize`).
    pub deprioritized: bool,
    /// Its re-scheduled work goes to the admission queue (`Shed`).
    pub shed: bool,
}

impl RequestFlags {
    /// The flags `action` raises.
    pub fn raised_by(action: RequestAction) -> RequestFlags {
        let mut f = RequestFlags::default();
        match action {
            RequestAction::Continue => {}
            RequestAction::StopSharing => f.unshared = true,
            RequestAction::Deprioritize => {
                f.unshared = true;
                f.deprioritized = true;
            }
            RequestAction::Shed => f.shed = true,
        }
        f
    }

    /// Raises what `action` raises; true if a flag was not raised before.
    pub fn apply(&mut self, action: RequestAction) -> bool {
        let on = RequestFlags::raised_by(action);
        let new = (on.unshared && !self.unshared)
            | (on.deprioritized && !self.deprioritized)
            | (on.shed && !self.shed);
        self.unshared |= on.unshared;
        self.deprioritized |= on.deprioritized;
        self.shed |= on.shed;
        new
    }
}

/// When a request arrived, started and finished, and whether it met its target.
///
/// Times are readings of the pool's [`Clock`](crate::Clock).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// Identifier, unique within its pool.
    pub id: u64,
    /// Arrival (the submit time, or the arrival the submitter set).
    pub arrival: Duration,
    /// Admission by a worker.
    pub start: Duration,
    /// Return of the root closure.
    pub finish: Duration,
    /// The target, if one was set.
    pub target: Option<Duration>,
}

impl Outcome {
    /// Finish minus arrival.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// let done = pool.submit(ontime_core::Request::new(|| ())).wait().unwrap();
    /// assert_eq!(done.outcome.latency(), done.outcome.finish - done.outcome.arrival);
    /// assert!(done.outcome.met()); // no target: always met
    /// ```
    pub fn latency(&self) -> Duration {
        self.finish.saturating_sub(self.arrival)
    }

    /// Start minus arrival: time spent waiting for admission.
    pub fn queue_delay(&self) -> Duration {
        self.start.saturating_sub(self.arrival)
    }

    /// Whether the latency is within the target (always true without a target).
    pub fn met(&self) -> bool {
        self.target.map_or(true, |t| self.latency() <= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> Duration {
        Duration::from_millis(x)
    }

    #[test]
    fn view_deadline_progress_and_miss() {
        let info = RequestInfo {
            target: Some(ms(10)),
            ..RequestInfo::default()
        };
        let mut v = RequestView::new(info, ms(5), ms(6), ms(15), 2);
        assert_eq!(v.deadline(), Some(ms(15)));
        assert!(!v.missed(), "exactly at the deadline is not a miss");
        v.now = ms(16);
        assert!(v.missed());
        assert_eq!(v.running_for(), ms(10));
        assert_eq!(v.progress(), None);
        v.work_total = 4;
        v.work_done = 1;
        assert_eq!(v.progress(), Some(0.25));
        let none = RequestView::new(RequestInfo::default(), ms(0), ms(0), ms(99), 2);
        assert!(!none.missed());
    }

    #[test]
    fn outcome_met_and_latency() {
        let o = Outcome {
            id: 1,
            arrival: ms(1),
            start: ms(3),
            finish: ms(9),
            target: Some(ms(8)),
        };
        assert_eq!(o.latency(), ms(8));
        assert_eq!(o.queue_delay(), ms(2));
        assert!(o.met());
        let late = Outcome {
            finish: ms(10),
            ..o
        };
        assert!(!late.met());
    }
}
