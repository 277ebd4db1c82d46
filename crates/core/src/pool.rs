//! `ThreadPool`: a handle on a set of workers, and the entry points that run on it.

use std::fmt;
use std::ops::Range;
use std::thread::JoinHandle;

use crate::forall::{forall_in, forall_nd_in, run_blocks, Blocks, Each};
use crate::join::join_in_worker;
use crate::registry::Registry;
use crate::scope::{run_scope, Scope};
use crate::spawn::spawn_in;
use crate::sync::{lock, Arc, Mutex, Ordering};
use crate::worker::WorkerThread;

/// Counters a pool keeps, readable at any time (each figure is a snapshot).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Jobs taken from another worker's deque.
    pub steals: u64,
    /// Heartbeat promotions: pending forks made stealable.
    pub promotions: u64,
    /// Jobs that entered through the admission queue (calls from outside the pool).
    pub injected: u64,
    /// Requests submitted.
    pub submitted: u64,
    /// Requests a worker has started.
    pub admitted: u64,
    /// Requests whose closure has returned (or panicked).
    pub completed: u64,
    /// Completed requests, not cancelled, that met their target (or had none).
    pub met: u64,
    /// Completed requests, not cancelled, that missed their target.
    pub missed: u64,
    /// Requests rejected unrun because they could no longer meet their target when a worker
    /// came to them ([`Request::reject_when_late`](crate::Request::reject_when_late)); neither
    /// admitted nor completed.
    pub rejected: u64,
    /// Requests cancelled ([`RequestHandle::cancel`](crate::RequestHandle::cancel)): before
    /// they started (never admitted nor completed) or while running (completed, since their
    /// closure returned, but neither met nor missed).
    pub cancelled: u64,
    /// Requests the policy stopped sharing.
    pub stopped_sharing: u64,
    /// Requests the policy shed.
    pub shed: u64,
    /// Shared jobs a thief handed back because their request had stopped sharing.
    pub handed_back: u64,
    /// `try_submit` calls refused because `max_queued` requests were waiting.
    pub refused: u64,
    /// Requests waiting to start when the snapshot was taken (submitted, not yet admitted).
    pub queued: u64,
    /// Requests waiting for their instant ([`ThreadPool::submit_at`]) when the snapshot was
    /// taken (not counted in `queued`).
    pub scheduled: u64,
}

/// A pool of worker threads running fork-join work.
///
/// Dropping the pool (or [`shutdown`](Self::shutdown)) lets the workers finish every job
/// already queued (spawned jobs included: nothing is dropped unrun), then joins them.
///
/// ```
/// let pool = ontime_core::ThreadPool::new(2).unwrap();
/// let (a, b) = pool.join(|| 1 + 1, || 2 + 2);
/// assert_eq!((a, b), (2, 4));
/// assert_eq!(pool.install(|| ontime_core::current_thread_index()).map(|i| i < 2), Some(true));
/// ```
pub struct ThreadPool {
    registry: Arc<Registry>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("num_threads", &self.registry.num_threads())
            .field("id", &self.registry.id)
            .field("policy", &self.registry.hooks.name())
            .finish_non_exhaustive()
    }
}

impl ThreadPool {
    /// A pool of `num_threads` workers (0: one per core) with default settings.
    pub fn new(num_threads: usize) -> Result<ThreadPool, crate::BuildError> {
        crate::ThreadPoolBuilder::new()
            .num_threads(num_threads)
            .build()
    }

    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    pub(crate) fn from_parts(registry: Arc<Registry>, threads: Vec<JoinHandle<()>>) -> Self {
        ThreadPool {
            registry,
            threads: Mutex::new(threads),
        }
    }

    /// Turns the pool into a registry that lives for the rest of the process (the global pool).
    pub(crate) fn into_detached_registry(self) -> Arc<Registry> {
        lock(&self.threads).clear();
        let registry = Arc::clone(&self.registry);
        std::mem::forget(self);
        registry
    }

