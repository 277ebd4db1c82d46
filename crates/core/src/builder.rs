//! `ThreadPoolBuilder` and its errors.

use std::any::Any;
use std::fmt;
use std::io;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::hooks::{HookConfig, Hooks, IndexHandler, NameHandler, PanicHandler};
use crate::policy::{StealFirst, StealPolicy};
use crate::pool::ThreadPool;
use crate::start::{start, Config, StartError};

/// Most worker threads a pool accepts; more is taken for a mistake.
pub const MAX_THREADS: usize = 4096;
/// Smallest worker stack accepted, in bytes.
pub const MIN_STACK_SIZE: usize = 64 * 1024;
/// Shortest heartbeat interval accepted.
pub const MIN_HEARTBEAT: Duration = Duration::from_micros(1);
/// Longest heartbeat interval accepted.
pub const MAX_HEARTBEAT: Duration = Duration::from_secs(1);
/// Default heartbeat interval: how often a busy worker offers one pending fork to thieves.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_micros(100);

/// Why a pool could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// `num_threads` above [`MAX_THREADS`].
    TooManyThreads(usize),
    /// `stack_size` below [`MIN_STACK_SIZE`].
    StackTooSmall(usize),
    /// `heartbeat` outside [`MIN_HEARTBEAT`]..=[`MAX_HEARTBEAT`].
    HeartbeatOutOfRange(Duration),
    /// The operating system refused to start a thread (the threads already started were
    /// stopped and joined).
    Spawn(io::Error),
    /// The policy refused this pool, or one of its build-time hooks (`validate`, `name`,
    /// `reviews_running`, `admission_queue`) panicked; the message says which and why.
    Policy(String),
    /// A user handler called during `build` panicked (`thread_name`); the workers already
    /// started were stopped and joined. The message says which and why.
    Handler(String),
    /// `ONTIME_NUM_THREADS` is set to something other than a whole number of threads; the
    /// message quotes it.
    Env(String),
    /// [`ThreadPoolBuilder::max_queued`] was given 0.
    ZeroMaxQueued,
    /// [`ThreadPoolBuilder::build_global`] was called after the global pool was built (by an
    /// earlier `build_global`, or by first use of the global pool); the pool that call built,
    /// if any, was stopped.
    GlobalPoolExists,
    /// [`ThreadPoolBuilder::pin_workers`] was asked for, but the platform lists no CPU this
    /// process may run on, or refused to pin a worker (the threads already started were
    /// stopped and joined).
    Pinning(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::TooManyThreads(n) => {
                write!(f, "num_threads({n}) is above the limit of {MAX_THREADS}")
            }
            BuildError::StackTooSmall(n) => {
                write!(f, "stack_size({n}) is below the minimum of {MIN_STACK_SIZE} bytes")
            }
            BuildError::HeartbeatOutOfRange(d) => write!(
                f,
                "heartbeat({d:?}) is outside the accepted range {MIN_HEARTBEAT:?}..={MAX_HEARTBEAT:?}"
            ),
            BuildError::Spawn(e) => write!(f, "could not start a worker thread: {e}"),
            BuildError::Policy(m) => write!(f, "the policy refused this pool: {m}"),
            BuildError::Handler(m) => write!(f, "a handler panicked during build: {m}"),
            BuildError::Pinning(m) => write!(f, "could not pin the workers to CPUs: {m}"),
            BuildError::Env(m) => write!(f, "{m}"),
            BuildError::ZeroMaxQueued => write!(f, "max_queued(0): a queue bound must be at least 1"),
            BuildError::GlobalPoolExists => write!(f, "the global pool is already built"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Spawn(e) => Some(e),
            _ => None,
        }
    }
}

