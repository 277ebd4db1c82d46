//! Requests: units of work with a target latency, submitted to a pool as a stream.
//!
//! A [`Request`] wraps a closure with a target latency and optional class, cost hint and
//! priority. [`ThreadPool::submit`](crate::ThreadPool::submit) queues it in the policy's
//! admission queue and returns a [`RequestHandle`]; when a worker admits it, everything the
//! closure forks (`join`, `scope`, `spawn`, loops) carries the request's context, so the
//! policy can tell whose work a task is. The protocol (context propagation, the sharing
//! flag, the hand-back of stolen work, the timer's reviews) is described in `README.md`
//! beside this file.

pub(crate) mod admission;
pub(crate) mod book;
pub(crate) mod cancel;
pub(crate) mod context;
#[cfg(not(loom))]
pub(crate) mod future;
pub(crate) mod handle;
pub(crate) mod lifecycle;
pub(crate) mod poll_state;
pub(crate) mod schedule;
pub(crate) mod view;

use std::time::Duration;

pub use admission::{AdmissionQueue, FifoQueue, Queued};
pub use cancel::{cancellation_point, is_cancellation, is_cancelled};
#[cfg(not(loom))]
pub use future::FromFuture;
pub use handle::{Finished, RequestError, RequestHandle};
pub use schedule::Series;
pub use view::{Outcome, RequestAction, RequestFlags, RequestInfo, RequestView};

/// A request [`ThreadPool::try_submit`](crate::ThreadPool::try_submit) refused because the
/// pool's queue was full ([`max_queued`](crate::ThreadPoolBuilder::max_queued)); it holds the
/// request, unrun, so the caller can answer "busy", retry, or run it elsewhere.
///
/// ```
/// use ontime_core::{Rejected, Request, ThreadPoolBuilder};
/// let pool = ThreadPoolBuilder::new().num_threads(1).max_queued(1).build().unwrap();
/// let (tx, rx) = std::sync::mpsc::channel::<()>();
/// // One request holds the only worker; one waits in the queue: the queue is full.
/// let (started_tx, started) = std::sync::mpsc::channel();
/// let busy = pool.submit(Request::new(move || { started_tx.send(()).unwrap(); rx.recv().unwrap() }));
/// started.recv().unwrap();
/// let queued = pool.try_submit(Request::new(|| 1)).expect("room for one");
/// let Err(Rejected(req)) = pool.try_submit(Request::new(|| 2)) else { panic!("full") };
/// tx.send(()).unwrap();
/// busy.wait().unwrap();
/// assert_eq!(queued.wait().unwrap().value, 1);
/// // The refused request was given back unrun; it can still be submitted.
/// assert_eq!(pool.submit(req).wait().unwrap().value, 2);
/// assert_eq!(pool.stats().refused, 1);
/// ```
pub struct Rejected<T>(pub T);

impl<T> std::fmt::Debug for Rejected<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rejected(..)")
    }
}

impl<T> std::fmt::Display for Rejected<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the pool's request queue is full (max_queued)")
    }
}

impl<T> std::error::Error for Rejected<T> {}

/// A closure to run on a pool, with the latency it should meet.
///
/// ```
/// use std::time::Duration;
/// use ontime_core::{Request, ThreadPool};
///
/// let pool = ThreadPool::new(2).unwrap();
/// let handle = pool.submit(
///     Request::new(|| (0..1000u64).sum::<u64>())
///         .target(Duration::from_secs(1))
///         .class(0)
///         .priority(3),
/// );
/// let done = handle.wait().expect("no panic");
/// assert_eq!(done.value, 499_500);
/// assert!(done.outcome.finish >= done.outcome.start);
/// ```
pub struct Request<F> {
    pub(crate) f: F,
    pub(crate) info: RequestInfo,
    pub(crate) arrival: Option<Duration>,
    pub(crate) cancel_on_drop: bool,
    pub(crate) complete_on_close: bool,
    pub(crate) reject_when_late: bool,
}

impl<F> std::fmt::Debug for Request<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("info", &self.info)
            .field("arrival", &self.arrival)
            .field("cancel_on_drop", &self.cancel_on_drop)
            .finish_non_exhaustive()
    }
}

