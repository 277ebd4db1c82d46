//! The submitter's side of a request: a one-shot slot the request's root job fills.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::book::RequestBook;
use super::context::{CancelFrom, RequestCtx};
use super::view::Outcome;
use crate::hooks::PanicReporter;
use crate::latch::{CrossLatch, Latch};
use crate::sync::{lock, wait, Arc, AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};
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

/// Why a request gave no value: its closure panicked, or it was cancelled
/// ([`RequestHandle::cancel`]). The worker survived either way.
///
/// ```
/// let pool = ontime_core::ThreadPool::new(1).unwrap();
/// let err = pool
///     .submit(ontime_core::Request::new(|| -> u32 { panic!("boom") }))
///     .wait()
///     .unwrap_err();
/// assert_eq!(err.to_string(), "request 0 panicked: boom");
/// assert!(err.is_panic() && !err.is_cancelled());
/// assert!(err.outcome().finish >= err.outcome().start);
/// ```
pub struct RequestError {
    kind: ErrorKind,
    outcome: Outcome,
}

enum ErrorKind {
    Panicked(Box<dyn Any + Send>),
    Cancelled,
    Rejected,
}

impl RequestError {
    pub(crate) fn panicked(payload: Box<dyn Any + Send>, outcome: Outcome) -> Self {
        RequestError {
            kind: ErrorKind::Panicked(payload),
            outcome,
        }
    }

    pub(crate) fn cancelled(outcome: Outcome) -> Self {
        RequestError {
            kind: ErrorKind::Cancelled,
            outcome,
        }
    }

    pub(crate) fn rejected(outcome: Outcome) -> Self {
        RequestError {
            kind: ErrorKind::Rejected,
            outcome,
        }
    }

    /// Whether the request was rejected unrun because it could no longer meet its target
    /// when a worker came to it ([`Request::reject_when_late`](crate::Request::reject_when_late),
    /// or a policy that rejects late requests). Its outcome has `start == finish`, the time
    /// of the rejection.
    pub fn is_rejected(&self) -> bool {
        matches!(self.kind, ErrorKind::Rejected)
    }

    /// When the request arrived, started and stopped. A request cancelled before it started
    /// has `start == finish`, the time of the cancel.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// Whether the request was cancelled ([`RequestHandle::cancel`]).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, ErrorKind::Cancelled)
    }

    /// Whether the request's closure panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, ErrorKind::Panicked(_))
    }

    /// The panic payload, e.g. to `std::panic::resume_unwind` it; `None` for a cancelled or
    /// rejected request.
    pub fn into_panic(self) -> Option<Box<dyn Any + Send>> {
        match self.kind {
            ErrorKind::Panicked(p) => Some(p),
            ErrorKind::Cancelled | ErrorKind::Rejected => None,
        }
    }
}

impl fmt::Debug for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RequestError");
        match &self.kind {
            ErrorKind::Panicked(p) => d.field("panic", &unwind::message(&**p)),
            ErrorKind::Cancelled => d.field("cancelled", &true),
            ErrorKind::Rejected => d.field("rejected", &true),
        };
        d.field("outcome", &self.outcome).finish()
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Panicked(p) => write!(
                f,
                "request {} panicked: {}",
                self.outcome.id,
                unwind::message(&**p)
            ),
            ErrorKind::Cancelled => write!(f, "request {} was cancelled", self.outcome.id),
            ErrorKind::Rejected => write!(
                f,
                "request {} was rejected: it could no longer meet its target when a worker came to it",
                self.outcome.id
            ),
        }
    }
}

impl std::error::Error for RequestError {}

type SlotValue<R> = Result<Finished<R>, RequestError>;

/// What the slot's mutex guards.
struct SlotState<R> {
    value: Option<SlotValue<R>>,
    /// A worker waiting for the value while it runs other work (see [`Slot::wait_on_worker`]).
    waiter: Option<*const CrossLatch>,
    /// The task of an async caller awaiting the handle (see [`Slot::poll_take`]).
    waker: Option<Waker>,
    /// The handle was dropped without taking the result: a panic goes to the reporter.
    abandoned: bool,
}