/// Configures and builds a [`ThreadPool`].
///
/// ```
/// use std::time::Duration;
/// use ontime_core::ThreadPoolBuilder;
///
/// let pool = ThreadPoolBuilder::new()
///     .num_threads(2)
///     .thread_name(|i| format!("app-worker-{i}"))
///     .heartbeat(Duration::from_micros(50))
///     .build()
///     .expect("valid settings");
/// assert_eq!(pool.current_num_threads(), 2);
///
/// // Absurd settings are errors, not panics.
/// assert!(ThreadPoolBuilder::new().num_threads(1 << 20).build().is_err());
/// ```
pub struct ThreadPoolBuilder {
    num_threads: usize,
    thread_name: Option<NameHandler>,
    stack_size: Option<usize>,
    start_handler: Option<IndexHandler>,
    exit_handler: Option<IndexHandler>,
    panic_handler: Option<PanicHandler>,
    policy: Option<Box<dyn StealPolicy>>,
    heartbeat: Duration,
    min_work_size: usize,
    max_queued: Option<usize>,
    complete_on_close_classes: Vec<u32>,
    clock: Option<std::sync::Arc<dyn Clock>>,
    pin_workers: bool,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("num_threads", &self.num_threads)
            .field("stack_size", &self.stack_size)
            .field("policy", &self.policy)
            .field("heartbeat", &self.heartbeat)
            .field("min_work_size", &self.min_work_size)
            .field("pin_workers", &self.pin_workers)
            .finish_non_exhaustive()
    }
}

impl ThreadPoolBuilder {
    /// Default settings: one worker per available core, steal-first, 100 µs heartbeat.
    pub fn new() -> Self {
        ThreadPoolBuilder {
            num_threads: 0,
            thread_name: None,
            stack_size: None,
            start_handler: None,
            exit_handler: None,
            panic_handler: None,
            policy: None,
            heartbeat: DEFAULT_HEARTBEAT,
            min_work_size: 0,
            max_queued: None,
            complete_on_close_classes: Vec::new(),
            clock: None,
            pin_workers: false,
        }
    }

    /// Number of workers; 0 (the default) means the `ONTIME_NUM_THREADS` environment
    /// variable's value if it is set to a positive number, else one per available core (as
    /// `RAYON_NUM_THREADS` works for rayon). A value of `ONTIME_NUM_THREADS` that is not a
    /// whole number makes `build` return [`BuildError::Env`]; `0` or an empty value mean
    /// "unset".
    pub fn num_threads(mut self, n: usize) -> Self {
        self.num_threads = n;
        self
    }

    /// Names worker `i` (default `ontime-worker-{i}`). Called by `build`, on the building
    /// thread; if it panics, `build` stops the workers it started and returns
    /// [`BuildError::Handler`].
    pub fn thread_name(mut self, f: impl FnMut(usize) -> String + 'static) -> Self {
        self.thread_name = Some(Box::new(f));
        self
    }

    /// Stack size of each worker, in bytes (default: the platform's).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Called on each worker when it starts, with its index. A panic in it is reported
    /// through the panic handler; the worker still starts.
    pub fn start_handler(mut self, f: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.start_handler = Some(Box::new(f));
        self
    }

    /// Called on each worker just before it exits, with its index. A panic in it is
    /// reported through the panic handler; the worker still exits normally.
    pub fn exit_handler(mut self, f: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.exit_handler = Some(Box::new(f));
        self
    }

    /// Receives the payload of every panic in a `spawn`ed job (join and scope panics go to
    /// their caller instead), of a request whose `RequestHandle` was dropped without its
    /// result, and of every panic in a policy hook, the admission queue, the
    /// clock or the start and exit handlers (each reported once; the pool then uses that
    /// call's fallback answer, listed in `docs/reliability.md`). Default: the message is
    /// printed on stderr; nothing aborts. A panic in the handler itself is caught and printed.
    pub fn panic_handler(
        mut self,
        f: impl Fn(Box<dyn Any + Send>) + Send + Sync + 'static,
    ) -> Self {
        self.panic_handler = Some(std::sync::Arc::new(f));
        self
    }

    /// The policy consulted on cold paths (default [`StealFirst`]).
    pub fn policy(mut self, policy: impl StealPolicy) -> Self {
        self.policy = Some(Box::new(policy));
        self
    }

    /// The policy, already boxed.
    pub fn policy_boxed(mut self, policy: Box<dyn StealPolicy>) -> Self {
        self.policy = Some(policy);
        self
    }

    /// How often a busy worker offers one pending fork to thieves (default 100 µs). Shorter
    /// spreads work faster; longer makes forks cheaper on average.
    pub fn heartbeat(mut self, interval: Duration) -> Self {
        self.heartbeat = interval;
        self
    }

