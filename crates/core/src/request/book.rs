//! What a pool's requests share with the pool without holding it: the count of requests
//! waiting to start, the count of cancelled ones, and the clock.
//!
//! Queued root jobs and handles keep this, never the pool's registry: the registry owns the
//! admission queue, so a queued job holding it would keep alive a pool whose queue never
//! hands the job back (`lifecycle.rs`, "No reference cycle through the queue").

use std::sync::Arc as StdArc;
use std::time::Duration;

use crate::clock::Clock;
use crate::sync::{AtomicU64, AtomicUsize, Ordering};
use crate::unwind;

pub(crate) struct RequestBook {
    /// Requests submitted and not yet started or cancelled (`try_submit`'s bound counts them).
    pub(crate) queued: AtomicUsize,
    /// Requests cancelled, queued or running.
    pub(crate) cancelled: AtomicU64,
    /// Requests waiting for their instant (`schedule.rs`), not yet queued nor cancelled.
    pub(crate) scheduled: AtomicUsize,
    clock: StdArc<dyn Clock>,
}

impl RequestBook {
    pub(crate) fn new(clock: StdArc<dyn Clock>) -> Self {
        RequestBook {
            queued: AtomicUsize::new(0),
            cancelled: AtomicU64::new(0),
            scheduled: AtomicUsize::new(0),
            clock,
        }
    }

    /// The pool's time, or `fallback` if the (user-supplied) clock panics.
    pub(crate) fn now_or(&self, fallback: Duration) -> Duration {
        unwind::catch(|| self.clock.now()).unwrap_or(fallback)
    }

    /// One request left the queue (it started, or was cancelled there).
    pub(crate) fn unqueue(&self) {
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }
}
