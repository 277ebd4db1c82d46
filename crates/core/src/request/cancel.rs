//! Cancellation: [`RequestHandle::cancel`](crate::RequestHandle::cancel), what a running
//! request's code sees ([`is_cancelled`], [`cancellation_point`]), and how its loops stop.
//!
//! # Protocol: cancel versus admit
//! Every request's context holds one state byte (`context::life`): `QUEUED`, then either
//! `RUNNING` (its root job won the start) or `CANCELLED_QUEUED` (a canceller won it). Both
//! sides move it with a compare-and-swap from `QUEUED`, so exactly one wins:
//! - the canceller that wins resolves the handle with `Cancelled` and uncounts the request
//!   from the queue (so a `max_queued` bound frees its place at once). The job stays in the
//!   admission queue (a user queue cannot be searched), but when a worker pops it, its
//!   `try_start` fails and it runs nothing and touches nothing: a tombstone;
//! - the root job that wins runs the closure. A later cancel moves `RUNNING` to
//!   `CANCELLED_RUNNING` and stops the request sharing; when the closure returns, the root
//!   job's `finish` (a compare-and-swap from `RUNNING` to `FINISHED`) fails, and the handle
//!   resolves `Cancelled`. A cancel that comes after `finish` finds `FINISHED` and changes
//!   nothing (`cancel` returns false).
//!
//! Invariant: the handle resolves exactly once, the closure runs at most once, and a request
//! resolved `Cancelled` before it started never runs. The loom model
//! `cancel_versus_admit_runs_the_request_or_resolves_it_cancelled_never_both` checks it.
//!
//! # How running work stops
//! Cancelling a running request clears its sharing flag, so a loop's block boundary, whose
//! fast path reads only that flag, takes its slow path, finds the request cancelled, and
//! unwinds with a private payload ([`raise`]; `resume_unwind`, so no panic hook prints). The
//! unwind travels like any panic of the request: through `join`, scopes and stolen blocks to
//! the root job, which resolves the handle with `Cancelled`, not as a panic. The pool's panic
//! handler never sees the payload (a cancelled `spawn`ed job is dropped quietly). Loops and
//! iterators are panic-safe (a sort, an ordered collect), so an unwinding loop leaves no
//! partial state behind; code that catches panics itself sees the payload and should let it
//! go on ([`is_cancellation`]).

use std::any::Any;

use crate::worker::WorkerThread;

/// The payload a cancelled request's work unwinds with.
struct CancelUnwind;

/// Unwinds the current task because its request was cancelled.
#[cold]
#[inline(never)]
pub(crate) fn raise() -> ! {
    std::panic::resume_unwind(Box::new(CancelUnwind))
}

/// Whether a caught panic payload is a cancelled request's unwind, not a real panic.
///
/// Code that catches panics inside a request (with `std::panic::catch_unwind`) should
/// re-raise such a payload with `std::panic::resume_unwind` rather than treat it as an error.
///
/// ```
/// let caught = std::panic::catch_unwind(|| panic!("a real one")).unwrap_err();
/// assert!(!ontime_core::is_cancellation(&*caught));
/// ```
pub fn is_cancellation(payload: &(dyn Any + Send)) -> bool {
    payload.is::<CancelUnwind>()
}

/// Whether the request the calling code runs for has been cancelled
/// ([`RequestHandle::cancel`](crate::RequestHandle::cancel)) while running; false outside
/// requests and off the pool.
///
/// Loops (`forall`, the tiled loops, parallel iterators) stop by themselves at their next
/// block boundary; long serial code checks this (or calls [`cancellation_point`]) to stop
/// early. Whatever the closure then returns is discarded: the handle resolves `Cancelled`.
///
/// ```
/// use ontime_core::{Request, ThreadPool};
/// let pool = ThreadPool::new(1).unwrap();
/// let (started_tx, started) = std::sync::mpsc::channel();
/// let h = pool.submit(Request::new(move || {
///     started_tx.send(()).unwrap();
///     let mut steps = 0u64;
///     while !ontime_core::is_cancelled() {
///         steps += 1;
///         std::hint::spin_loop();
///     }
///     steps
/// }));
/// started.recv().unwrap();
/// assert!(h.cancel(), "it was running");
/// assert!(h.wait().unwrap_err().is_cancelled());
/// assert!(!ontime_core::is_cancelled(), "not inside a request");
/// ```
pub fn is_cancelled() -> bool {
    let wt = WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    let Some(wt) = (unsafe { wt.as_ref() }) else {
        return false;
    };
    // SAFETY: the pointer is valid until the current task ends, and we are inside it.
    unsafe { wt.current_ctx_ptr().as_ref() }.is_some_and(|c| c.is_cancelled())
}

/// Stops the calling code here if its request was cancelled: unwinds to the request's root
/// (through `join`s, scopes and loops, like a panic, but printing nothing), and the handle
/// resolves `Cancelled`. Does nothing if the request was not cancelled, and outside requests.
///
/// ```
/// use ontime_core::{Request, ThreadPool};
/// let pool = ThreadPool::new(2).unwrap();
/// let (started_tx, started) = std::sync::mpsc::channel();
/// let h = pool.submit(Request::new(move || {
///     started_tx.send(()).unwrap();
///     fn walk(depth: u32) -> u64 {
///         ontime_core::cancellation_point();
///         if depth == 0 { return 1; }
///         let (a, b) = ontime_core::join(|| walk(depth - 1), || walk(depth - 1));
///         a + b
///     }
///     loop { walk(12); }
/// }));
/// started.recv().unwrap();
/// h.cancel();
/// assert!(h.wait().unwrap_err().is_cancelled());
/// ```
pub fn cancellation_point() {
    if is_cancelled() {
        raise()
    }
}
