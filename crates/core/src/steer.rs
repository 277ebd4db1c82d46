//! Steering: idle workers start their victim walk at the running request that needs more
//! workers most ([`StealPolicy::urgency`](crate::StealPolicy::urgency)).
//!
//! # Protocol
//! - The timer, in its pass over running requests (`request/lifecycle.rs`), asks the policy
//!   for each reviewed request's urgency and publishes the id of the most urgent one
//!   ([`Steer::publish`]), or none.
//! - Every worker publishes the request of the task it runs ([`Steer::running`], one slot per
//!   worker): `run_task` stores it, and restores the outer task's when the task ends. Tasks
//!   run there are stolen forks, admitted requests and injected jobs, never the inline forks
//!   of `join`, so the fork path stores nothing.
//! - A thief that is about to walk the victims ([`Steer::start`]) reads the published id and
//!   starts at the first other worker whose slot holds it and whose deque is not empty; with
//!   none, at the policy's [`first_victim`](crate::StealPolicy::first_victim).
//!
//! # Invariant: steering only picks where a walk starts
//! Every value here is a hint, read and written with relaxed atomics, and nothing is ordered
//! by them. A stale or torn-in-time read (the request finished, the worker moved on, the
//! deque emptied) only makes the thief start its walk at another victim; the walk then visits
//! every victim in ring order as before, and what it takes comes from the deques, whose
//! protocol (`deque.rs`, crossbeam-deque) alone decides that each job runs exactly once. So
//! steering cannot lose, duplicate or strand work, and needs no loom model: there is no
//! interleaving in which a hint is wrong in a way the walk does not already tolerate.
//! Where steering cannot apply (2 workers or fewer, or a policy that does not review running
//! requests) it costs nothing: no slot exists to write, and a steal walk reads no hint. A
//! policy that reviews but has no urgency costs one relaxed load per steal walk and two
//! relaxed accesses per task taken from a queue.

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Ordering};

/// The published hint and every worker's running request (request ids plus one; 0: none).
///
/// A pool where steering cannot apply (2 workers or fewer: a thief has at most one victim;
/// or a policy that does not review running requests, so nothing is ever published) keeps
/// no slots, and every method is then a no-op that touches no atomic: the tasks a worker
/// takes from a queue pay nothing for steering there.
#[derive(Debug)]
pub(crate) struct Steer {
    target: CachePadded<AtomicU64>,
    /// Empty when steering is off.
    running: Box<[CachePadded<AtomicU64>]>,
}

/// A request id as the slots hold it.
#[inline]
fn encode(id: Option<u64>) -> u64 {
    id.map_or(0, |id| id.wrapping_add(1))
}

impl Steer {
    /// Steering for a pool of `workers` whose policy reviews running requests
    /// (`reviews_running`); off unless the pool has more than 2 workers and it does.
    pub(crate) fn new(workers: usize, reviews_running: bool) -> Self {
        let on = workers > 2 && reviews_running;
        Steer {
            target: CachePadded::new(AtomicU64::new(0)),
            running: (0..if on { workers } else { 0 })
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        }
    }

    /// Whether the timer should look for a target at all (the one place that says when
    /// steering applies).
    pub(crate) fn enabled(&self) -> bool {
        !self.running.is_empty()
    }

    /// The timer's choice: the request `id`, or none.
    pub(crate) fn publish(&self, id: Option<u64>) {
        let v = encode(id);
        if self.target.load(Ordering::Relaxed) != v {
            self.target.store(v, Ordering::Relaxed);
        }
    }

    /// `worker` now runs a task of request `id` (or of none); returns what it ran before,
    /// for [`restore`](Self::restore). Only the owning worker writes its slot, so a load and
    /// a store (skipped when the value is already there) do what a swap would.
    #[inline]
    pub(crate) fn running(&self, worker: usize, id: Option<u64>) -> u64 {
        let Some(slot) = self.running.get(worker) else {
            return 0;
        };
        let v = encode(id);
        let prev = slot.load(Ordering::Relaxed);
        if prev != v {
            slot.store(v, Ordering::Relaxed);
        }
        prev
    }

    /// `worker` is back in the task it ran before (`prev` from [`running`](Self::running)).
    #[inline]
    pub(crate) fn restore(&self, worker: usize, prev: u64) {
        if let Some(slot) = self.running.get(worker) {
            slot.store(prev, Ordering::Relaxed);
        }
    }

    /// Where thief `me` starts its walk: the first other worker, from `from` in ring order,
    /// that runs the published request and has something to steal (`stealable`), if any.
    /// Whether the thief may steal there is the walk's question, asked once per victim.
    pub(crate) fn start(
        &self,
        me: usize,
        from: usize,
        stealable: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        if !self.enabled() {
            return None;
        }
        let target = self.target.load(Ordering::Relaxed);
        if target == 0 {
            return None;
        }
        let n = self.running.len();
        (0..n)
            .map(|k| (from + k) % n)
            .find(|&v| v != me && self.running[v].load(Ordering::Relaxed) == target && stealable(v))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Steer;

    #[test]
    fn a_thief_starts_at_a_worker_running_the_published_request() {
        let s = Steer::new(4, true);
        // Nothing published: the policy's first victim applies.
        assert_eq!(s.start(0, 0, |_| true), None);
        assert_eq!(s.running(2, Some(7)), 0);
        assert_eq!(s.running(3, Some(9)), 0);
        s.publish(Some(9));
        assert_eq!(s.start(0, 0, |_| true), Some(3));
        // The thief itself is never its own victim, and a worker with nothing to steal is
        // passed over.
        assert_eq!(s.start(3, 0, |_| true), None);
        assert_eq!(s.start(0, 0, |v| v != 3), None);
        // Request id 0 is a request like any other (ids are stored plus one).
        s.publish(Some(0));
        assert_eq!(s.start(0, 0, |_| true), None);
        let prev = s.running(1, Some(0));
        assert_eq!(s.start(0, 0, |_| true), Some(1));
        // Back in the outer task: the slot holds what it held before.
        s.restore(1, prev);
        assert_eq!(s.start(0, 0, |_| true), None);
        // Several candidates: the first from `from` in ring order.
        s.publish(Some(7));
        s.running(1, Some(7));
        assert_eq!(s.start(0, 3, |_| true), Some(1));
        assert_eq!(s.start(0, 2, |_| true), Some(2));
        s.publish(None);
        assert_eq!(s.start(0, 0, |_| true), None);
    }

    #[test]
    fn steering_is_off_where_a_thief_has_one_victim_or_nothing_is_published() {
        for s in [Steer::new(2, true), Steer::new(8, false)] {
            assert!(!s.enabled());
            // No slot to write or restore, and no start whatever the hint says.
            assert_eq!(s.running(1, Some(3)), 0);
            s.restore(1, 4);
            s.publish(Some(3));
            assert_eq!(s.start(0, 0, |_| true), None);
        }
        assert!(Steer::new(3, true).enabled());
    }
}