    /// Bounds the requests waiting to start (submitted, not yet admitted by a worker) at
    /// `n`: [`ThreadPool::try_submit`] refuses a request while `n` wait, and gives it back
    /// ([`Rejected`](crate::Rejected)); [`PoolStats::refused`](crate::PoolStats::refused)
    /// counts the refusals. [`ThreadPool::submit`] is never refused: its requests count
    /// toward the bound but always queue, so a server that wants backpressure uses
    /// `try_submit` on its request path. Default: no bound. `build` returns
    /// [`BuildError::ZeroMaxQueued`] for 0.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPoolBuilder::new().max_queued(64).build().unwrap();
    /// let h = pool.try_submit(ontime_core::Request::new(|| 1)).unwrap();
    /// assert_eq!(h.wait().unwrap().value, 1);
    /// assert!(ontime_core::ThreadPoolBuilder::new().max_queued(0).build().is_err());
    /// ```
    pub fn max_queued(mut self, n: usize) -> Self {
        self.max_queued = Some(n);
        self
    }

    /// Requests of class `class` ([`Request::class`](crate::Request::class)) run even if the
    /// pool is closed with [`CloseMode::Cancel`](crate::CloseMode::Cancel) before they start,
    /// as if each were marked [`complete_on_close`](crate::Request::complete_on_close). May be
    /// called for several classes.
    ///
    /// ```
    /// use ontime_core::{CloseMode, Request, ThreadPoolBuilder};
    /// const WRITES: u32 = 7;
    /// let pool = ThreadPoolBuilder::new().num_threads(1).complete_on_close_class(WRITES).build().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let (started_tx, started) = std::sync::mpsc::channel();
    /// let busy = pool.submit(Request::new(move || { started_tx.send(()).unwrap(); rx.recv().unwrap() }));
    /// started.recv().unwrap();
    /// let write = pool.submit(Request::new(|| "written").class(WRITES));
    /// let read = pool.submit(Request::new(|| "read"));
    /// let closed = pool.close(CloseMode::Cancel);
    /// tx.send(()).unwrap();
    /// closed.wait();
    /// busy.wait().unwrap();
    /// assert_eq!(write.wait().unwrap().value, "written");
    /// assert!(read.wait().unwrap_err().is_cancelled());
    /// ```
    pub fn complete_on_close_class(mut self, class: u32) -> Self {
        self.complete_on_close_classes.push(class);
        self
    }

    /// Loops over fewer elements than this run serially, on one worker (default 0).
    pub fn min_work_size(mut self, elements: usize) -> Self {
        self.min_work_size = elements;
        self
    }

