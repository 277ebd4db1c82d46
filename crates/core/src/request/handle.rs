//! The submitter's side of a request: a one-shot slot the request's root job fills.

use std::any::Any;
use std::fmt;

use super::view::Outcome;
use crate::sync::{lock, wait, Arc, AtomicBool, Condvar, Mutex, Ordering};
use crate::unwind;
use crate::worker::WorkerThread;

/// A finished request: the value its closure returned and its [`Outcome`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Finished<R> {
    /// What the closure returned.
    pub value: R,
    /// Arrival, start, finish, target.
    pub outcome: Outcome,
}

/// A request whose closure panicked. The worker survived; the panic is carried here.
///
/// ```
/// let pool = ontime_core::ThreadPool::new(1).unwrap();
/// let err = pool
///     .submit(ontime_core::Request::new(|| -> u32 { panic!("boom") }))
///     .wait()
///     .unwrap_err();
/// assert_eq!(err.to_string(), "request 0 panicked: boom");
/// assert!(err.outcome().finish >= err.outcome().start);
/// ```
pub struct RequestError {
    payload: Box<dyn Any + Send>,
    outcome: Outcome,
}

impl RequestError {
    /// When the request arrived, started and stopped.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The panic payload, e.g. to `std::panic::resume_unwind` it.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestError")
            .field("panic", &unwind::message(&*self.payload))
            .field("outcome", &self.outcome)
            .finish()
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request {} panicked: {}",
            self.outcome.id,
            unwind::message(&*self.payload)
        )
    }
}

impl std::error::Error for RequestError {}

type SlotValue<R> = Result<Finished<R>, RequestError>;

/// Filled exactly once by the request's root job; read once by the handle.
pub(crate) struct Slot<R> {
    value: Mutex<Option<SlotValue<R>>>,
    ready: Condvar,
    done: AtomicBool,
}

impl<R> Slot<R> {
    pub(crate) fn new() -> Self {
        Slot {
            value: Mutex::new(None),
            ready: Condvar::new(),
            done: AtomicBool::new(false),
        }
    }

    /// Stores the result and wakes the waiter. The value is written under the mutex before
    /// `done` is raised and before the notification, so a waiter that sees `done` or wakes
    /// up finds it; a waiter that checked before the write is already on the condvar (it
    /// checks under the same mutex), so the notification cannot be lost.
    pub(crate) fn complete(&self, result: std::thread::Result<R>, outcome: Outcome) {
        let v = match result {
            Ok(value) => Ok(Finished { value, outcome }),
            Err(payload) => Err(RequestError { payload, outcome }),
        };
        let mut g = lock(&self.value);
        *g = Some(v);
        self.done.store(true, Ordering::Release);
        drop(g);
        self.ready.notify_all();
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    pub(crate) fn wait(&self) -> SlotValue<R> {
        let mut g = lock(&self.value);
        loop {
            if let Some(v) = g.take() {
                return v;
            }
            g = wait(&self.ready, g);
        }
    }

    pub(crate) fn try_take(&self) -> Option<SlotValue<R>> {
        if !self.is_done() {
            return None;
        }
        lock(&self.value).take()
    }
}

/// The caller's handle on a submitted request.
///
/// Dropping it does not cancel the request: it still runs and still counts in the pool's
/// statistics; only its value is dropped.
pub struct RequestHandle<R> {
    pub(crate) slot: Arc<Slot<R>>,
    /// Address of the pool's registry, to refuse waiting on one's own workers.
    pub(crate) registry: usize,
    pub(crate) taken: bool,
}

impl<R> fmt::Debug for RequestHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHandle")
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}

impl<R> RequestHandle<R> {
    /// Whether the request has finished (its value is ready).
    pub fn is_finished(&self) -> bool {
        self.slot.is_done()
    }

    /// Blocks until the request has finished; returns its value and outcome, or its panic.
    ///
    /// # Panics
    /// If called on one of the request's own pool's worker threads (it could wait for work
    /// that only that worker would run), or after [`try_wait`](Self::try_wait) already
    /// returned the result.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let h = pool.submit(ontime_core::Request::new(|| 6 * 7));
    /// assert_eq!(h.wait().unwrap().value, 42);
    /// ```
    pub fn wait(self) -> Result<Finished<R>, RequestError> {
        assert!(
            !self.taken,
            "ontime: RequestHandle::wait after try_wait returned the result"
        );
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        if let Some(wt) = unsafe { wt.as_ref() } {
            assert!(
                wt.registry() as *const _ as usize != self.registry,
                "ontime: RequestHandle::wait called on a worker of the request's own pool; \
                 it could wait for work only this worker would run (poll try_wait instead)"
            );
        }
        self.slot.wait()
    }

    /// The result if the request has finished, without blocking; `None` while it runs.
    /// Returns the result once; later calls return `None`.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// let mut h = pool.submit(ontime_core::Request::new(|| "done"));
    /// let r = loop {
    ///     if let Some(r) = h.try_wait() { break r; }
    ///     std::thread::yield_now();
    /// };
    /// assert_eq!(r.unwrap().value, "done");
    /// assert!(h.try_wait().is_none());
    /// ```
    pub fn try_wait(&mut self) -> Option<Result<Finished<R>, RequestError>> {
        if self.taken {
            return None;
        }
        let r = self.slot.try_take();
        self.taken = r.is_some();
        r
    }
}