/// Filled exactly once by the request's root job; read once by the handle.
pub(crate) struct Slot<R> {
    state: Mutex<SlotState<R>>,
    ready: Condvar,
    done: AtomicBool,
    /// 1 + the index of the worker whose stack holds the request's running root frame;
    /// 0 before it starts and after it returns (see [`RequestHandle::wait`], "Deadlock").
    running_on: AtomicUsize,
    /// Where the panic of a request whose handle was dropped goes (the pool's handler).
    reporter: PanicReporter,
}

// SAFETY: the value is `Send` and moves between threads under the mutex; the waiter pointer
// is only dereferenced under the mutex, by the completing thread, while its owner is blocked
// in `wait_on_worker` (which takes the mutex again before the latch goes away).
unsafe impl<R: Send> Send for Slot<R> {}
// SAFETY: as above: every access goes through the mutex or the atomic flag.
unsafe impl<R: Send> Sync for Slot<R> {}

impl<R> Slot<R> {
    pub(crate) fn new(reporter: PanicReporter) -> Self {
        Slot {
            state: Mutex::new(SlotState {
                value: None,
                waiter: None,
                waker: None,
                abandoned: false,
            }),
            ready: Condvar::new(),
            done: AtomicBool::new(false),
            running_on: AtomicUsize::new(0),
            reporter,
        }
    }

    /// The request's root frame starts (`Some(worker)`) or ends (`None`) on a worker.
    ///
    /// Relaxed: the only reading that can match is made by that same worker (`runs_on` with
    /// its own index), which sees its own writes in program order; any other worker reads
    /// either 0 or another worker's index, and neither matches it.
    pub(crate) fn set_running_on(&self, worker: Option<usize>) {
        self.running_on
            .store(worker.map_or(0, |w| w + 1), Ordering::Relaxed);
    }

    /// Whether the request's root frame is running on `worker` of its pool.
    fn runs_on(&self, worker: usize) -> bool {
        self.running_on.load(Ordering::Relaxed) == worker + 1
    }

    /// Stores the result and wakes the waiter. The value is written under the mutex before
    /// `done` is raised and before the notification, so a waiter that sees `done` or wakes
    /// up finds it; a waiter that checked before the write is already on the condvar or has
    /// registered its latch (it checks under the same mutex), so the wake-up cannot be lost.
    pub(crate) fn complete(&self, result: std::thread::Result<R>, outcome: Outcome) {
        let v = match result {
            Ok(value) => Ok(Finished { value, outcome }),
            Err(payload) => Err(RequestError::panicked(payload, outcome)),
        };
        self.resolve(v)
    }

    /// Stores `v` (a value, a panic, or a cancellation) and wakes whoever waits for it.
    pub(crate) fn resolve(&self, v: SlotValue<R>) {
        let mut g = lock(&self.state);
        if g.abandoned {
            // Nobody will read it: a panic goes to the pool's handler, a value is dropped.
            drop(g);
            self.done.store(true, Ordering::Release);
            if let Err(e) = v {
                self.report_orphan(e);
            }
            return;
        }
        g.value = Some(v);
        self.done.store(true, Ordering::Release);
        if let Some(latch) = g.waiter.take() {
            // SAFETY: the waiting worker registered the latch under this mutex and cannot
            // return from `wait_on_worker` (freeing it) before it takes the mutex again,
            // which we hold.
            unsafe { CrossLatch::set(latch) };
        }
        let waker = g.waker.take();
        drop(g);
        self.ready.notify_all();
        if let Some(w) = waker {
            // Woken outside the mutex: a waker may run arbitrary code (an executor's).
            w.wake();
        }
    }

    /// Resolves a request that never ran (cancelled or rejected before its closure started):
    /// its start and finish are `now`.
    pub(crate) fn resolve_unrun(
        &self,
        ctx: &RequestCtx,
        now: Duration,
        error: fn(Outcome) -> RequestError,
    ) {
        ctx.set_start(now);
        self.resolve(Err(error(ctx.outcome(now))));
    }

