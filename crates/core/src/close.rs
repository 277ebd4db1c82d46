//! Closing a pool without blocking: [`ThreadPool::close`] with a [`CloseMode`], and the
//! [`Closed`] handle that is waited on or awaited until every worker has exited.
//!
//! # Protocol
//! `close` records the mode (`Registry::close_mode`, raised once, before anything else) and
//! then shuts the pool down as `shutdown` does (`Registry::terminate`: the gate closes, the
//! schedule resolves what waits, every worker is told to exit once the queues are empty),
//! without joining. Under [`CloseMode::Cancel`] a worker that pops a request which has not
//! started resolves it `Cancelled` instead of running it (`lifecycle::run_root` reads the
//! mode after it wins the start, so a request either ran or was cancelled, never both),
//! unless the request or its class was marked `complete_on_close`. Every worker, as its
//! thread ends, counts itself out of [`ExitSignal`]; the last one marks it done, under its
//! mutex, then notifies blocked waiters and wakes awaiting tasks. A waiter checks and
//! registers under the same mutex, so no wake-up is lost.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::pool::ThreadPool;
use crate::sync::{lock, wait, Arc, AtomicU8, AtomicUsize, Condvar, Mutex, Ordering};
use crate::worker::WorkerThread;

/// How [`ThreadPool::close`] treats requests that have not started.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseMode {
    /// Run everything already queued (requests, spawns), then stop: what dropping the pool
    /// does, without blocking the caller.
    Drain,
    /// Resolve every request that has not started with `Cancelled` (it never runs), except
    /// those marked [`complete_on_close`](crate::Request::complete_on_close) or of a class
    /// marked so ([`ThreadPoolBuilder::complete_on_close_class`](crate::ThreadPoolBuilder::complete_on_close_class)
    /// (crate::ThreadPoolBuilder::complete_on_close_class)); requests already running and
    /// other queued jobs (spawns) finish.
    Cancel,
}

/// `Registry::close_mode` values.
pub(crate) mod mode {
    pub(crate) const OPEN: u8 = 0;
    pub(crate) const DRAIN: u8 = 1;
    pub(crate) const CANCEL: u8 = 2;
}

/// Counts the pool's workers out as their threads end.
pub(crate) struct ExitSignal {
    left: AtomicUsize,
    state: Mutex<ExitState>,
    cv: Condvar,
}

struct ExitState {
    done: bool,
    wakers: Vec<Waker>,
}

impl ExitSignal {
    pub(crate) fn new(workers: usize) -> Self {
        ExitSignal {
            left: AtomicUsize::new(workers),
            state: Mutex::new(ExitState {
                done: workers == 0,
                wakers: Vec::new(),
            }),
            cv: Condvar::new(),
        }
    }

    /// A worker's thread ends (after its last job).
    pub(crate) fn worker_exited(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let wakers = {
            let mut g = lock(&self.state);
            g.done = true;
            std::mem::take(&mut g.wakers)
        };
        self.cv.notify_all();
        for w in wakers {
            w.wake();
        }
    }

    fn is_done(&self) -> bool {
        lock(&self.state).done
    }

    pub(crate) fn wait(&self) {
        let mut g = lock(&self.state);
        while !g.done {
            g = wait(&self.cv, g);
        }
    }

    pub(crate) fn poll(&self, waker: &Waker) -> bool {
        let mut g = lock(&self.state);
        if g.done {
            return true;
        }
        if !g.wakers.iter().any(|w| w.will_wake(waker)) {
            g.wakers.push(waker.clone());
        }
        false
    }
}

/// A pool that was closed ([`ThreadPool::close`]): wait on it, or await it, until every
/// worker has finished its last job and exited.
pub struct Closed {
    exit: Arc<ExitSignal>,
    pool: u64,
}

impl Closed {
    /// Whether every worker has exited.
    pub fn is_done(&self) -> bool {
        self.exit.is_done()
    }

    /// Blocks until every worker has exited.
    ///
    /// # Panics
    /// On one of the pool's own workers, which cannot exit while it waits.
    pub fn wait(self) {
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        if unsafe { wt.as_ref() }.is_some_and(|wt| wt.registry().id == self.pool) {
            panic!(
                "ontime: Closed::wait on a worker of pool #{} would never end (the worker \
                 cannot exit while it waits); wait from outside the pool",
                self.pool
            );
        }
        self.exit.wait()
    }
}

impl fmt::Debug for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed")
            .field("pool", &self.pool)
            .field("done", &self.is_done())
            .finish()
    }
}

/// Ready once every worker has exited; the last one to exit wakes the awaiting task.
impl Future for Closed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.exit.poll(cx.waker()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl ThreadPool {
    /// Closes the pool without blocking: from now on it takes no new work from outside its
    /// own workers (as after [`shutdown`](Self::shutdown)); what is queued is run or, under
    /// [`CloseMode::Cancel`], requests not yet started resolve `Cancelled`. Requests
    /// scheduled for later resolve `Cancelled` in either mode (their instant never comes).
    /// The returned [`Closed`] is waited on or awaited until every worker has exited.
    /// Closing twice keeps the first mode. Dropping the pool afterwards joins the workers.
    ///
    /// ```
    /// use ontime_core::{CloseMode, Request, ThreadPool};
    /// let pool = ThreadPool::new(1).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let (started_tx, started) = std::sync::mpsc::channel();
    /// let busy = pool.submit(Request::new(move || { started_tx.send(()).unwrap(); rx.recv().unwrap() }));
    /// started.recv().unwrap();
    /// let dropped = pool.submit(Request::new(|| "never runs"));
    /// let kept = pool.submit(Request::new(|| "flushed").complete_on_close());
    /// let closed = pool.close(CloseMode::Cancel);
    /// tx.send(()).unwrap();
    /// closed.wait();
    /// assert!(busy.wait().is_ok(), "a running request finishes");
    /// assert!(dropped.wait().unwrap_err().is_cancelled());
    /// assert_eq!(kept.wait().unwrap().value, "flushed");
    /// ```
    pub fn close(&self, mode: CloseMode) -> Closed {
        let m = match mode {
            CloseMode::Drain => mode::DRAIN,
            CloseMode::Cancel => mode::CANCEL,
        };
        let r = self.registry();
        let _ = r
            .close_mode
            .compare_exchange(mode::OPEN, m, Ordering::SeqCst, Ordering::SeqCst);
        r.terminate();
        Closed {
            exit: Arc::clone(&r.exit),
            pool: r.id,
        }
    }
}

/// The mode a pool was closed with, for `Registry`.
pub(crate) fn new_mode() -> AtomicU8 {
    AtomicU8::new(mode::OPEN)
}
