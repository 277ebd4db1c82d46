//! The state a pool's workers share: their stealers and heartbeat flags, the admission
//! queue, the sleep state, the policy and the user's handlers.

use std::any::Any;
use std::io;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use slab::Slab;

use crate::clock::Clock;
use crate::deque::{self, Injector, LocalQueue, StealQueue};
use crate::job::{HeapJob, JobRef, StackJob, Task};
use crate::latch::{CoreLatch, LockLatch};
use crate::policy::StealPolicy;
use crate::request::{AdmissionQueue, Outcome, Queued, Request, RequestCtx, RequestHandle, Slot};
use crate::sleep::Sleep;
use crate::sync::{lock, mpsc, Arc, AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::worker::WorkerThread;
use crate::{timer, unwind};

/// A user callback taking a worker index.
pub(crate) type IndexHandler = Box<dyn Fn(usize) + Send + Sync>;
/// A user callback taking a panic payload.
pub(crate) type PanicHandler = Box<dyn Fn(Box<dyn Any + Send>) + Send + Sync>;
/// A user callback naming worker threads.
pub(crate) type NameHandler = Box<dyn FnMut(usize) -> String>;

/// Per-worker counters, written only by their worker (load + store, no RMW) and readable by
/// anyone at any time.
#[derive(Debug, Default)]
pub(crate) struct WorkerStats {
    pub(crate) steals: AtomicU64,
    pub(crate) promotions: AtomicU64,
}

impl WorkerStats {
    #[inline]
    pub(crate) fn bump(counter: &AtomicU64) {
        Self::add(counter, 1);
    }

    #[inline]
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
}

/// What the pool shares about one worker.
pub(crate) struct ThreadInfo {
    pub(crate) stealer: StealQueue<Task>,
    /// Shared jobs a thief took and handed back because their request stopped sharing;
    /// only the owner pops them (see `request/README.md`).
    pub(crate) returned: Injector<Task>,
    /// Raised by the timer every heartbeat interval, and by an idle thief that found this
    /// worker's deque empty; lowered by the worker when it promotes.
    pub(crate) heartbeat: CachePadded<AtomicBool>,
    /// Set at shutdown.
    pub(crate) terminate: CoreLatch,
    pub(crate) stats: CachePadded<WorkerStats>,
}

impl ThreadInfo {
    /// Raises this worker's heartbeat flag on behalf of an idle thief (see
    /// `sleep/README.md`, "Thieves ask for promotions"). Loads first, so a thief that keeps
    /// asking while the worker has not yet answered does not take its cache line away.
    #[inline]
    pub(crate) fn ask_to_promote(&self) {
        if !self.heartbeat.load(Ordering::Relaxed) {
            self.heartbeat.store(true, Ordering::Relaxed);
        }
    }
}

/// Everything `ThreadPoolBuilder::build` hands to the registry.
pub(crate) struct Config {
    pub(crate) num_threads: usize,
    pub(crate) thread_name: Option<NameHandler>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) start_handler: Option<IndexHandler>,
    pub(crate) exit_handler: Option<IndexHandler>,
    pub(crate) panic_handler: Option<PanicHandler>,
    pub(crate) policy: Box<dyn StealPolicy>,
    pub(crate) heartbeat: Duration,
    pub(crate) min_work_size: usize,
    pub(crate) clock: Box<dyn Clock>,
    /// Pin worker `i` to `cpus[i % cpus.len()]` (`ThreadPoolBuilder::pin_workers`).
    pub(crate) cpus: Option<Vec<core_affinity::CoreId>>,
}

/// Why `Registry::spawn` failed.
#[derive(Debug)]
pub(crate) enum SpawnError {
    /// The operating system refused to start a thread.
    Io(io::Error),
    /// A worker could not be pinned to its CPU.
    Pinning(String),
}

/// Pins the calling worker thread to `cpu` (`ThreadPoolBuilder::pin_workers`).
fn pin_current_worker(index: usize, cpu: core_affinity::CoreId) -> Result<(), String> {
    if core_affinity::set_for_current(cpu) {
        Ok(())
    } else {
        Err(format!(
            "the platform refused to pin worker {index} to CPU {}",
            cpu.id
        ))
    }
}

/// Pool-wide request counters (one RMW each per request, never per fork).
#[derive(Debug, Default)]
pub(crate) struct RequestCounters {
    pub(crate) submitted: AtomicU64,
    pub(crate) admitted: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) met: AtomicU64,
    pub(crate) missed: AtomicU64,
    pub(crate) stop_sharing: AtomicU64,
    pub(crate) shed: AtomicU64,
    pub(crate) handed_back: AtomicU64,
}

