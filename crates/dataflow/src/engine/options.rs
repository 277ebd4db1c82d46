//! Run control: [`RunOptions`] bound a run (`max_activations`), end it at the first task
//! panic (`stop_on_error`), or let another thread end it ([`RunCancel`]).
//!
//! # How a run stops
//! A stopping run does not interrupt a running task; it stops *starting* them. Before a node's
//! task runs, the engine reads the run's stop state (one relaxed load and one branch when no
//! option is set);
//! once the run is stopping, a node that comes up is skipped: its task does not run, it
//! activates no successor, and a multiple-use node is not re-armed (the next run arms every
//! node again). Skipping keeps the engines' exact termination: a skipped node ends its
//! activation as a run would, so the run ends as soon as the tasks already running return.
//! The skipped nodes are reported in [`RunReport::pending`](crate::RunReport::pending), with
//! the nodes that were left holding some of their inputs.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use super::trace::{Span, Trace};
use crate::sync::lock;

/// How a run is bounded and stopped; `RunOptions::default()` runs to completion, as
/// `run_parallel` and `run_sequential` do.
///
/// ```
/// use ontime_dataflow::{RunCancel, RunOptions};
/// let cancel = RunCancel::new();
/// let opts = RunOptions::new().max_activations(10_000).stop_on_error(true).cancel(&cancel);
/// assert_eq!(opts.max_activations_limit(), Some(10_000));
/// ```
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    max_activations: Option<u64>,
    stop_on_error: bool,
    cancel: Option<RunCancel>,
    trace: Option<Trace>,
}

impl RunOptions {
    /// Options that change nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ends the run with an error
    /// ([`RunErrorKind::ActivationLimit`](crate::RunErrorKind::ActivationLimit)) once `n`
    /// task runs have started: a loop that never stops (a cycle with no exit condition) ends
    /// instead of running forever.
    pub fn max_activations(mut self, n: u64) -> Self {
        self.max_activations = Some(n);
        self
    }

    /// The activation bound, if any.
    pub fn max_activations_limit(&self) -> Option<u64> {
        self.max_activations
    }

    /// Ends the run at the first task panic instead of letting every other activated node
    /// run (the default). The run still returns the panic as its error.
    pub fn stop_on_error(mut self, on: bool) -> Self {
        self.stop_on_error = on;
        self
    }

    /// Records every task run (node, thread, start, end) into `trace`, which writes them as
    /// Chrome trace-event JSON for Perfetto ([`Trace`]).
    pub fn trace(mut self, trace: &Trace) -> Self {
        self.trace = Some(trace.clone());
        self
    }

    /// Lets another thread end the run with `cancel` ([`RunCancel::cancel`]); the run then
    /// returns [`RunErrorKind::Cancelled`](crate::RunErrorKind::Cancelled).
    pub fn cancel(mut self, cancel: &RunCancel) -> Self {
        self.cancel = Some(cancel.clone());
        self
    }
}

/// Ends a run from another thread ([`RunOptions::cancel`]). Clones share the flag; once
/// cancelled it stays cancelled (make a new one for the next run).
///
/// ```
/// let c = ontime_dataflow::RunCancel::new();
/// let other = c.clone();
/// other.cancel();
/// assert!(c.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct RunCancel(Arc<AtomicBool>);

