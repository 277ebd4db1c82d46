//! Adaptive LIFO admission: first come, first served while queueing is short; newest first
//! once the oldest queued request has waited longer than half its target.
//!
//! Under overload a FIFO queue makes every request wait as long as the backlog, so once the
//! backlog is longer than the target, every request misses. Serving the newest first then
//! lets the requests that just arrived still make it, while the old ones (already unlikely to)
//! wait; when the backlog drains, the order goes back to FIFO. This is the adaptive LIFO of
//! Facebook's request servers (folly's executor switches at a queueing-delay threshold); here
//! the threshold is derived from each request's own target: the queue serves the newest
//! request while its oldest request has waited more than half that request's target.
//! Requests without a target never switch it.
//!
//! Invariant: every pushed request is popped exactly once (one `VecDeque` under a mutex,
//! held for one push or pop), so nothing is dropped, only reordered.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use ontime_core::{AdmissionQueue, Queued};

use crate::admission::lock;

/// The adaptive LIFO admission queue (see the module docs); `Admission::AdaptiveLifo` makes
/// one.
///
/// ```
/// use std::time::Duration;
/// use ontime_core::{AdmissionQueue, Queued, RequestInfo};
/// use ontime_policies::AdaptiveLifoQueue;
///
/// let ms = Duration::from_millis;
/// let mut info = RequestInfo::default();
/// info.target = Some(ms(10));
/// let q = AdaptiveLifoQueue::default();
/// for (id, arrival) in [(1, 0), (2, 1), (3, 2)] {
///     q.push(Queued::stand_in(id, info, ms(arrival)));
/// }
/// // At 4 ms the oldest has waited 4 ms, under half its 10 ms target: oldest first.
/// assert_eq!(q.pop(0, ms(4)).unwrap().id(), 1);
/// // At 7 ms the oldest left (request 2) has waited 6 ms: newest first.
/// assert_eq!(q.pop(0, ms(7)).unwrap().id(), 3);
/// assert_eq!(q.pop(0, ms(7)).unwrap().id(), 2);
/// ```
#[derive(Default)]
pub struct AdaptiveLifoQueue {
    items: Mutex<VecDeque<Queued>>,
}

/// Whether `oldest`, asked for at `now`, has waited more than half its target: the threshold
/// at which an adaptive queue ([`AdaptiveLifoQueue`], [`AdaptiveEdfQueue`](crate::AdaptiveEdfQueue),
/// adaptive priority levels) serves the newest request first.
pub(crate) fn overloaded(oldest: &Queued, now: Duration) -> bool {
    oldest
        .info()
        .target
        .is_some_and(|t| now.saturating_sub(oldest.arrival()) > t / 2)
}

impl fmt::Debug for AdaptiveLifoQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveLifoQueue")
            .field("len", &self.len())
            .finish()
    }
}

impl AdmissionQueue for AdaptiveLifoQueue {
    fn push(&self, item: Queued) {
        lock(&self.items).push_back(item);
    }
    fn pop(&self, _worker: usize, now: Duration) -> Option<Queued> {
        let mut q = lock(&self.items);
        if q.front().is_some_and(|o| overloaded(o, now)) {
            q.pop_back()
        } else {
            q.pop_front()
        }
    }
    fn len(&self) -> usize {
        lock(&self.items).len()
    }
}