/// The shared state of one pool.
pub(crate) struct Registry {
    pub(crate) infos: Box<[ThreadInfo]>,
    pub(crate) injector: Injector<Task>,
    /// Submitted requests, in the policy's order.
    pub(crate) requests: Box<dyn AdmissionQueue>,
    /// Requests with work alive, for the timer's reviews (only if the policy reviews).
    pub(crate) active: Mutex<Slab<Arc<RequestCtx>>>,
    pub(crate) counters: RequestCounters,
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) sleep: Sleep,
    pub(crate) policy: Box<dyn StealPolicy>,
    pub(crate) heartbeat: Duration,
    pub(crate) min_work_size: AtomicUsize,
    /// See `worker::max_admit_depth`.
    pub(crate) max_admit_depth: u32,
    pub(crate) injected: AtomicU64,
    terminating: AtomicBool,
    start_handler: Option<IndexHandler>,
    exit_handler: Option<IndexHandler>,
    panic_handler: Option<PanicHandler>,
}

thread_local! {
    /// The blocking latch an outside thread waits on while the pool runs its job.
    static LOCK_LATCH: LockLatch = LockLatch::new();
}

impl Registry {
    /// Builds the registry and starts its workers and its timer.
    pub(crate) fn spawn(
        mut config: Config,
    ) -> Result<(Arc<Registry>, Vec<JoinHandle<()>>), SpawnError> {
        let n = config.num_threads;
        let (locals, stealers): (Vec<LocalQueue<Task>>, Vec<StealQueue<Task>>) =
            (0..n).map(|_| deque::new_local()).unzip();
        let infos = stealers
            .into_iter()
            .map(|stealer| ThreadInfo {
                stealer,
                returned: Injector::new(),
                heartbeat: CachePadded::new(AtomicBool::new(false)),
                terminate: CoreLatch::new(),
                stats: CachePadded::new(WorkerStats::default()),
            })
            .collect();
        let registry = Arc::new(Registry {
            infos,
            injector: Injector::new(),
            requests: config.policy.admission_queue(n),
            active: Mutex::new(Slab::new()),
            counters: RequestCounters::default(),
            clock: config.clock,
            sleep: Sleep::new(n),
            policy: config.policy,
            heartbeat: config.heartbeat,
            min_work_size: AtomicUsize::new(config.min_work_size),
            max_admit_depth: crate::worker::max_admit_depth(config.stack_size),
            injected: AtomicU64::new(0),
            terminating: AtomicBool::new(false),
            start_handler: config.start_handler.take(),
            exit_handler: config.exit_handler.take(),
            panic_handler: config.panic_handler.take(),
        });

        let mut handles = Vec::with_capacity(n + 1);
        let mut spawn_one = |name: String, body: Box<dyn FnOnce() + Send>| -> io::Result<()> {
            let mut b = thread::Builder::new().name(name);
            if let Some(size) = config.stack_size {
                b = b.stack_size(size);
            }
            handles.push(b.spawn(body)?);
            Ok(())
        };
        let mut result = Ok(());
        // Each pinned worker reports whether its pinning took, before it runs anything.
        let (pinned_tx, pinned_rx) = mpsc::channel::<Result<(), String>>();
        for (index, local) in locals.into_iter().enumerate() {
            let name = match config.thread_name.as_mut() {
                Some(f) => f(index),
                None => format!("ontime-worker-{index}"),
            };
            let r = registry.clone();
            let cpu = config.cpus.as_ref().map(|c| c[index % c.len()]);
            let pinned_tx = pinned_tx.clone();
            result = spawn_one(
                name,
                Box::new(move || {
                    if let Some(cpu) = cpu {
                        let _ = pinned_tx.send(pin_current_worker(index, cpu));
                    }
                    drop(pinned_tx);
                    WorkerThread::main_loop(r, index, local)
                }),
            )
            .map_err(SpawnError::Io);
            if result.is_err() {
                break;
            }
        }
        drop(pinned_tx);
        if result.is_ok() && config.cpus.is_some() {
            // All `n` workers started; each sends one report (a closed channel means one
            // exited before it could).
            result = (0..n)
                .try_for_each(|_| {
                    pinned_rx
                        .recv()
                        .unwrap_or_else(|_| Err("a worker exited before it was pinned".into()))
                })
                .map_err(SpawnError::Pinning);
        }
        if result.is_ok() {
            let r = registry.clone();
            result = spawn_one("ontime-timer".into(), Box::new(move || timer::main_loop(r)))
                .map_err(SpawnError::Io);
        }
        match result {
            Ok(()) => Ok((registry, handles)),
            Err(e) => {
                registry.terminate();
                for h in handles {
                    let _ = h.join();
                }
                Err(e)
            }
        }
    }

