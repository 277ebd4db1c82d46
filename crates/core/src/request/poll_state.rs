//! The wake-versus-poll state machine of a future request (`future.rs`, "Protocol"), apart
//! so that loom can model it.

use crate::sync::{AtomicU8, Ordering};

/// `PollState` values.
mod state {
    pub(crate) const IDLE: u8 = 0;
    pub(crate) const QUEUED: u8 = 1;
    pub(crate) const RUNNING: u8 = 2;
    pub(crate) const NOTIFIED: u8 = 3;
    pub(crate) const DONE: u8 = 4;
}

/// The wake-versus-poll state machine (module docs).
pub(crate) struct PollState(AtomicU8);

impl PollState {
    /// Starts queued: the first poll is queued with the request.
    pub(crate) fn new() -> Self {
        PollState(AtomicU8::new(state::QUEUED))
    }

    /// A wake: true if the caller must queue a poll.
    ///
    /// Always a read-modify-write, even when nothing changes (a poll is queued already): a
    /// plain load could read `QUEUED` while the poll that is starting reads the waker's data
    /// from before the wake (the store-buffer pattern; the loom model finds it). The
    /// read-modify-write is ordered against the poll's start in the state's modification
    /// order, so either the starting poll sees what the waker published, or the wake sees
    /// `RUNNING` and asks for one more poll.
    pub(crate) fn wake(&self) -> bool {
        let mut s = self.0.load(Ordering::Acquire);
        loop {
            let to = match s {
                state::IDLE => state::QUEUED,
                state::RUNNING => state::NOTIFIED,
                other => other,
            };
            match self
                .0
                .compare_exchange(s, to, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return s == state::IDLE,
                Err(now) => s = now,
            }
        }
    }

    /// A queued poll starts.
    pub(crate) fn start_poll(&self) {
        let prev = self.0.swap(state::RUNNING, Ordering::AcqRel);
        debug_assert_eq!(prev, state::QUEUED, "a poll runs only when queued");
    }

    /// A poll returned `Pending`: true if it was woken meanwhile and the caller must queue
    /// the next poll (the state is then `QUEUED`).
    pub(crate) fn pending(&self) -> bool {
        match self.0.compare_exchange(
            state::RUNNING,
            state::IDLE,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => false,
            Err(s) => {
                debug_assert_eq!(s, state::NOTIFIED);
                self.0.store(state::QUEUED, Ordering::Release);
                true
            }
        }
    }

    /// The future is finished (or dropped) by the one who owns it now.
    pub(crate) fn done(&self) {
        self.0.store(state::DONE, Ordering::Release);
    }

    /// Whether it is finished.
    pub(crate) fn is_done(&self) -> bool {
        self.0.load(Ordering::Acquire) == state::DONE
    }
}