    /// The value if it is there; else keeps `waker` for `complete` to wake, and `None`.
    ///
    /// Both sides hold the mutex, so the race between a completion and a registration loses
    /// no wake-up: either this call sees the value, or `complete` (later, under the same
    /// mutex) sees the waker. Only the latest poll's waker is kept, as `Future` asks.
    pub(crate) fn poll_take(&self, waker: &Waker) -> Option<SlotValue<R>> {
        let mut g = lock(&self.state);
        if let Some(v) = g.value.take() {
            g.waker = None;
            return Some(v);
        }
        match &g.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => g.waker = Some(waker.clone()),
        }
        None
    }

    /// Blocks the calling thread until the value is there or `timeout` has passed.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> Option<SlotValue<R>> {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut g = lock(&self.state);
        loop {
            if let Some(v) = g.value.take() {
                return Some(v);
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(std::time::Instant::now()),
                // Too far to represent: as good as forever.
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return None;
            }
            g = crate::sync::wait_timeout(&self.ready, g, left);
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Blocks the calling thread until the value is there.
    pub(crate) fn wait(&self) -> SlotValue<R> {
        let mut g = lock(&self.state);
        loop {
            if let Some(v) = g.value.take() {
                return v;
            }
            g = wait(&self.ready, g);
        }
    }

    /// Waits on a worker thread: runs the worker's pool's work until the value is there.
    pub(crate) fn wait_on_worker(&self, wt: &WorkerThread) -> SlotValue<R> {
        let latch = CrossLatch::new(&wt.registry().sleep, wt.index());
        // SAFETY: `latch` stays in this frame until `take_after_latch` below returns.
        if let Some(v) = unsafe { self.take_or_register(&latch) } {
            return v;
        }
        wt.wait_until(&latch.core);
        self.take_after_latch()
    }

    /// The value if it is there; else registers `latch` for `complete` to set, and `None`.
    ///
    /// # Safety
    /// After `None`, `latch` must stay alive and unmoved until [`take_after_latch`]
    /// (Self::take_after_latch) has returned; the caller waits for the latch in between.
    pub(crate) unsafe fn take_or_register(&self, latch: &CrossLatch) -> Option<SlotValue<R>> {
        let mut g = lock(&self.state);
        if let Some(v) = g.value.take() {
            return Some(v);
        }
        g.waiter = Some(latch);
        None
    }

    /// The value, once the latch registered by `take_or_register` is set. Takes the mutex,
    /// so it returns only after `complete` (which sets the latch under it) has let go of the
    /// latch: the caller may then free it.
    pub(crate) fn take_after_latch(&self) -> SlotValue<R> {
        let mut g = lock(&self.state);
        g.waiter = None;
        g.value
            .take()
            .expect("ontime: a request's latch was set without its value")
    }

    /// The handle is gone without having taken the result: a panic already stored goes to
    /// the reporter now, one still to come when it is stored (`complete`). Both sides hold the
    /// mutex, so exactly one of them reports it.
    fn abandon(&self) {
        let mut g = lock(&self.state);
        g.abandoned = true;
        g.waker = None;
        let orphan = g.value.take();
        drop(g);
        if let Some(Err(e)) = orphan {
            self.report_orphan(e);
        }
    }

    /// A panic nobody will read goes to the pool's handler; a cancellation is no news.
    fn report_orphan(&self, e: RequestError) {
        if let Some(p) = e.into_panic() {
            self.reporter
                .report("a request whose handle was dropped", p);
        }
    }

    pub(crate) fn try_take(&self) -> Option<SlotValue<R>> {
        if !self.is_done() {
            return None;
        }
        lock(&self.state).value.take()
    }
}