    /// Runs `op` on one of the pool's workers and returns its result; `join`, `scope` and the
    /// loops inside `op` use this pool. From outside the pool this blocks the caller; from one
    /// of its own workers it just calls `op`.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let n = pool.install(|| ontime_core::current_num_threads());
    /// assert_eq!(n, 2);
    /// ```
    pub fn install<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce() -> R + Send,
        R: Send,
    {
        self.registry.install(|_| op())
    }

    /// [`join`](crate::join) on this pool.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// assert_eq!(pool.join(|| "a", || "b"), ("a", "b"));
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        self.registry
            .install(move |wt| join_in_worker(wt, a, move |_| b()))
    }

    /// [`scope`](crate::scope) on this pool.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let mut v = vec![0; 3];
    /// pool.scope(|s| for (i, x) in v.iter_mut().enumerate() { s.spawn(move |_| *x = i); });
    /// assert_eq!(v, [0, 1, 2]);
    /// ```
    pub fn scope<'scope, OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&Scope<'scope>) -> R + Send,
        R: Send,
    {
        self.registry.install(move |wt| run_scope(wt, op))
    }

    /// [`spawn`](crate::spawn) on this pool.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// pool.spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.recv().unwrap(), 1);
    /// ```
    pub fn spawn<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        spawn_in(&self.registry, f)
    }

    /// [`forall`](crate::forall) on this pool.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let n = AtomicUsize::new(0);
    /// pool.forall(0..100, |_| { n.fetch_add(1, Ordering::Relaxed); });
    /// assert_eq!(n.into_inner(), 100);
    /// ```
    pub fn forall<F>(&self, range: Range<usize>, f: F)
    where
        F: Fn(usize) + Sync + Send,
    {
        forall_in(&self.registry, range, &f)
    }

    /// [`forall_chunked`](crate::forall_chunked) on this pool.
    ///
    /// # Panics
    /// If `grain` is zero.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let n = AtomicUsize::new(0);
    /// pool.forall_chunked(0..100, 7, |r| { n.fetch_add(r.len(), Ordering::Relaxed); });
    /// assert_eq!(n.into_inner(), 100);
    /// ```
    pub fn forall_chunked<F>(&self, range: Range<usize>, grain: usize, f: F)
    where
        F: Fn(Range<usize>) + Sync + Send,
    {
        assert!(
            grain > 0,
            "ontime: forall_chunked needs a grain of at least 1"
        );
        let work = range.len();
        run_blocks(&self.registry, range, grain, Blocks::Exact, work, &Each(&f))
    }

    /// [`forall_2d`](crate::forall_2d) on this pool.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let n = AtomicUsize::new(0);
    /// pool.forall_2d(0..5, 0..5, [2, 2], |r, c| { n.fetch_add(r.len() * c.len(), Ordering::Relaxed); });
    /// assert_eq!(n.into_inner(), 25);
    /// ```
    pub fn forall_2d<F>(&self, rows: Range<usize>, cols: Range<usize>, tile: [usize; 2], f: F)
    where
        F: Fn(Range<usize>, Range<usize>) + Sync + Send,
    {
        forall_nd_in(
            &self.registry,
            [rows, cols],
            tile,
            &|[a, b]: [Range<usize>; 2]| f(a, b),
        )
    }

    /// [`forall_3d`](crate::forall_3d) on this pool.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let n = AtomicUsize::new(0);
    /// pool.forall_3d([0..2, 0..3, 0..4], [1, 2, 3], |t| { n.fetch_add(t.iter().map(|r| r.len()).product(), Ordering::Relaxed); });
    /// assert_eq!(n.into_inner(), 24);
    /// ```
    pub fn forall_3d<F>(&self, ranges: [Range<usize>; 3], tile: [usize; 3], f: F)
    where
        F: Fn([Range<usize>; 3]) + Sync + Send,
    {
        forall_nd_in(&self.registry, ranges, tile, &f)
    }

    /// [`forall_4d`](crate::forall_4d) on this pool.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let n = AtomicUsize::new(0);
    /// pool.forall_4d([0..2, 0..2, 0..2, 0..2], [1, 1, 1, 1], |_| { n.fetch_add(1, Ordering::Relaxed); });
    /// assert_eq!(n.into_inner(), 16);
    /// ```
    pub fn forall_4d<F>(&self, ranges: [Range<usize>; 4], tile: [usize; 4], f: F)
    where
        F: Fn([Range<usize>; 4]) + Sync + Send,
    {
        forall_nd_in(&self.registry, ranges, tile, &f)
    }

    /// Number of workers.
    pub fn current_num_threads(&self) -> usize {
        self.registry.num_threads()
    }

    /// Index of the calling thread in this pool, if it is one of this pool's workers.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// assert_eq!(pool.current_thread_index(), None);
    /// assert!(pool.install(|| pool.current_thread_index()).is_some());
    /// ```
    pub fn current_thread_index(&self) -> Option<usize> {
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        unsafe { wt.as_ref() }
            .filter(|wt| std::ptr::eq(wt.registry(), &*self.registry))
            .map(WorkerThread::index)
    }

    /// The minimum work size: loops over fewer elements run serially, on one worker.
    pub fn min_work_size(&self) -> usize {
        self.registry.min_work_size()
    }

    /// Changes the minimum work size (caffe2's `set_min_work_size`); takes effect for loops
    /// that start afterwards.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// pool.set_min_work_size(1 << 20);
    /// // This small loop now runs on one worker, serially.
    /// let threads = std::sync::Mutex::new(std::collections::HashSet::new());
    /// pool.forall(0..10_000, |_| { threads.lock().unwrap().insert(std::thread::current().id()); });
    /// assert_eq!(threads.into_inner().unwrap().len(), 1);
    /// ```
    pub fn set_min_work_size(&self, elements: usize) {
        self.registry
            .min_work_size
            .store(elements, Ordering::Relaxed);
    }

    /// Submits a request: it waits in the policy's admission queue until a worker admits it,
    /// and everything it forks carries its context. Returns at once. It is never refused: with
    /// a [`max_queued`](crate::ThreadPoolBuilder::max_queued) bound it counts toward the bound
    /// but queues even past it (use [`try_submit`](Self::try_submit) to be refused instead).
    ///
    /// # Panics
    /// If the pool was shut down and the caller is not one of its workers (see
    /// [`shutdown`](Self::shutdown)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::{Request, ThreadPool};
    ///
    /// let pool = ThreadPool::new(2).unwrap();
    /// let handles: Vec<_> = (0..8u64)
    ///     .map(|i| pool.submit(Request::new(move || {
    ///         let sum = std::sync::atomic::AtomicU64::new(0);
    ///         ontime_core::forall(0..1000, |j| {
    ///             sum.fetch_add(i * j as u64, std::sync::atomic::Ordering::Relaxed);
    ///         });
    ///         sum.into_inner()
    ///     }).target(Duration::from_secs(10))))
    ///     .collect();
    /// for (i, h) in handles.into_iter().enumerate() {
    ///     assert_eq!(h.wait().unwrap().value, i as u64 * 499_500);
    /// }
    /// let s = pool.stats();
    /// assert_eq!((s.submitted, s.completed, s.met + s.missed), (8, 8, 8));
    /// ```
    pub fn submit<F, R>(&self, request: crate::Request<F>) -> crate::RequestHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Registry::submit(&self.registry, request)
    }

    /// Submits a request unless [`max_queued`](crate::ThreadPoolBuilder::max_queued)
    /// requests already wait to start; then it returns the request, unrun, in
    /// [`Rejected`](crate::Rejected) (counted in [`PoolStats::refused`]). Without a bound it
    /// always submits. Nothing is dropped: a request is either queued (its handle returned)
    /// or given back.
    ///
    /// # Panics
    /// As [`submit`](Self::submit), after shutdown.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPoolBuilder::new().max_queued(8).build().unwrap();
    /// match pool.try_submit(ontime_core::Request::new(|| "answer")) {
    ///     Ok(h) => assert_eq!(h.wait().unwrap().value, "answer"),
    ///     Err(ontime_core::Rejected(_req)) => println!("busy"),
    /// }
    /// ```
    pub fn try_submit<F, R>(
        &self,
        request: crate::Request<F>,
    ) -> Result<crate::RequestHandle<R>, crate::Rejected<crate::Request<F>>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Registry::try_submit(&self.registry, request)
    }

    /// Submits `request` to arrive at `at` on the pool's clock ([`now`](Self::now)): it
    /// waits in the pool's schedule until then (not counted as queued, so not against
    /// [`max_queued`](crate::ThreadPoolBuilder::max_queued)), then is queued like any
    /// request, with `at` as its arrival (its target counts from `at`; an arrival set on the
    /// request is replaced). An instant already past queues it at once.
    ///
    /// The pool's timer thread serves the schedule (no thread per request): it queues a
    /// request within about a heartbeat of its instant, and reads the clock at least every
    /// 2 ms while anything is scheduled, so a [`ManualClock`](crate::ManualClock) moved by a
    /// test is noticed. The handle can be waited on, awaited or
    /// [`cancel`](crate::RequestHandle::cancel)led before its instant (it then never runs). If
    /// the pool shuts down first, the request resolves `Cancelled`.
    ///
    /// # Panics
    /// Like [`submit`](Self::submit), when called from outside the pool after shutdown.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use ontime_core::{ManualClock, Request, ThreadPoolBuilder};
    ///
    /// let clock = Arc::new(ManualClock::new());
    /// let pool = ThreadPoolBuilder::new().clock(clock.clone()).build().unwrap();
    /// let h = pool.submit_at(Duration::from_secs(10), Request::new(|| "later"));
    /// assert!(!h.is_finished(), "its instant has not come on the pool's clock");
    /// assert_eq!(pool.stats().scheduled, 1);
    /// clock.set(Duration::from_secs(10));
    /// let done = h.wait().unwrap();
    /// assert_eq!((done.value, done.outcome.arrival), ("later", Duration::from_secs(10)));
    /// ```
    pub fn submit_at<F, R>(
        &self,
        at: std::time::Duration,
        request: crate::Request<F>,
    ) -> crate::RequestHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Registry::submit_at(&self.registry, at, request)
    }

    /// Submits `request` to arrive `delay` from now on the pool's clock:
    /// [`submit_at`](Self::submit_at)`(self.now() + delay, request)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::{Request, ThreadPool};
    /// let pool = ThreadPool::new(1).unwrap();
    /// let t = pool.now();
    /// let done = pool.submit_after(Duration::from_millis(5), Request::new(|| 1)).wait().unwrap();
    /// assert!(done.outcome.arrival >= t + Duration::from_millis(5));
    /// assert!(done.outcome.start >= done.outcome.arrival);
    /// ```
    pub fn submit_after<F, R>(
        &self,
        delay: std::time::Duration,
        request: crate::Request<F>,
    ) -> crate::RequestHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let at = self.now().saturating_add(delay);
        Registry::submit_at(&self.registry, at, request)
    }

    /// Runs `f` as a request every `period` on the pool's clock, the first time one period
    /// from now, each run with `period` as its target, until the returned [`Series`](crate::Series)
    /// (crate::Series) is cancelled or the pool shuts down. Runs never pile up: a tick whose
    /// previous run is still queued or running waits for it, and is skipped
    /// ([`Series::skipped`](crate::Series::skipped)) if the next tick comes first. A run that panics goes to the pool's panic handler; the series
    /// goes on. Served by the timer thread, like [`submit_at`](Self::submit_at).
    ///
    /// # Panics
    /// If `period` is zero; like [`submit`](Self::submit) after shutdown.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use ontime_core::{ManualClock, ThreadPoolBuilder};
    ///
    /// let clock = Arc::new(ManualClock::new());
    /// let pool = ThreadPoolBuilder::new().clock(clock.clone()).build().unwrap();
    /// let ticks = Arc::new(AtomicU32::new(0));
    /// let t = ticks.clone();
    /// let series = pool.every(Duration::from_secs(1), move || { t.fetch_add(1, Ordering::SeqCst); });
    /// for second in 1..=3 {
    ///     clock.set(Duration::from_secs(second));
    ///     while ticks.load(Ordering::SeqCst) < second as u32 { std::thread::yield_now(); }
    /// }
    /// series.cancel();
    /// clock.set(Duration::from_secs(10));
    /// assert_eq!(series.runs(), 3);
    /// assert!(series.is_stopped());
    /// ```
    pub fn every<F>(&self, period: std::time::Duration, f: F) -> crate::Series
    where
        F: Fn() + Send + Sync + 'static,
    {
        Registry::every(&self.registry, period, Box::new(f))
    }

    /// Submits a request made from a future ([`Request::from_future`](crate::Request::from_future)):
    /// its polls run on the pool's workers, the first admitted like any request, each later
    /// one queued as a follow-up ([`Queued::is_followup`](crate::Queued::is_followup)) when
    /// the future's waker is called. Loops and iterators inside `poll` run for the request
    /// as anywhere else. The handle resolves when the future is ready (or panics); a
    /// [`cancel`](crate::RequestHandle::cancel) drops the future at its next poll. If the pool
    /// shuts down while the future waits, it resolves `Cancelled` when next woken (or when
    /// its last waker is dropped).
    ///
    /// # Panics
    /// Like [`submit`](Self::submit), when called from outside the pool after shutdown.
    ///
    /// ```
    /// use ontime_core::{Request, ThreadPool};
    /// let pool = ThreadPool::new(2).unwrap();
    /// let (tx, rx) = futures_channel_like::oneshot();
    /// let h = pool.submit_future(Request::from_future(async move {
    ///     let n = rx.await; // rests without holding a worker
    ///     ontime_core::forall(0..n, |_| {}); // loops inside poll run in parallel
    ///     n * 2
    /// }));
    /// tx.send(21);
    /// assert_eq!(h.wait().unwrap().value, 42);
    /// # mod futures_channel_like {
    /// #     use std::sync::{Arc, Mutex};
    /// #     use std::task::{Context, Poll, Waker};
    /// #     type Shared = Arc<Mutex<(Option<usize>, Option<Waker>)>>;
    /// #     pub struct Tx(Shared);
    /// #     pub struct Rx(Shared);
    /// #     pub fn oneshot() -> (Tx, Rx) { let s: Shared = Default::default(); (Tx(s.clone()), Rx(s)) }
    /// #     impl Tx { pub fn send(self, v: usize) { let w = { let mut g = self.0.lock().unwrap(); g.0 = Some(v); g.1.take() }; if let Some(w) = w { w.wake() } } }
    /// #     impl std::future::Future for Rx {
    /// #         type Output = usize;
    /// #         fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
    /// #             let mut g = self.0.lock().unwrap();
    /// #             match g.0.take() { Some(v) => Poll::Ready(v), None => { g.1 = Some(cx.waker().clone()); Poll::Pending } }
    /// #         }
    /// #     }
    /// # }
    /// ```
    #[cfg(not(loom))]
    pub fn submit_future<Fut>(
        &self,
        request: crate::Request<crate::FromFuture<Fut>>,
    ) -> crate::RequestHandle<Fut::Output>
    where
        Fut: std::future::Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        Registry::submit_future(&self.registry, request)
    }

    /// Polls `fut` on the pool as a request with no target:
    /// [`submit_future`](Self::submit_future)`(Request::from_future(fut))`.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// assert_eq!(pool.spawn_future(async { "ready" }).wait().unwrap().value, "ready");
    /// ```
    #[cfg(not(loom))]
    pub fn spawn_future<Fut>(&self, fut: Fut) -> crate::RequestHandle<Fut::Output>
    where
        Fut: std::future::Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        Registry::submit_future(&self.registry, crate::Request::from_future(fut))
    }

    /// The current reading of the pool's clock (the time base of request arrivals and
    /// [`Outcome`](crate::Outcome)s).
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(1).unwrap();
    /// let t = pool.now();
    /// assert!(pool.now() >= t);
    /// ```
    pub fn now(&self) -> std::time::Duration {
        self.registry.hooks.now()
    }

    /// The name of the pool's policy.
    pub fn policy_name(&self) -> &str {
        self.registry.hooks.name()
    }

    /// The pool's process-unique number: no two pools of a process share one, even when a
    /// pool is dropped and another is built at the same address. Handles carry it
    /// ([`RequestHandle::pool_id`](crate::RequestHandle::pool_id)) and messages name pools by it.
    ///
    /// ```
    /// let a = ontime_core::ThreadPool::new(1).unwrap();
    /// let b = ontime_core::ThreadPool::new(1).unwrap();
    /// assert_ne!(a.id(), b.id());
    /// ```
    pub fn id(&self) -> u64 {
        self.registry.id
    }

    /// The pool's counters.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// pool.install(|| ());
    /// assert!(pool.stats().injected >= 1);
    /// ```
    pub fn stats(&self) -> PoolStats {
        let c = &self.registry.counters;
        let get = |a: &crate::sync::AtomicU64| a.load(Ordering::Relaxed);
        let mut s = PoolStats {
            injected: get(&self.registry.injected),
            submitted: get(&c.submitted),
            admitted: get(&c.admitted),
            completed: get(&c.completed),
            met: get(&c.met),
            missed: get(&c.missed),
            stopped_sharing: get(&c.stop_sharing),
            shed: get(&c.shed),
            handed_back: get(&c.handed_back),
            refused: get(&c.refused),
            queued: self.registry.book.queued.load(Ordering::Relaxed) as u64,
            rejected: self.registry.counters.rejected.load(Ordering::Relaxed),
            cancelled: self.registry.book.cancelled.load(Ordering::Relaxed),
            scheduled: self.registry.book.scheduled.load(Ordering::Relaxed) as u64,
            ..PoolStats::default()
        };
        for info in self.registry.infos.iter() {
            s.steals += info.stats.steals.load(Ordering::Relaxed);
            s.promotions += info.stats.promotions.load(Ordering::Relaxed);
        }
        s
    }

    /// Finishes every queued job, stops the workers and joins them. Dropping the pool does
    /// the same. Called from one of the pool's own workers, it cannot wait for itself: the
    /// workers are told to stop and exit on their own once the queues are empty.
    ///
    /// After `shutdown` the pool takes no new work from outside: every entry point (`install`,
    /// `join`, `scope`, the loops, `spawn`, `submit`) called from a thread that is not one of
    /// its workers panics with a message naming the pool. Work that the pool's own jobs create
    /// while it shuts down (spawns, joins, loops, submits) still runs before the workers exit.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// pool.shutdown();
    /// let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.install(|| 1)));
    /// assert!(r.is_err(), "a shut-down pool refuses new work");
    /// ```
    pub fn shutdown(&self) {
        self.registry.terminate();
        if self.current_thread_index().is_some() {
            return;
        }
        let threads = std::mem::take(&mut *lock(&self.threads));
        for t in threads {
            // Workers never unwind (jobs catch their panics), so join errors cannot occur;
            // ignore them rather than panic in drop.
            let _ = t.join();
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}
