//! The input cell: where one input of one node waits for its value.
//!
//! # Protocol
//! States `EMPTY -> WRITING -> FULL -> EMPTY` (multiple-use) or `FULL -> CLOSED` (single-use,
//! terminal). Exactly one producer writes a cell: it moves `EMPTY -> WRITING` with a CAS (a
//! failure means the previous value was never taken: a double write, or `CLOSED`: a write
//! after a single-use reader ran), stores the value, then publishes `FULL` with a release
//! store, and only after that tells the node's activator. The reader takes the value only
//! when the activator scheduled its node, which happens after every producer's release, so
//! it sees `FULL` and the value; it then stores `EMPTY` (or `CLOSED`) with release, so the
//! producer's next CAS sees the slot free and the old value gone. The value is touched only
//! by the party that owns the state (`WRITING` by the writer, `FULL` by the reader that the
//! activator chose), so the `UnsafeCell` is never accessed by two threads at once.
//!
//! A reader of a bounded port (multiple-use graphs) has an ordinary cell too, which no
//! producer writes: its values wait in a ring (`port/ring.rs`), and the engine moves the oldest
//! into the cell just before the node runs (`Ring::stage`). So taking an input costs the same
//! for every cell, and cells are no bigger for bounded ports.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

use super::{PortError, PortId};
use crate::sync::{AtomicU8, Ordering};

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const FULL: u8 = 2;
const CLOSED: u8 = 3;

/// One input of one node: holds the value between its write and the node's run (built by the
/// graph builder; see the module docs of `port::cell` for the protocol).
pub struct InputCell<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
    port: PortId,
}

// SAFETY: the value is accessed only by the owner of the state (see the module docs), and
// values move between threads, hence `T: Send`.
unsafe impl<T: Send> Sync for InputCell<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for InputCell<T> {}

impl<T> InputCell<T> {
    pub(crate) fn new(port: PortId) -> Self {
        InputCell {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            port,
        }
    }

    pub(crate) fn port(&self) -> PortId {
        self.port
    }

    /// Stores `value`; an error if the previous value was not taken yet (or the reader of a
    /// single-use graph has already run). Tell the node's activator only after `Ok`.
    #[inline]
    pub(crate) fn put(&self, value: T) -> Result<(), PortError> {
        match self
            .state
            .compare_exchange(EMPTY, WRITING, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => {
                // SAFETY: WRITING gives this thread sole access to the value.
                unsafe { (*self.value.get()).write(value) };
                self.state.store(FULL, Ordering::Release);
                Ok(())
            }
            Err(CLOSED) => Err(PortError::Closed(Some(self.port))),
            Err(_) => Err(PortError::DoubleWrite(Some(self.port))),
        }
    }

    /// [`put`](Self::put) when the graph runs on one thread (`Scheduler::single_threaded`):
    /// nobody else touches the cell meanwhile, so a plain load and store replace the CAS.
    #[inline]
    pub(crate) fn put_local(&self, value: T) -> Result<(), PortError> {
        match self.state.load(Ordering::Relaxed) {
            EMPTY => {
                // SAFETY: EMPTY, and no other thread touches the cell during this run.
                unsafe { (*self.value.get()).write(value) };
                self.state.store(FULL, Ordering::Relaxed);
                Ok(())
            }
            CLOSED => Err(PortError::Closed(Some(self.port))),
            _ => Err(PortError::DoubleWrite(Some(self.port))),
        }
    }

    /// Takes the value, leaving the cell `EMPTY` (or `CLOSED` when `close`); `None` if it
    /// holds none.
    ///
    /// # Safety
    /// Only the runner of the cell's node calls this, while it runs the node (the activator
    /// gives one thread that right at a time), or a thread with exclusive access to the graph.
    #[inline]
    pub(crate) unsafe fn take(&self, close: bool) -> Option<T> {
        if self.state.load(Ordering::Acquire) != FULL {
            if close {
                self.state.store(CLOSED, Ordering::Release);
            }
            return None;
        }
        // SAFETY: FULL, and this thread runs the node the activator scheduled: it alone may
        // read the value, exactly once (the store below gives the cell back).
        let v = unsafe { (*self.value.get()).assume_init_read() };
        self.state
            .store(if close { CLOSED } else { EMPTY }, Ordering::Release);
        Some(v)
    }

    /// Drops any value and makes the cell `EMPTY`.
    ///
    /// # Safety
    /// The caller has exclusive access to the graph (no run in progress).
    pub(crate) unsafe fn reset(&self) {
        // SAFETY: forwarded: nobody else touches the cell.
        let _ = unsafe { self.take(false) };
        self.state.store(EMPTY, Ordering::Relaxed);
    }
}

impl<T> Drop for InputCell<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: exclusive access.
        let _ = unsafe { self.take(false) };
    }
}

impl<T> std::fmt::Debug for InputCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputCell")
            .field("port", &self.port)
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish()
    }
}
