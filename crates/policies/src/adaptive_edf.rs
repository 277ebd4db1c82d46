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
//! Invariant: every pushed request is popped exactly once (`admission::Deadlines`, the same
//! ordered map plain EDF uses), so nothing is dropped, only reordered.

use std::fmt;
use std::time::Duration;

use ontime_core::{AdmissionQueue, Queued};

use crate::adaptive_lifo::overloaded;
use crate::admission::Deadlines;

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
    deadlines: Deadlines,
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
        self.deadlines.push(item);
    }

    fn pop(&self, _worker: usize, now: Duration) -> Option<Queued> {
        self.deadlines.pop(|earliest| overloaded(earliest, now))
    }

    fn len(&self) -> usize {
        self.deadlines.len()
    }
}
