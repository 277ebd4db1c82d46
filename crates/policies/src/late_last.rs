//! Queue-aware admission: requests that can no longer meet their target wait behind those
//! that still can.
//!
//! [`LateLast`] wraps any admission queue (FIFO, EDF, priority levels). A worker asking for
//! work gets the inner queue's next request unless that request is *hopeless*: its deadline
//! has passed, or its cost hint, spread over every worker, no longer fits before it. A
//! hopeless request moves to a FIFO "late" queue and the worker asks the inner queue again;
//! late requests are admitted, oldest first, only when the inner queue has nothing left. So
//! nothing is dropped (a late request still runs, when nothing better waits), and a backlog of
//! latecomers no longer makes every newer request late too.
//!
//! Invariants, and why they hold:
//! - every pushed request is popped exactly once: an item leaves the inner queue at most once,
//!   and then either goes to the caller or to the late queue, which hands each item out once
//!   (crossbeam's `Injector`);
//! - a pop does work in proportion to the items it moves: each item moves to the late queue at
//!   most once, so over a run the extra cost is one move per late request;
//! - routing is kept: only first admissions (`Queued::is_root`) of requests the policy has not
//!   shed are judged. Re-scheduled work of a shed request goes where the inner queue routes
//!   it, and so do requests without a target.

use std::fmt;
use std::time::Duration;

use crossbeam_deque::Injector;
use ontime_core::{AdmissionQueue, Queued};

use crate::admission::take;

/// An admission queue that serves requests which can still meet their target before those
/// which cannot (see the module docs).
///
/// ```
/// use ontime_core::{AdmissionQueue, FifoQueue};
/// use ontime_policies::LateLast;
/// let q = LateLast::new(Box::new(FifoQueue::new()), 2);
/// assert!(q.is_empty());
/// ```
pub struct LateLast {
    inner: Box<dyn AdmissionQueue>,
    late: Injector<Queued>,
    threads: usize,
}

impl LateLast {
    /// Wraps `inner`, for a pool of `threads` workers (used to spread a cost hint).
    pub fn new(inner: Box<dyn AdmissionQueue>, threads: usize) -> Self {
        LateLast {
            inner,
            late: Injector::new(),
            threads: threads.max(1),
        }
    }

    /// Whether `item`, asked for at `now`, can no longer meet its target: its deadline has
    /// passed, or `now + cost hint / threads` is after it.
    fn hopeless(&self, item: &Queued, now: Duration) -> bool {
        if !item.is_root() || item.is_shed() {
            return false;
        }
        // The same rule as the runtime's opt-in rejection (`Request::reject_when_late`).
        item.info().cannot_meet(item.arrival(), now, self.threads)
    }
}

impl fmt::Debug for LateLast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LateLast")
            .field("inner", &self.inner)
            .field("late", &self.late.len())
            .finish()
    }
}

impl AdmissionQueue for LateLast {
    fn push(&self, item: Queued) {
        self.inner.push(item);
    }

    fn pop(&self, worker: usize, now: Duration) -> Option<Queued> {
        while let Some(item) = self.inner.pop(worker, now) {
            if !self.hopeless(&item, now) {
                return Some(item);
            }
            self.late.push(item);
        }
        take(&self.late)
    }

    fn len(&self) -> usize {
        self.inner.len() + self.late.len()
    }
}