impl RunCancel {
    /// A flag not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every run that was given this flag: no task starts after this.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The run's stop state (`Control::stop`).
pub(crate) mod stop {
    /// Running, nothing to check.
    pub(crate) const NO: u8 = 0;
    /// Running; options are set, so each activation takes the slow path to check them.
    pub(crate) const CHECK: u8 = 4;
    pub(crate) const LIMIT: u8 = 1;
    pub(crate) const CANCELLED: u8 = 2;
    pub(crate) const ERROR: u8 = 3;
}

/// One run's options and stop state, kept by the engine.
#[derive(Debug, Default)]
pub(crate) struct Control {
    max: Option<u64>,
    stop_on_error: bool,
    cancel: Option<RunCancel>,
    tracing: Option<Tracing>,
    started: AtomicU64,
    stop: AtomicU8,
}

/// A run's trace and its per-worker buffers, fetched once per run so that recording takes no
/// shared lock.
#[derive(Debug)]
pub(crate) struct Tracing {
    trace: Trace,
    /// Index 0: threads outside the pool; `w + 1`: worker `w`.
    buffers: Vec<Arc<Mutex<Vec<Span>>>>,
}

impl Tracing {
    pub(crate) fn trace(&self) -> &Trace {
        &self.trace
    }

    pub(crate) fn now(&self) -> u64 {
        self.trace.now()
    }

    /// Node `node` ran from `start` until now, on the calling thread.
    pub(crate) fn record(&self, node: u32, start: u64) {
        let end = self.trace.now();
        let worker = ontime_core::current_thread_index();
        let span = Span {
            node,
            worker: worker.map(|w| w as u32),
            start_ns: start,
            end_ns: end,
        };
        let slot = worker.map_or(0, |w| w + 1);
        match self.buffers.get(slot) {
            Some(b) => lock(b).push(span),
            // A worker of another pool (a run entered from there): the slower shared path.
            None => lock(&self.trace.buffer(worker)).push(span),
        }
    }
}

impl Control {
    /// Before a run (under `&mut Engine`).
    pub(crate) fn reset(&mut self, opts: &RunOptions, workers: usize) {
        self.max = opts.max_activations;
        self.stop_on_error = opts.stop_on_error;
        self.cancel = opts.cancel.clone();
        self.tracing = opts.trace.as_ref().map(|t| Tracing {
            trace: t.clone(),
            buffers: (0..=workers).map(|w| t.buffer(w.checked_sub(1))).collect(),
        });
        *self.started.get_mut() = 0;
        let checks = self.max.is_some() || self.cancel.is_some() || self.tracing.is_some();
        *self.stop.get_mut() = if checks { stop::CHECK } else { stop::NO };
    }

    /// `Some(state)` if the node about to run must take the slow path ([`skip_slow`]
    /// (Self::skip_slow), tracing): one relaxed load when no option is set.
    #[inline]
    pub(crate) fn active(&self) -> Option<u8> {
        let s = self.stop.load(Ordering::Relaxed);
        (s != stop::NO).then_some(s)
    }

    /// The run's trace, if it records one.
    pub(crate) fn tracing(&self) -> Option<&Tracing> {
        self.tracing.as_ref()
    }

    /// Whether the node about to run must be skipped instead (module docs).
    #[cold]
    #[inline(never)]
    pub(crate) fn skip_slow(&self, s: u8) -> bool {
        if s != stop::CHECK {
            return true;
        }
        if self.cancel.as_ref().is_some_and(RunCancel::is_cancelled) {
            self.raise(stop::CANCELLED);
            return true;
        }
        if let Some(max) = self.max {
            if self.started.fetch_add(1, Ordering::Relaxed) >= max {
                self.raise(stop::LIMIT);
                return true;
            }
        }
        false
    }

    /// A task panicked.
    pub(crate) fn task_failed(&self) {
        if self.stop_on_error {
            self.raise(stop::ERROR);
        }
    }

    /// The first reason to stop wins.
    fn raise(&self, why: u8) {
        let _ = self
            .stop
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |s| {
                (s == stop::NO || s == stop::CHECK).then_some(why)
            });
    }

    /// Why the run stopped, `NO` if it did not (after it, under `&mut`).
    pub(crate) fn stopped(&mut self) -> u8 {
        match *self.stop.get_mut() {
            stop::CHECK => stop::NO,
            s => s,
        }
    }

    pub(crate) fn limit(&self) -> u64 {
        self.max.unwrap_or(u64::MAX)
    }
}