    pub(crate) fn num_threads(&self) -> usize {
        self.infos.len()
    }

    pub(crate) fn min_work_size(&self) -> usize {
        self.min_work_size.load(Ordering::Relaxed)
    }

    /// Asks every worker to finish the work it can reach and exit, and the timer to stop.
    pub(crate) fn terminate(&self) {
        if self.terminating.swap(true, Ordering::SeqCst) {
            return;
        }
        for (i, info) in self.infos.iter().enumerate() {
            // SAFETY: the latch lives in the registry, which outlives this call.
            if unsafe { CoreLatch::set(&info.terminate) } {
                self.sleep.wake_worker(i);
            }
        }
        self.sleep.wake_all();
    }

    pub(crate) fn is_terminating(&self) -> bool {
        self.terminating.load(Ordering::Acquire)
    }

    /// Puts a job in the admission queue and wakes a sleeper for it.
    pub(crate) fn inject(&self, job: JobRef) {
        WorkerStats::bump(&self.injected);
        self.injector.push(Task::new(job, None));
        self.sleep.new_work(1);
    }

    /// Queues a job from anywhere: on the current worker's deque if it belongs to this pool
    /// (carrying that worker's request context), else in the admission queue.
    pub(crate) fn push_job(&self, job: JobRef) {
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        match unsafe { wt.as_ref() } {
            Some(wt) if std::ptr::eq(wt.registry(), self) => wt.push(job),
            _ => self.inject(job),
        }
    }

    /// Queues request work in the policy's admission queue and wakes a sleeper for it.
    pub(crate) fn admit_later(&self, item: Queued) {
        self.requests.push(item);
        self.sleep.new_work(1);
    }

