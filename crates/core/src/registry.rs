//! The state one pool's workers share: their stealers and heartbeat flags, the injector,
//! the sleep state, the request bookkeeping and the contained user hooks.
//!
//! This file holds data and the few operations on it that need nothing else (termination,
//! counters). The rest of the runtime builds on it, one job per file: `start.rs` starts the
//! threads, `entry.rs` takes work in from callers, `request/lifecycle.rs` runs requests and
//! the timer's reviews, `global.rs` holds the global pool, `hooks.rs` contains every call into
//! user code. None of them is imported here, so the layering has no cycle.

use std::time::Duration;

use crossbeam_utils::CachePadded;
use slab::Slab;

use crate::close::ExitSignal;
use crate::deque::{Injector, StealQueue};
use crate::gate::Gate;
use crate::hooks::Hooks;
use crate::job::Task;
use crate::latch::CoreLatch;
use crate::request::admission::Queued;
use crate::request::book::RequestBook;
use crate::request::context::RequestCtx;
use crate::request::schedule::Schedule;
use crate::sleep::Sleep;
use crate::steer::Steer;
use crate::sync::{Arc, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Mutex, Ordering};

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
    pub(crate) fn new(stealer: StealQueue<Task>) -> Self {
        ThreadInfo {
            stealer,
            returned: Injector::new(),
            heartbeat: CachePadded::new(AtomicBool::new(false)),
            terminate: CoreLatch::new(),
            stats: CachePadded::new(WorkerStats::default()),
        }
    }

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
    /// `try_submit` calls refused because the queue was full.
    pub(crate) refused: AtomicU64,
    /// Requests rejected unrun because they could no longer meet their target.
    pub(crate) rejected: AtomicU64,
}

/// A process-unique pool number: how handles and messages name a pool (an address can be
/// reused by a later pool; this number cannot).
fn next_pool_id() -> u64 {
    // std, not `crate::sync`: a plain counter that no protocol depends on.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The shared state of one pool.
pub(crate) struct Registry {
    /// Process-unique pool number (`ThreadPool::id`).
    pub(crate) id: u64,
    pub(crate) infos: Box<[ThreadInfo]>,
    pub(crate) injector: Injector<Task>,
    /// The policy, the admission queue, the clock and the handlers, every call contained.
    pub(crate) hooks: Hooks,
    /// Requests with work alive, for the timer's reviews (only if the policy reviews).
    pub(crate) active: Mutex<Slab<Arc<RequestCtx>>>,
    /// Where idle workers start their victim walk (`steer.rs`).
    pub(crate) steer: Steer,
    pub(crate) counters: RequestCounters,
    pub(crate) sleep: Arc<Sleep>,
    pub(crate) heartbeat: Duration,
    pub(crate) min_work_size: AtomicUsize,
    /// Requests submitted and not yet started, cancelled requests and the clock (shared with
    /// root jobs and handles, which hold no pool); `max_queued` is the bound `try_submit`
    /// keeps the queued count under (`usize::MAX`: none).
    pub(crate) book: Arc<RequestBook>,
    pub(crate) max_queued: usize,
    /// See `worker::max_admit_depth`.
    pub(crate) max_admit_depth: u32,
    pub(crate) injected: AtomicU64,
    /// Lets callers from outside in until shutdown (`gate.rs`).
    pub(crate) gate: Gate,
    /// Requests and series waiting for their instants (`request/schedule.rs`).
    pub(crate) schedule: Schedule,
    /// `close.rs`: the mode the pool was closed with, and the workers' exit count.
    pub(crate) close_mode: AtomicU8,
    pub(crate) exit: Arc<ExitSignal>,
    /// Classes whose requests run even under `CloseMode::Cancel`.
    pub(crate) complete_on_close_classes: Box<[u32]>,
}

impl Registry {
    /// The registry of a pool of `infos.len()` workers; starts nothing (`start.rs` does).
    pub(crate) fn new(
        infos: Box<[ThreadInfo]>,
        hooks: Hooks,
        heartbeat: Duration,
        min_work_size: usize,
        max_queued: usize,
        max_admit_depth: u32,
        complete_on_close_classes: Box<[u32]>,
    ) -> Self {
        let n = infos.len();
        let steer = Steer::new(n, hooks.reviews_running());
        let book = Arc::new(RequestBook::new(std::sync::Arc::clone(&hooks.clock)));
        Registry {
            id: next_pool_id(),
            infos,
            injector: Injector::new(),
            hooks,
            active: Mutex::new(Slab::new()),
            steer,
            counters: RequestCounters::default(),
            sleep: Arc::new(Sleep::new(n)),
            heartbeat,
            min_work_size: AtomicUsize::new(min_work_size),
            book,
            max_queued,
            max_admit_depth,
            injected: AtomicU64::new(0),
            gate: Gate::new(),
            schedule: Schedule::new(),
            close_mode: crate::close::new_mode(),
            exit: Arc::new(ExitSignal::new(n)),
            complete_on_close_classes,
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
        if !self.gate.close() {
            return;
        }
        // Requests waiting for an instant that will not come resolve `Cancelled`.
        self.schedule.close(&self.book);
        for (i, info) in self.infos.iter().enumerate() {
            // SAFETY: the latch lives in the registry, which outlives this call.
            if unsafe { CoreLatch::set(&info.terminate) } {
                self.sleep.wake_worker(i);
            }
        }
        self.sleep.wake_all();
    }

    /// Queues request work in the policy's admission queue and wakes a sleeper for it.
    pub(crate) fn admit_later(&self, item: Queued) {
        self.hooks.push(item);
        self.sleep.new_work(1);
    }

    /// Whether a request about to start is rejected unrun (`Request::reject_when_late`, or a
    /// policy that `rejects_late`): it asked, and it can no longer meet its target.
    #[inline]
    pub(crate) fn rejects(&self, ctx: &RequestCtx) -> bool {
        (ctx.reject_when_late || self.hooks.rejects_late())
            && ctx.info.target.is_some()
            && ctx
                .info
                .cannot_meet(ctx.arrival, self.hooks.now(), self.num_threads())
    }

    /// Whether a request that has not started must resolve `Cancelled` instead of running
    /// (`CloseMode::Cancel`, unless it or its class completes on close).
    pub(crate) fn cancels_on_close(&self, ctx: &RequestCtx) -> bool {
        self.close_mode.load(Ordering::SeqCst) == crate::close::mode::CANCEL
            && !ctx.complete_on_close
            && !self.complete_on_close_classes.contains(&ctx.info.class)
    }

    pub(crate) fn is_terminating(&self) -> bool {
        self.gate.is_closed()
    }
}
