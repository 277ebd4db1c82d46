//! The shutdown gate: lets callers from outside a pool in until shutdown, and tells exiting
//! workers when no admitted caller can still push a job.
//!
//! # Protocol
//! The check and the push must not race with the workers' exit, or a job pushed just after
//! the last worker looked would never run (and its caller would hang). Protocol, all SeqCst:
//! - a caller from outside increments `entering`, then reads `closed` (`Gate::try_enter`); if
//!   set, it decrements and panics; else it pushes its job and only then decrements (drops its
//!   `Pass`);
//! - `terminate` sets `closed` (`Gate::close`) before the workers' terminate latches; an
//!   exiting worker reads `entering` (`Gate::is_quiet`) *before* each final search for work,
//!   and exits only after a search that followed a reading of zero found nothing.
//!
//! Why no job is lost: a SeqCst fence separates each side's write from its read (the
//! caller's increment from its read of `closed`; the store of `closed` from every later read
//! of `entering`). The two fences are ordered one way or the other. If the caller's fence
//! comes first, the closer's later reads of `entering` see the increment; if the closer's
//! comes first, the caller's read of `closed` sees `true` and it pushes nothing. So take a
//! caller whose read saw `false`: an exiting worker (its reads happen after `close`, since it
//! saw its terminate latch, set after `close`) sees the increment, and reads zero only once
//! the caller has decremented (release), that is, after the push (the SeqCst load acquires
//! it): the search that follows finds the job. A caller whose read saw `true` pushes nothing.
//! (The fences are needed in the model, not only in the proof: loom treats SeqCst accesses
//! as acquire/release, and without them it finds this exact interleaving losing the job.)
//!
//! Checked by the loom model `a_caller_racing_shutdown_is_refused_or_its_job_is_drained`.

use crate::sync::{fence, AtomicBool, AtomicUsize, Ordering};

/// The `entering` count and the `closed` flag of the protocol above.
#[derive(Debug)]
pub(crate) struct Gate {
    entering: AtomicUsize,
    closed: AtomicBool,
}

/// A caller let in: it pushes its job, then drops the pass.
#[derive(Debug)]
pub(crate) struct Pass<'a>(&'a Gate);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.0.entering.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gate {
    pub(crate) fn new() -> Self {
        Gate {
            entering: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Lets a caller in, or `None` once the gate is closed.
    pub(crate) fn try_enter(&self) -> Option<Pass<'_>> {
        let pass = self.enter_always();
        // Dekker with `close`: the fence orders our increment before our read of `closed`,
        // and pairs with the fence there (see "Why no job is lost").
        fence(Ordering::SeqCst);
        if self.is_closed() {
            return None; // dropping the pass undoes the count
        }
        Some(pass)
    }

    /// Counts a caller that may not be refused (a scope's spawn: its owner is a live worker
    /// waiting for it), so exiting workers still wait for its push.
    pub(crate) fn enter_always(&self) -> Pass<'_> {
        self.entering.fetch_add(1, Ordering::SeqCst);
        Pass(self)
    }

    /// Closes the gate (shutdown); true the first time.
    pub(crate) fn close(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::SeqCst);
        // Pairs with the fence in `try_enter`: every read of `entering` that happens after
        // this (the exiting workers') sees the increment of any caller that saw `closed` false.
        fence(Ordering::SeqCst);
        first
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// No caller is between its check and the end of its push. An exiting worker reads this
    /// *before* a search for work, and exits only if it was true and the search found nothing.
    pub(crate) fn is_quiet(&self) -> bool {
        self.entering.load(Ordering::SeqCst) == 0
    }
}