    /// Submits a request: wraps its closure in a job that records its outcome, and queues it.
    pub(crate) fn submit<F, R>(this: &Arc<Self>, req: Request<F>) -> RequestHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let id = this.counters.submitted.fetch_add(1, Ordering::Relaxed);
        let arrival = req.arrival.unwrap_or_else(|| this.clock.now());
        let ctx = Arc::new(RequestCtx::new(id, req.info, arrival));
        let slot = Arc::new(Slot::new());
        let handle = RequestHandle {
            slot: Arc::clone(&slot),
            registry: Arc::as_ptr(this) as usize,
            taken: false,
        };
        let registry = Arc::clone(this);
        let root_ctx = Arc::clone(&ctx);
        let f = req.f;
        let job = HeapJob::into_job_ref(move || {
            registry.request_started(&root_ctx);
            let result = unwind::catch(f);
            let outcome = registry.request_finished(&root_ctx);
            slot.complete(result, outcome);
        });
        this.admit_later(Queued::new(Task::new(job, Some(ctx)), true));
        handle
    }

    /// Runs every queued request on the calling thread: for requests submitted while the pool
    /// shuts down, which the exiting workers may not see.
    #[cold]
    pub(crate) fn drain_requests_here(&self) {
        loop {
            let now = self.clock.now();
            let next = (0..self.num_threads()).find_map(|w| self.requests.pop(w, now));
            match next {
                // Dropping a `Queued` runs it on this thread.
                Some(item) => drop(item),
                None => return,
            }
        }
    }

    /// Bookkeeping when a worker admits a request: start time, the policy's first verdict,
    /// and registration for the timer's reviews.
    fn request_started(&self, ctx: &Arc<RequestCtx>) {
        let now = self.clock.now();
        ctx.set_start(now);
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        if let Some(wt) = unsafe { wt.as_ref() } {
            ctx.set_home(wt.index());
        }
        self.counters.admitted.fetch_add(1, Ordering::Relaxed);
        self.apply(ctx, self.policy.review(&ctx.view(now, self.num_threads())));
        if self.policy.reviews_running() {
            lock(&self.active).insert(Arc::clone(ctx));
        }
    }

    fn request_finished(&self, ctx: &RequestCtx) -> Outcome {
        let finish = self.clock.now();
        ctx.set_root_finished();
        let outcome = Outcome {
            id: ctx.id,
            arrival: ctx.arrival,
            start: ctx.start(),
            finish,
            target: ctx.info.target,
        };
        let c = &self.counters;
        if outcome.met() {
            c.met.fetch_add(1, Ordering::Relaxed);
        } else {
            c.missed.fetch_add(1, Ordering::Relaxed);
        }
        c.completed.fetch_add(1, Ordering::Relaxed);
        outcome
    }

    /// Applies a policy verdict and counts the verdicts that changed something.
    fn apply(&self, ctx: &RequestCtx, action: crate::RequestAction) {
        use crate::RequestAction::*;
        if ctx.apply(action) {
            let counter = match action {
                StopSharing | Deprioritize => &self.counters.stop_sharing,
                Shed => &self.counters.shed,
                Continue => return,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The timer's pass over running requests: drop those with no work left alive, review
    /// the others.
    /// Whether the timer must keep ticking for running requests (the policy reviews them and
    /// some are running).
    pub(crate) fn needs_reviews(&self) -> bool {
        self.policy.reviews_running() && !lock(&self.active).is_empty()
    }

    pub(crate) fn review_running(&self) {
        if !self.policy.reviews_running() {
            return;
        }
        let mut active = lock(&self.active);
        if active.is_empty() {
            return;
        }
        let now = self.clock.now();
        let n = self.num_threads();
        active.retain(|_, ctx| {
            // Only the set itself still holds it: every task of the request is done.
            if Arc::strong_count(ctx) == 1 {
                return false;
            }
            self.apply(ctx, self.policy.review(&ctx.view(now, n)));
            true
        });
    }

    /// Runs `op` on a worker of this pool: directly if the caller is one, else by injecting
    /// it and blocking the calling thread until it is done.
    pub(crate) fn install<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread) -> R + Send,
        R: Send,
    {
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        match unsafe { wt.as_ref() } {
            Some(wt) if std::ptr::eq(wt.registry(), self) => op(wt),
            _ => self.install_cold(op),
        }
    }

    #[cold]
    fn install_cold<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread) -> R + Send,
        R: Send,
    {
        LOCK_LATCH.with(|latch| {
            let job = StackJob::new(
                |_migrated| {
                    let wt = WorkerThread::current();
                    // SAFETY: injected jobs are only ever executed by worker threads.
                    op(unsafe { &*wt })
                },
                latch,
            );
            // SAFETY: we block below until the job has run and set its latch, so it outlives
            // its JobRef.
            self.inject(unsafe { job.as_job_ref() });
            latch.wait_and_reset();
            // SAFETY: the latch is set: the runner wrote the result.
            unsafe { job.take_result() }
        })
    }

    /// Reports a panic from a `spawn`ed job: to the user's handler, or to stderr.
    pub(crate) fn handle_panic(&self, payload: Box<dyn Any + Send>) {
        match &self.panic_handler {
            Some(h) => {
                if unwind::catch(|| h(payload)).is_err() {
                    eprintln!("ontime: the pool's panic_handler itself panicked; continuing");
                }
            }
            None => eprintln!(
                "ontime: a spawned job panicked: {} (set ThreadPoolBuilder::panic_handler to handle it)",
                unwind::message(&*payload)
            ),
        }
    }

    pub(crate) fn run_start_handler(&self, index: usize) {
        if let Some(h) = &self.start_handler {
            if let Err(p) = unwind::catch(|| h(index)) {
                self.handle_panic(p);
            }
        }
    }

    pub(crate) fn run_exit_handler(&self, index: usize) {
        if let Some(h) = &self.exit_handler {
            if let Err(p) = unwind::catch(|| h(index)) {
                self.handle_panic(p);
            }
        }
    }
}

/// The global pool, built on first use with default settings.
pub(crate) fn global_registry() -> &'static Arc<Registry> {
    static GLOBAL: std::sync::OnceLock<Arc<Registry>> = std::sync::OnceLock::new();
    GLOBAL.get_or_init(|| {
        let pool = crate::ThreadPoolBuilder::new()
            .thread_name(|i| format!("ontime-global-{i}"))
            .build()
            .unwrap_or_else(|e| panic!("ontime: cannot start the global pool: {e}"));
        pool.into_detached_registry()
    })
}

/// The pool of the current worker, or the global pool.
pub(crate) fn current_registry() -> Arc<Registry> {
    let wt = WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    match unsafe { wt.as_ref() } {
        Some(wt) => Arc::clone(wt.registry_arc()),
        None => Arc::clone(global_registry()),
    }
}

/// Runs `op` on the current worker, or on the global pool (blocking the caller).
#[inline]
pub(crate) fn in_worker<OP, R>(op: OP) -> R
where
    OP: FnOnce(&WorkerThread) -> R + Send,
    R: Send,
{
    let wt = WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    match unsafe { wt.as_ref() } {
        Some(wt) => op(wt),
        None => global_registry().install(op),
    }
}

/// Calls `f` with the current worker's pool, or the global pool.
#[inline]
pub(crate) fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> R {
    let wt = WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    match unsafe { wt.as_ref() } {
        Some(wt) => f(wt.registry()),
        None => f(global_registry()),
    }
}