/// The caller's handle on a submitted request.
///
/// Dropping it does not cancel the request (unless it was submitted with
/// [`Request::cancel_on_drop`](crate::Request::cancel_on_drop)): it still runs and still
/// counts in the pool's statistics; its value is dropped, and its panic, if it panics, goes
/// to the pool's `panic_handler` (nobody else would see it).
pub struct RequestHandle<R> {
    slot: Arc<Slot<R>>,
    /// The pool's process-unique id (`ThreadPool::id`), to recognise its own workers.
    pool: u64,
    taken: bool,
    /// The request's state, for [`cancel`](Self::cancel).
    ctx: Arc<RequestCtx>,
    book: Arc<RequestBook>,
    cancel_on_drop: bool,
    /// A future request's waker: a cancel wakes it, so its future is dropped promptly.
    cancel_waker: Option<Waker>,
}

impl<R> fmt::Debug for RequestHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHandle")
            .field("pool", &self.pool)
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}

impl<R> RequestHandle<R> {
    pub(crate) fn new(
        slot: Arc<Slot<R>>,
        pool: u64,
        ctx: Arc<RequestCtx>,
        book: Arc<RequestBook>,
        cancel_on_drop: bool,
    ) -> Self {
        RequestHandle {
            slot,
            pool,
            taken: false,
            ctx,
            book,
            cancel_on_drop,
            cancel_waker: None,
        }
    }

    /// A future request's handle wakes its future when cancelled (`future.rs`).
    #[cfg(not(loom))]
    pub(crate) fn set_cancel_waker(&mut self, waker: Waker) {
        self.cancel_waker = Some(waker);
    }

