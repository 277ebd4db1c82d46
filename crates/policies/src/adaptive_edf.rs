//! Adaptive earliest deadline first: the earliest deadline first while queueing is short;
//! once the request with the earliest deadline has waited more than half its target, the
//! latest deadline first.
//!
//! EDF alone collapses under overload: it keeps serving the request whose deadline is nearest,
//! which by then is the one least likely to make it, and every request behind it waits
//! longer. Adaptive LIFO's answer (serve the newest while the backlog is long, see
//! [`AdaptiveLifoQueue`](crate::AdaptiveLifoQueue)) carries over to deadlines: while
//! overloaded, the queue serves the request with the *latest* deadline, which for equal
//! targets is the newest one and in general the one with the most time left; once the backlog
//! drains, the order goes back to earliest deadline first. Requests without a target come
//! after every request with one, in arrival order, in both modes.
//!
//! Invariant: every pushed request is popped exactly once (one ordered map under a mutex,
//! held for one push or pop, keyed by deadline and a unique arrival number), so nothing is
//! dropped, only reordered.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ontime_core::{AdmissionQueue, Queued};

use crate::adaptive_lifo::overloaded;
use crate::admission::lock;

/// The adaptive EDF admission queue (see the module docs); `Admission::AdaptiveEdf` makes one.
///
/// ```
/// use std::time::Duration;
/// use ontime_core::{AdmissionQueue, Queued, RequestInfo};
/// use ontime_policies::AdaptiveEdfQueue;
///
/// let ms = Duration::from_millis;
/// let with_target = |t| {
///     let mut info = RequestInfo::default();
///     info.target = Some(ms(t));
///     info
/// };
/// let q = AdaptiveEdfQueue::default();
/// // Deadlines: 1 at 20 ms, 2 at 11 ms, 3 at 32 ms.
/// q.push(Queued::stand_in(1, with_target(20), ms(0)));
/// q.push(Queued::stand_in(2, with_target(10), ms(1)));
/// q.push(Queued::stand_in(3, with_target(30), ms(2)));
/// // At 4 ms request 2 (earliest deadline) has waited 3 ms, under half its target: EDF.
/// assert_eq!(q.pop(0, ms(4)).unwrap().id(), 2);
/// // At 12 ms request 1 (now the earliest) has waited 12 ms, more than half of 20 ms:
/// // the latest deadline first.
/// assert_eq!(q.pop(0, ms(12)).unwrap().id(), 3);
/// assert_eq!(q.pop(0, ms(12)).unwrap().id(), 1);
/// assert!(q.pop(0, ms(12)).is_none());
/// ```
#[derive(Default)]
pub struct AdaptiveEdfQueue {
    /// Keyed by (deadline, arrival number); requests without a target have `Duration::MAX`.
    items: Mutex<BTreeMap<(Duration, u64), Queued>>,
    seq: AtomicU64,
}

impl fmt::Debug for AdaptiveEdfQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveEdfQueue")
            .field("len", &self.len())
            .finish()
    }
}

impl AdmissionQueue for AdaptiveEdfQueue {
    fn push(&self, item: Queued) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let key = (item.deadline().unwrap_or(Duration::MAX), seq);
        lock(&self.items).insert(key, item);
    }

    fn pop(&self, _worker: usize, now: Duration) -> Option<Queued> {
        let mut q = lock(&self.items);
        let first = q.first_key_value().map(|(_, item)| overloaded(item, now))?;
        if first {
            // The latest deadline among requests that have one (those without stay last).
            let latest = q.range(..(Duration::MAX, 0)).next_back().map(|(k, _)| *k);
            if let Some(k) = latest {
                return q.remove(&k);
            }
        }
        q.pop_first().map(|(_, item)| item)
    }

    fn len(&self) -> usize {
        lock(&self.items).len()
    }
}