    /// The clock request times are read from (default: a [`SystemClock`] started at `build`).
    /// Tests pass a shared [`ManualClock`](crate::ManualClock) to drive time-dependent
    /// policies deterministically.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(std::sync::Arc::new(clock));
        self
    }

    /// Pins worker `i` to the `(i mod n)`-th of the `n` CPUs this process may run on (its
    /// affinity mask when the pool is built). Off by default. The heartbeat timer stays
    /// unpinned.
    ///
    /// Pin when the pool's workers own their CPUs, for example one pool with one worker per
    /// core. Unpinned, the kernel decides where a woken worker runs, and it may queue it
    /// behind a busy worker while another core idles. On a 2-core VM, the second worker of a
    /// cold parallel loop started a median 0.96 ms late unpinned and 6 µs late pinned
    /// (`docs/benchmarks.md`, Method). Do not pin when other busy threads share the cores:
    /// a pinned worker cannot move away from them.
    ///
    /// `build` returns [`BuildError::Pinning`] if the platform lists no CPUs or refuses to
    /// pin a worker.
    ///
    /// ```
    /// let pool = ontime_core::ThreadPoolBuilder::new()
    ///     .num_threads(2)
    ///     .pin_workers(true)
    ///     .build();
    /// // Where the platform cannot pin, `build` says why instead.
    /// match pool {
    ///     Ok(pool) => assert_eq!(pool.install(|| ontime_core::join(|| 1, || 2)), (1, 2)),
    ///     Err(e) => println!("unpinned: {e}"),
    /// }
    /// ```
    pub fn pin_workers(mut self, pin: bool) -> Self {
        self.pin_workers = pin;
        self
    }

    /// Builds the pool and makes it the global pool: the one that `join`, `scope`, the loops
    /// and the parallel iterators use when called outside any pool. Call it once, before
    /// anything uses the global pool; otherwise (or if the settings are refused) it returns
    /// an error and the global pool stays as it was. The global pool lives until the process
    /// ends.
    ///
    /// ```
    /// use ontime_core::{BuildError, ThreadPoolBuilder};
    /// ThreadPoolBuilder::new().num_threads(3).build_global().unwrap();
    /// assert_eq!(ontime_core::current_num_threads(), 3);
    /// // Only once.
    /// let again = ThreadPoolBuilder::new().num_threads(2).build_global();
    /// assert!(matches!(again, Err(BuildError::GlobalPoolExists)));
    /// ```
    pub fn build_global(self) -> Result<(), BuildError> {
        if crate::global::global_is_built() {
            return Err(BuildError::GlobalPoolExists);
        }
        let pool = self.build()?;
        // Another thread may have built the global pool meanwhile: then this pool is
        // dropped here (its workers stopped and joined) and the call fails.
        crate::global::set_global(pool).map_err(|_| BuildError::GlobalPoolExists)
    }

    /// Checks the settings and starts the pool.
    pub fn build(self) -> Result<ThreadPool, BuildError> {
        let num_threads = match self.num_threads {
            0 => match threads_from_env()? {
                Some(n) => n,
                None => std::thread::available_parallelism().map_or(1, |n| n.get()),
            },
            n => n,
        };
        if num_threads > MAX_THREADS {
            return Err(BuildError::TooManyThreads(num_threads));
        }
        if let Some(s) = self.stack_size {
            if s < MIN_STACK_SIZE {
                return Err(BuildError::StackTooSmall(s));
            }
        }
        if self.max_queued == Some(0) {
            return Err(BuildError::ZeroMaxQueued);
        }
        if self.heartbeat < MIN_HEARTBEAT || self.heartbeat > MAX_HEARTBEAT {
            return Err(BuildError::HeartbeatOutOfRange(self.heartbeat));
        }
        let policy = self.policy.unwrap_or_else(|| Box::new(StealFirst));
        let cpus = if self.pin_workers {
            match core_affinity::get_core_ids() {
                Some(ids) if !ids.is_empty() => Some(ids),
                _ => {
                    return Err(BuildError::Pinning(
                        "the platform lists no CPU this process may run on".into(),
                    ))
                }
            }
        } else {
            None
        };
        let hooks = Hooks::new(
            HookConfig {
                policy,
                clock: self
                    .clock
                    .unwrap_or_else(|| std::sync::Arc::new(SystemClock::new())),
                start_handler: self.start_handler,
                exit_handler: self.exit_handler,
                panic_handler: self.panic_handler,
            },
            num_threads,
        )
        .map_err(BuildError::Policy)?;
        let config = Config {
            num_threads,
            thread_name: self.thread_name,
            stack_size: self.stack_size,
            hooks,
            heartbeat: self.heartbeat,
            min_work_size: self.min_work_size,
            max_queued: self.max_queued.unwrap_or(usize::MAX),
            cpus,
            complete_on_close_classes: self.complete_on_close_classes,
        };
        let (registry, threads) = start(config).map_err(|e| match e {
            StartError::Io(e) => BuildError::Spawn(e),
            StartError::Pinning(m) => BuildError::Pinning(m),
            StartError::ThreadName(m) => BuildError::Handler(format!("thread_name panicked: {m}")),
        })?;
        Ok(ThreadPool::from_parts(registry, threads))
    }
}

/// The environment variable that sizes pools built with `num_threads(0)` (the default).
pub const NUM_THREADS_ENV: &str = "ONTIME_NUM_THREADS";

/// `ONTIME_NUM_THREADS`, if set to a positive number.
fn threads_from_env() -> Result<Option<usize>, BuildError> {
    let Some(raw) = std::env::var_os(NUM_THREADS_ENV) else {
        return Ok(None);
    };
    let text = raw.to_string_lossy();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match trimmed.parse::<usize>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(BuildError::Env(format!(
            "{NUM_THREADS_ENV}={text:?} is not a number of threads (a whole number; 0 or empty \
             for one per core)"
        ))),
    }
}