    /// Cancels the request. Returns true if it will resolve `Cancelled`
    /// ([`RequestError::is_cancelled`]), false if it had already finished (its result stands).
    ///
    /// - **Queued** (not started): it is taken out of the queue's count at once (a
    ///   [`max_queued`](crate::ThreadPoolBuilder::max_queued) bound frees its place), its
    ///   handle resolves `Cancelled` now, and its closure never runs.
    /// - **Running**: it is told. Its loops and parallel iterators stop at their next block
    ///   boundary (unwinding to the request's root, printing nothing), code that checks
    ///   [`is_cancelled`](crate::is_cancelled) or calls
    ///   [`cancellation_point`](crate::cancellation_point) stops there, and the handle resolves
    ///   `Cancelled` when the closure returns; whatever it returns is dropped. A closure that
    ///   never looks keeps running to its end. A panic of its own still resolves as a panic.
    ///
    /// Calling it again, or from several threads, is harmless. Cancelled requests count in
    /// [`PoolStats::cancelled`](crate::PoolStats::cancelled), not in `met` or `missed`.
    ///
    /// ```
    /// use ontime_core::{Request, ThreadPool};
    /// let pool = ThreadPool::new(1).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let (started_tx, started) = std::sync::mpsc::channel();
    /// let busy = pool.submit(Request::new(move || { started_tx.send(()).unwrap(); rx.recv().unwrap() }));
    /// started.recv().unwrap();
    /// let queued = pool.submit(Request::new(|| unreachable!("never runs")));
    /// assert!(queued.cancel());
    /// let err = queued.wait().unwrap_err();
    /// assert!(err.is_cancelled());
    /// tx.send(()).unwrap();
    /// busy.wait().unwrap();
    /// ```
    pub fn cancel(&self) -> bool {
        match self.ctx.cancel() {
            from @ (CancelFrom::Queued | CancelFrom::Scheduled) => {
                match from {
                    CancelFrom::Queued => self.book.unqueue(),
                    _ => {
                        self.book.scheduled.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                self.book.cancelled.fetch_add(1, Ordering::Relaxed);
                let now = self.book.now_or(self.ctx.arrival);
                self.slot
                    .resolve_unrun(&self.ctx, now, RequestError::cancelled);
                true
            }
            CancelFrom::Running => {
                if let Some(w) = &self.cancel_waker {
                    w.wake_by_ref();
                }
                true
            }
            CancelFrom::Again => true,
            CancelFrom::Finished => false,
        }
    }

    /// Whether the request has finished (its value is ready).
    pub fn is_finished(&self) -> bool {
        self.slot.is_done()
    }

    /// Whether a worker has started the request (it left the queue and was not cancelled
    /// there). A server that gives up on a request still queued at its deadline can
    /// [`cancel`](Self::cancel) it and answer "busy" at once; one already started may be worth
    /// its late answer.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// let h = pool.submit(ontime_core::Request::new(|| 1));
    /// let started_or_not = h.is_started(); // either, depending on the worker
    /// assert_eq!(h.wait().unwrap().value, 1);
    /// # let _ = started_or_not;
    /// ```
    pub fn is_started(&self) -> bool {
        self.ctx.was_started()
    }

    /// The id of the pool the request was submitted to ([`ThreadPool::id`](crate::ThreadPool::id)).
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// let h = pool.submit(ontime_core::Request::new(|| 1));
    /// assert_eq!(h.pool_id(), pool.id());
    /// ```
    pub fn pool_id(&self) -> u64 {
        self.pool
    }

    /// Waits until the request has finished; returns its value and outcome, or its panic.
    ///
    /// Outside any pool this blocks the thread. On a worker thread (of any pool, the
    /// request's own included) the worker keeps running its pool's work while it waits, the
    /// request itself among it if it is still queued, so waiting on a worker never deadlocks
    /// the pool.
    ///
    /// # Deadlock
    /// A worker that waits freezes everything beneath the wait on its own stack. A worker
    /// that is running a request and waits inside it (for a stolen fork, say) may take on
    /// other work nested above it; if that work then waits for the suspended request, neither
    /// can ever finish. That case is detected and panics (below). Longer cycles, through
    /// several workers or through a stolen fork, are not detected: as with any blocking wait
    /// inside a work-stealing pool, wait on a worker only for requests that do not depend on
    /// work suspended beneath the wait, typically requests the waiting code submitted itself.
    ///
    /// # Panics
    /// After [`try_wait`](Self::try_wait) already returned the result, and when called on the
    /// worker whose stack holds the request's running root frame beneath this call (the wait
    /// could never end; wait from outside the pool, or from the code that submitted it).
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// let h = pool.submit(ontime_core::Request::new(|| 6 * 7));
    /// assert_eq!(h.wait().unwrap().value, 42);
    ///
    /// // Waiting on the pool's only worker runs the request there.
    /// let v = pool.install(|| pool.submit(ontime_core::Request::new(|| 7)).wait().unwrap().value);
    /// assert_eq!(v, 7);
    /// ```
    pub fn wait(mut self) -> Result<Finished<R>, RequestError> {
        assert!(
            !self.taken,
            "ontime: RequestHandle::wait after try_wait returned the result"
        );
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        let r = match unsafe { wt.as_ref() } {
            Some(wt) => {
                self.refuse_self_deadlock(wt, "wait");
                self.slot.wait_on_worker(wt)
            }
            None => self.slot.wait(),
        };
        // Taken: the drop that follows has nothing to hand over (no second lock).
        self.taken = true;
        r
    }

    /// Panics if the request's root frame is suspended beneath the caller on its worker.
    fn refuse_self_deadlock(&self, wt: &WorkerThread, what: &str) {
        if wt.registry().id == self.pool && self.slot.runs_on(wt.index()) {
            panic!(
                "ontime: RequestHandle::{what} on worker {} of pool #{} would never finish: the                  request is running on this same worker, suspended beneath this call (the                  worker took on the waiting code while the request itself waited). Wait for it                  from outside the pool, or from the code that submitted it",
                wt.index(),
                self.pool
            );
        }
    }

    /// Waits until the request has finished or `timeout` has passed; `None` on timeout (the
    /// handle stays usable: wait again, or drop it). Returns the result once, like
    /// [`try_wait`](Self::try_wait).
    ///
    /// Outside any pool this blocks the thread. On a worker it keeps running its pool's work
    /// while it waits (checking the clock between tasks), as [`wait`](Self::wait) does.
    ///
    /// # Panics
    /// As [`wait`](Self::wait), on the worker whose stack holds the request's running root
    /// frame beneath this call.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let mut h = pool.submit(ontime_core::Request::new(move || rx.recv().map(|_| 5)));
    /// assert!(h.wait_timeout(Duration::from_millis(10)).is_none(), "still blocked");
    /// tx.send(()).unwrap();
    /// let r = h.wait_timeout(Duration::from_secs(60)).expect("finished");
    /// assert_eq!(r.unwrap().value, Ok(5));
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<Finished<R>, RequestError>> {
        if self.taken {
            return None;
        }
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        let r = match unsafe { wt.as_ref() } {
            Some(wt) => {
                self.refuse_self_deadlock(wt, "wait_timeout");
                let deadline = std::time::Instant::now().checked_add(timeout);
                loop {
                    if let Some(v) = self.slot.try_take() {
                        break Some(v);
                    }
                    if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                        break None;
                    }
                    wt.help_once();
                    std::thread::yield_now();
                }
            }
            None => self.slot.wait_timeout(timeout),
        };
        self.taken = r.is_some();
        r
    }

    /// The result if the request has finished, without blocking; `None` while it runs.
    /// Returns the result once; later calls return `None`.
    ///
    /// Called on a worker of the request's own pool while the request is unfinished, it
    /// first runs one task of the pool, if one is ready (possibly this very request), so a
    /// loop polling `try_wait` on a worker makes progress instead of starving the request.
    ///
    /// # Panics
    /// On the worker whose stack holds the request's running root frame beneath this call,
    /// where polling could never see it finish (see [`wait`](Self::wait), "Deadlock").
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
        if !self.slot.is_done() {
            let wt = WorkerThread::current();
            // SAFETY: a non-null current worker pointer is valid on its own thread.
            if let Some(wt) = unsafe { wt.as_ref() }.filter(|wt| wt.registry().id == self.pool) {
                self.refuse_self_deadlock(wt, "try_wait");
                wt.help_once();
            }
        }
        let r = self.slot.try_take();
        self.taken = r.is_some();
        r
    }
}