impl<F, R> Request<F>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    /// A request running `f`, with no target (it always counts as met), class 0, priority 0
    /// and no cost hint.
    pub fn new(f: F) -> Self {
        Request {
            f,
            info: RequestInfo::default(),
            arrival: None,
            cancel_on_drop: false,
            complete_on_close: false,
            reject_when_late: false,
        }
    }
}

/// The builder methods apply to every request, made from a closure or from a future.
impl<F> Request<F> {
    /// The latency the request should meet, measured from its arrival.
    pub fn target(mut self, target: Duration) -> Self {
        self.info.target = Some(target);
        self
    }

    /// A class label policies may route on (micropools: 0 = light, anything else = heavy).
    pub fn class(mut self, class: u32) -> Self {
        self.info.class = class;
        self
    }

    /// The expected serial running time, if the caller knows it.
    pub fn cost_hint(mut self, cost: Duration) -> Self {
        self.info.cost_hint = Some(cost);
        self
    }

    /// Priority level (higher is more urgent) for priority admission.
    pub fn priority(mut self, level: u8) -> Self {
        self.info.priority = level;
        self
    }

    /// Cancels the request when its handle is dropped without having returned the result
    /// (for a server whose client went away: drop the handle, and the work stops). By
    /// default a dropped handle lets the request run on.
    ///
    /// ```
    /// use ontime_core::{Request, ThreadPool};
    /// let pool = ThreadPool::new(1).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let (started_tx, started) = std::sync::mpsc::channel();
    /// let busy = pool.submit(Request::new(move || { started_tx.send(()).unwrap(); rx.recv().unwrap() }));
    /// started.recv().unwrap();
    /// // Queued behind `busy`; its client goes away.
    /// let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    /// let r = ran.clone();
    /// drop(pool.submit(Request::new(move || r.store(true, std::sync::atomic::Ordering::SeqCst)).cancel_on_drop()));
    /// tx.send(()).unwrap();
    /// busy.wait().unwrap();
    /// assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    /// assert_eq!(pool.stats().cancelled, 1);
    /// ```
    pub fn cancel_on_drop(mut self) -> Self {
        self.cancel_on_drop = true;
        self
    }

    /// Rejects the request, unrun, if it can no longer meet its target when a worker comes to
    /// it ([`RequestInfo::cannot_meet`]: its deadline passed, or its cost hint does not fit
    /// before it): its handle resolves with an error whose
    /// [`is_rejected`](crate::RequestError::is_rejected) is true, so a server can answer "busy"
    /// instead of computing a late answer, and the capacity goes to requests that can still
    /// make it. Counted in [`PoolStats::rejected`](crate::PoolStats::rejected). Without a
    /// target it is never rejected. A policy can ask this for every request
    /// ([`StealPolicy::rejects_late`](crate::StealPolicy::rejects_late)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::{Request, ThreadPool};
    /// let pool = ThreadPool::new(1).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let (started_tx, started) = std::sync::mpsc::channel();
    /// let busy = pool.submit(Request::new(move || { started_tx.send(()).unwrap(); rx.recv().unwrap() }));
    /// started.recv().unwrap();
    /// let late = pool.submit(Request::new(|| "too late").target(Duration::from_millis(1)).reject_when_late());
    /// std::thread::sleep(Duration::from_millis(5)); // its deadline passes while it waits
    /// tx.send(()).unwrap();
    /// busy.wait().unwrap();
    /// let err = late.wait().unwrap_err();
    /// assert!(err.is_rejected());
    /// assert_eq!(pool.stats().rejected, 1);
    /// ```
    pub fn reject_when_late(mut self) -> Self {
        self.reject_when_late = true;
        self
    }

    /// Runs the request even if the pool is closed with [`CloseMode::Cancel`](crate::CloseMode::Cancel)
    /// (crate::CloseMode::Cancel) before it starts (a write that must reach the disk, say).
    /// See [`ThreadPool::close`](crate::ThreadPool::close).
    pub fn complete_on_close(mut self) -> Self {
        self.complete_on_close = true;
        self
    }

    /// The arrival time, on the pool's clock ([`ThreadPool::now`](crate::ThreadPool::now)).
    /// Defaults to the time of `submit`. Open-loop load generators set the *scheduled*
    /// arrival, so a generator running late does not hide queueing delay.
    pub fn arrival(mut self, at: Duration) -> Self {
        self.arrival = Some(at);
        self
    }
}