/// Dropping a handle that has not returned the result lets the request run on (it is not
/// cancelled); if it panics, or had panicked, the panic goes to the pool's `panic_handler`
/// (or stderr), since nobody else will see it.
impl<R> Drop for RequestHandle<R> {
    fn drop(&mut self) {
        if !self.taken {
            if self.cancel_on_drop {
                self.cancel();
            }
            self.slot.abandon();
        }
        // Before the reference goes (see `RequestCtx::outside_refs`).
        self.ctx.release_handle();
    }
}

/// Awaiting a handle gives the request's result, on any executor: the handle keeps the
/// awaiting task's [`Waker`] and the request's completion wakes it (no thread blocks).
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::sync::Arc;
/// use std::task::{Context, Poll, Wake, Waker};
///
/// // A minimal executor: poll, and park the thread until woken.
/// struct Unpark(std::thread::Thread);
/// impl Wake for Unpark {
///     fn wake(self: Arc<Self>) { self.0.unpark() }
/// }
/// fn block_on<F: Future>(f: F) -> F::Output {
///     let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
///     let mut cx = Context::from_waker(&waker);
///     let mut f = pin!(f);
///     loop {
///         if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
///         std::thread::park();
///     }
/// }
///
/// let pool = ontime_core::ThreadPool::new(2).unwrap();
/// let h = pool.submit(ontime_core::Request::new(|| 6 * 7));
/// assert_eq!(block_on(h).unwrap().value, 42);
/// ```
///
/// # Panics
/// When polled again after it returned `Ready`, or after [`try_wait`](RequestHandle::try_wait)
/// or [`wait_timeout`](RequestHandle::wait_timeout) returned the result.
impl<R> Future for RequestHandle<R> {
    type Output = Result<Finished<R>, RequestError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(
            !self.taken,
            "ontime: a RequestHandle was polled after it returned its result"
        );
        match self.slot.poll_take(cx.waker()) {
            Some(v) => {
                self.taken = true;
                Poll::Ready(v)
            }
            None => Poll::Pending,
        }
    }
}
