//! A worker thread: its private state, its main loop, and how it waits.
//!
//! # Pending forks and promotion (lazy fork exposure)
//! `join(a, b)` does not push `b` where thieves can see it. It appends `b` to the worker's
//! private `pending` list (`pending.rs`, owned by this thread: no atomics), runs `a`, and pops
//! `b` back. Every heartbeat interval the timer raises the worker's flag; the next `join`
//! sees it (one relaxed load) and *promotes* the oldest pending fork into the worker's
//! crossbeam deque, where thieves can steal it.
//!
//! Invariant: `pending` holds the un-promoted forks of the join frames active on this
//! thread, oldest first. Frames end in LIFO order and promotion takes the oldest, so when a
//! frame ends either its fork is the last entry (never shared: run it inline) or the list is
//! empty (it was promoted, and so was every older one). Before a worker waits on a latch it
//! promotes everything pending (`flush_pending`), so waiting frames never hide work.
//!
//! # Request context
//! `current` holds the request of the task this worker is running (`None` outside requests).
//! It changes only when a task taken from a queue starts or ends (`run_task`), so every
//! pending fork belongs to `current`: a waiting frame flushes its forks before it runs
//! anything else. Promotion and spawns stamp `current` on the `Task` they queue; see
//! `request/README.md`.

use std::cell::{Cell, UnsafeCell};
use std::ptr;
use std::thread;

use crate::deque::LocalQueue;
use crate::job::{JobRef, Task};
use crate::latch::{CoreLatch, WakeTarget};
use crate::pending::PendingForks;
use crate::policy::{IdleOrder, IdleView, ShareView};
use crate::registry::{Registry, WorkerStats};
use crate::request::admission::Queued;
use crate::request::context::RequestCtx;
use crate::sync::{Arc, AtomicBool, Ordering};
use crate::unwind::abort_on_unwind;

/// Idle rounds spent spinning (`spin_loop` hints) before yielding.
const SPIN_ROUNDS: u32 = 16;
/// Idle rounds (spinning, then `yield_now`) before a worker announces itself as a sleeper.
/// Long enough to catch work published a few microseconds later without a futex round
/// trip, short enough that an idle pool goes quiet within tens of microseconds.
const ROUNDS_UNTIL_SLEEP: u32 = 48;
/// The longest the yielding rounds may last, from the first yield. Unshared, the 32 yields
/// take about 16 µs on the 2-core VM; but each one that finds another runnable thread on
/// this CPU hands it a whole time slice (about 4 ms there), so without a bound an idle
/// worker went on competing for 10 ms with the thread that had just been given the result
/// (the `install` caller), while the other CPU stood idle. See `sleep/README.md`, "Idle
/// workers stop competing".
const YIELD_BUDGET: std::time::Duration = std::time::Duration::from_micros(50);
/// An idle worker's way to sleep: `SPIN_ROUNDS` rounds of `spin_loop` hints (doubling up to
/// 64), then `yield_now` until `ROUNDS_UNTIL_SLEEP` rounds or `YIELD_BUDGET` after the first
/// yield, whichever comes first. Reset (a fresh one) whenever the worker finds work. Not
/// `crossbeam_utils::Backoff`: that one spins 7 rounds and yields 4 with no time bound, and
/// these rounds and the budget are what the sleep measurements were taken with
/// (`sleep/README.md`).
#[derive(Default)]
struct Backoff {
    rounds: u32,
    yielding_since: Option<std::time::Instant>,
}

impl Backoff {
    /// Spins or yields once and returns true; false once it is time to announce a sleep
    /// (and from then on).
    fn snooze(&mut self) -> bool {
        if self.rounds >= ROUNDS_UNTIL_SLEEP {
            return false;
        }
        if self.rounds < SPIN_ROUNDS {
            for _ in 0..(1 << self.rounds.min(6)) {
                std::hint::spin_loop();
            }
        } else {
            let since = *self
                .yielding_since
                .get_or_insert_with(std::time::Instant::now);
            if since.elapsed() >= YIELD_BUDGET {
                return false;
            }
            thread::yield_now();
        }
        self.rounds += 1;
        true
    }
}

/// Pending forks preallocated per worker; deeper nesting grows the list once.
const PENDING_CAPACITY: usize = 256;
/// Stack a worker sets aside for each queued task it runs nested on its stack (see
/// `max_admit_depth`): generous for a request's frames (loop splits, joins, waiting), also in
/// unoptimised builds.
const STACK_PER_NESTED_TASK: usize = 64 * 1024;
/// Stack size of a worker when the builder sets none (Rust's default for spawned threads).
const DEFAULT_STACK: usize = 2 * 1024 * 1024;

/// How many queued tasks a worker may run nested on its stack before it stops admitting new
/// work (requests, outside callers' jobs). A worker waiting inside a task (for a stolen fork,
/// or a deprioritized loop yielding) admits work nested on its stack; under a flood of
/// requests every nested request can wait and admit again, so without a bound the stack
/// overflows. The bound grows with the stack: one nested task per `STACK_PER_NESTED_TASK`
/// (32 with the default 2 MiB stack). Stolen work needs no bound: it is part of work already
/// running.
pub(crate) fn max_admit_depth(stack_size: Option<usize>) -> u32 {
    let levels = stack_size.unwrap_or(DEFAULT_STACK) / STACK_PER_NESTED_TASK;
    u32::try_from(levels).unwrap_or(u32::MAX).clamp(1, 256)
}

/// Deprioritized loops yield to queued requests only while fewer than this many yields are
/// nested on the worker: a request run by a yield that is itself late would yield again, and
/// stacked yields serve requests last-in first-out, the worst order for a queue of latecomers.
const MAX_YIELD_NESTING: u32 = 4;

thread_local! {
    static CURRENT: Cell<*const WorkerThread> = const { Cell::new(ptr::null()) };
}

/// The state of one worker, living on that worker's stack for the thread's lifetime.
pub(crate) struct WorkerThread {
    local: LocalQueue<Task>,
    pending: UnsafeCell<PendingForks>,
    current: UnsafeCell<Option<Arc<RequestCtx>>>,
    heartbeat: *const AtomicBool,
    /// Queued tasks running nested on this worker's stack (`run_task` frames).
    depth: Cell<u32>,
    /// Yields (`yield_to_queued`) running nested on this worker's stack.
    yields: Cell<u32>,
    wake: WakeTarget,
    index: usize,
    registry: Arc<Registry>,
    rng: Cell<u64>,
}

impl WorkerThread {
    /// The worker running on this thread, or null outside any pool.
    #[inline]
    pub(crate) fn current() -> *const WorkerThread {
        CURRENT.with(Cell::get)
    }

    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Where latches owned by this worker send their wake-up.
    #[inline]
    pub(crate) fn wake_target(&self) -> &WakeTarget {
        &self.wake
    }

    #[inline]
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn registry_arc(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Has the timer asked this worker to share work? One relaxed load.
    #[inline]
    pub(crate) fn heartbeat_due(&self) -> bool {
        // SAFETY: points into `self.registry`, which this worker keeps alive.
        unsafe { (*self.heartbeat).load(Ordering::Relaxed) }
    }

    /// Asks for a promotion at the next fork, without waiting for the timer.
    #[inline]
    pub(crate) fn request_heartbeat(&self) {
        // SAFETY: as in `heartbeat_due`.
        unsafe { (*self.heartbeat).store(true, Ordering::Relaxed) }
    }

    /// Records a private fork (see the module docs).
    #[inline]
    pub(crate) fn push_pending(&self, job: JobRef) {
        // SAFETY: `pending` is touched only by this worker's own thread, never re-entrantly.
        unsafe { (*self.pending.get()).push(job) }
    }

    /// Takes back the newest private fork; false if it was promoted (see the invariant).
    #[inline]
    pub(crate) fn pop_pending(&self) -> bool {
        // SAFETY: as in `push_pending`.
        unsafe { (*self.pending.get()).pop() }
    }

    /// The heartbeat fired: offer the oldest pending fork to thieves, if the policy agrees.
    #[cold]
    #[inline(never)]
    pub(crate) fn promote(&self) {
        // Nothing below unwinds (`may_share` is contained); if it ever did, the join frame
        // that called us would unwind with its fork still listed as pending.
        abort_on_unwind("a heartbeat promotion unwound", || self.promote_guarded())
    }

    fn promote_guarded(&self) {
        // SAFETY: as in `heartbeat_due`.
        unsafe { (*self.heartbeat).store(false, Ordering::Relaxed) };
        // SAFETY: as in `push_pending`.
        let pending = unsafe { &mut *self.pending.get() };
        if pending.is_empty() {
            return;
        }
        // SAFETY: `current` is touched only by this thread, never re-entrantly.
        let ctx = unsafe { &*self.current.get() };
        if ctx.as_deref().is_some_and(|c| !c.shareable()) {
            return;
        }
        let view = ShareView {
            worker: self.index,
            pending: pending.len(),
            sleepers: self.registry.sleep.sleepers(),
        };
        if !self.registry.hooks.may_share(&view) {
            return;
        }
        let job = pending.take_oldest().expect("checked non-empty");
        self.local.push(Task::new(job, ctx.clone()));
        WorkerStats::bump(&self.registry.infos[self.index].stats.promotions);
        self.registry.sleep.new_work(1);
    }

    /// Promotes every pending fork, oldest first (before waiting on a latch).
    fn flush_pending(&self) {
        // SAFETY: as in `push_pending`.
        let pending = unsafe { &mut *self.pending.get() };
        let n = pending.len();
        if n == 0 {
            return;
        }
        // SAFETY: as in `promote`.
        let ctx = unsafe { &*self.current.get() };
        while let Some(job) = pending.take_oldest() {
            self.local.push(Task::new(job, ctx.clone()));
        }
        WorkerStats::add(&self.registry.infos[self.index].stats.promotions, n as u64);
        self.registry.sleep.new_work(n);
    }

    /// Sends every pending fork (all of the current request, see the module docs) and then
    /// `job` to worker `home`'s hand-back queue and wakes it: this worker stops working for
    /// a request that stopped sharing. The caller then waits for `job`'s latch.
    #[cold]
    pub(crate) fn send_home(&self, home: usize, job: JobRef) {
        let ctx = self.current_ctx();
        // SAFETY: as in `push_pending`.
        let pending = unsafe { &mut *self.pending.get() };
        let r = &*self.registry;
        let mut n = 1;
        while let Some(fork) = pending.take_oldest() {
            r.infos[home].returned.push(Task::new(fork, ctx.clone()));
            n += 1;
        }
        r.infos[home].returned.push(Task::new(job, ctx));
        r.counters.handed_back.fetch_add(n, Ordering::Relaxed);
        r.sleep.wake_worker(home);
    }

    /// A deprioritized request's loop reached a block boundary: run one queued request first,
    /// nested here. The request's pending forks are set aside meanwhile (they all belong to
    /// it, and it shares nothing), so the nested request starts with an empty pending list and
    /// leaves it empty.
    #[cold]
    #[inline(never)]
    pub(crate) fn yield_to_queued(&self) {
        let r = &*self.registry;
        let yields = self.yields.get();
        if yields >= MAX_YIELD_NESTING
            || self.depth.get() >= self.registry.max_admit_depth
            || r.hooks.queue_is_empty()
        {
            return;
        }
        let Some(item) = r.hooks.pop(self.index, r.hooks.now()) else {
            return;
        };
        // SAFETY: as in `push_pending`.
        let saved =
            unsafe { std::mem::replace(&mut *self.pending.get(), PendingForks::with_capacity(16)) };
        self.yields.set(yields + 1);
        // SAFETY: the task came from a queue.
        unsafe { self.run_task(item.into_task()) };
        self.yields.set(yields);
        // SAFETY: as in `push_pending`; the nested request's frames have all returned.
        let nested = unsafe { std::mem::replace(&mut *self.pending.get(), saved) };
        debug_assert!(
            nested.is_empty(),
            "a nested request left pending forks behind"
        );
    }

    /// Pushes a job thieves may take at once (spawns), waking a sleeper for it. It carries
    /// the current request; a shed request's work goes to the admission queue instead.
    pub(crate) fn push(&self, job: JobRef) {
        let ctx = self.current_ctx();
        if ctx.as_deref().is_some_and(RequestCtx::is_shed) {
            self.registry
                .admit_later(Queued::new(Task::new(job, ctx), false));
            return;
        }
        self.local.push(Task::new(job, ctx));
        self.registry.sleep.new_work(1);
    }

    /// The request this worker is running, if any (a new reference).
    pub(crate) fn current_ctx(&self) -> Option<Arc<RequestCtx>> {
        // SAFETY: `current` is touched only by this thread, never re-entrantly.
        unsafe { (*self.current.get()).clone() }
    }

    /// The request this worker is running, as a pointer valid until the current task ends
    /// (the running task holds a reference); null outside requests.
    #[inline]
    pub(crate) fn current_ctx_ptr(&self) -> *const RequestCtx {
        // SAFETY: as in `current_ctx`.
        unsafe {
            (*self.current.get())
                .as_deref()
                .map_or(ptr::null(), |c| c as *const _)
        }
    }

    /// Pops the newest task of this worker's deque.
    #[inline]
    pub(crate) fn pop_local(&self) -> Option<Task> {
        self.local.pop()
    }

    /// Runs a task taken from a queue, with its request as the current one.
    ///
    /// # Safety
    /// `task` must come from a queue (so it has not run yet and its data is alive).
    #[inline]
    pub(crate) unsafe fn run_task(&self, task: Task) {
        // The request this worker now runs, for thieves that steer (`steer.rs`).
        let steering = self
            .registry
            .steer
            .running(self.index, task.ctx.as_ref().map(|c| c.id));
        // SAFETY: `current` is touched only by this thread; the nested job below may swap it
        // again but restores it before returning.
        let prev = unsafe { std::mem::replace(&mut *self.current.get(), task.ctx) };
        self.depth.set(self.depth.get() + 1);
        // Restores the depth, the previous request and its steering slot even if the job
        // unwinds (jobs catch their own panics, so that would be a runtime bug; the counters
        // stay right anyway).
        let _frame = TaskFrame {
            worker: self,
            prev,
            steering,
        };
        // SAFETY: forwarded contract.
        unsafe { task.job.execute() };
    }

    /// Runs one task of this worker's pool, if one is ready (`RequestHandle::try_wait` on a
    /// worker, so that polling loops make progress). Pending forks are promoted first, as
    /// before any wait (see the module docs).
    #[cold]
    pub(crate) fn help_once(&self) {
        self.flush_pending();
        if let Some(task) = self.find_work(true) {
            // SAFETY: the task came from a queue.
            unsafe { self.run_task(task) };
        }
    }

    fn next_random(&self) -> u64 {
        // xorshift64*: cheap, good enough to spread victims.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn idle_view(&self, blocked: bool, blocked_on_live: bool) -> IdleView {
        IdleView {
            worker: self.index,
            num_threads: self.registry.num_threads(),
            queued: self.registry.injector.len() + self.registry.hooks.queue_len(),
            blocked,
            blocked_on_live,
        }
    }

    /// The request this blocked worker waits inside, if it can still meet its target
    /// ([`RequestCtx::is_live`]). Reads the clock only for such a request.
    #[cold]
    fn blocked_in_live(&self) -> Option<*const RequestCtx> {
        let ctx = self.current_ctx_ptr();
        // SAFETY: `current_ctx_ptr` is valid until the current task ends, and this worker is
        // inside that task (it waits in one of its joins).
        let live = !ctx.is_null() && unsafe { &*ctx }.is_live(|| self.registry.hooks.now());
        live.then_some(ctx)
    }

    /// Takes work from the admission side: blocking callers first (`install` and friends
    /// from outside the pool), then requests in the policy's order.
    fn admit(&self) -> Option<Task> {
        if self.depth.get() >= self.registry.max_admit_depth {
            return None;
        }
        let r = &*self.registry;
        if let Some(t) = r.injector.pop() {
            return Some(t);
        }
        if r.hooks.queue_is_empty() {
            return None;
        }
        r.hooks
            .pop(self.index, r.hooks.now())
            .map(Queued::into_task)
    }

    /// Looks for a task: own deque, tasks handed back to this worker, then stealing and
    /// admission in the policy's order. `blocked`: called while waiting inside a job.
    pub(crate) fn find_work(&self, blocked: bool) -> Option<Task> {
        self.search(blocked).task
    }

    /// [`find_work`](Self::find_work), also telling whether work was left alone because this
    /// worker waits inside a live request (see `request/README.md`, "Blocked workers"): such
    /// a worker must not sleep, since only its own deque and hand-back queue hold that work.
    fn search(&self, blocked: bool) -> Search {
        let live = if blocked {
            self.blocked_in_live()
        } else {
            None
        };
        let mut declined = false;
        if let Some(task) = self.local.pop() {
            match live {
                Some(me) if Self::given_up_elsewhere(&task, me) => {
                    // Back on top of this worker's deque, where it was: a thief may still
                    // take it (and hand it back), or this worker runs it once it is free.
                    self.local.push(task);
                    declined = true;
                }
                _ => return Search::found(task),
            }
        }
        let info = &self.registry.infos[self.index];
        if live.is_some() {
            // Only requests that stopped sharing have work here, and the live request is not
            // one of them: all of it is left for later.
            declined |= info.returned.len() > 0;
        } else if let Some(task) = info.returned.pop() {
            return Search::found(task);
        }
        let view = self.idle_view(blocked, live.is_some());
        let order = self.registry.hooks.idle_order(&view);
        let job = match order {
            IdleOrder::AdmitFirst => self.admit().or_else(|| self.steal(&view)),
            IdleOrder::StealOnly if blocked => {
                let job = self.steal(&view);
                if job.is_none() && view.queued > 0 {
                    // Queued work this worker refuses may have woken it: pass the wake-up
                    // on to a sleeper that may take it.
                    self.registry.sleep.new_work(1);
                }
                job
            }
            // `StealOnly` means `StealFirst` for a free worker.
            IdleOrder::StealFirst | IdleOrder::StealOnly => {
                self.steal(&view).or_else(|| self.admit())
            }
        };
        if job.is_some() && self.registry.sleep.sleepers() > 0 {
            // Work arrived from elsewhere while other workers sleep: share this job's first
            // fork at once instead of at the next heartbeat, so work spreads in a few
            // microseconds rather than one heartbeat interval per worker.
            self.request_heartbeat();
        }
        Search {
            task: job,
            declined,
        }
    }

    /// Whether `task` belongs to a request other than `me` that a verdict has given up on.
    fn given_up_elsewhere(task: &Task, me: *const RequestCtx) -> bool {
        task.ctx
            .as_deref()
            .is_some_and(|c| !ptr::eq(c, me) && c.is_given_up())
    }

    fn steal(&self, view: &IdleView) -> Option<Task> {
        let n = view.num_threads;
        if n <= 1 {
            return None;
        }
        let r = &*self.registry;
        let first = r.hooks.first_victim(view, self.next_random()) % n;
        // Steering (`steer.rs`): start at a worker running the request the policy says needs
        // workers most, if one has something to steal; the walk goes on from there as usual.
        let start = r
            .steer
            .start(self.index, first, |v| !r.infos[v].stealer.is_empty())
            .unwrap_or(first);
        for k in 0..n {
            let victim = (start + k) % n;
            if victim == self.index || !r.hooks.may_steal(view, victim) {
                continue;
            }
            while let Some(task) = r.infos[victim].stealer.steal() {
                if !task.shareable() {
                    // Its request stopped sharing after the job was shared: hand it back to
                    // its owner, who runs it (see `request/README.md`), and look again.
                    r.infos[victim].returned.push(task);
                    r.counters.handed_back.fetch_add(1, Ordering::Relaxed);
                    r.sleep.wake_worker(victim);
                    continue;
                }
                WorkerStats::bump(&r.infos[self.index].stats.steals);
                return Some(task);
            }
            // Nothing to take: ask the victim to promote its oldest pending fork at its next
            // fork or loop block instead of at its next timer heartbeat.
            r.infos[victim].ask_to_promote();
        }
        None
    }

    /// Runs other work until `latch` is set; sleeps (without spinning) when there is none.
    /// Protocol: `sleep/README.md`.
    #[cold]
    pub(crate) fn wait_until(&self, latch: &CoreLatch) {
        // Whoever waits here has lent its stack to work other threads may be running (a
        // stolen fork, a job injected elsewhere): unwinding past it would free that stack
        // under them. Nothing here unwinds (tasks and hooks are contained); if it ever did,
        // abort rather than run on with a dangling frame (as rayon does).
        abort_on_unwind(
            "a worker unwound while it waited for work that borrows its stack",
            || self.wait_until_guarded(latch),
        )
    }

    fn wait_until_guarded(&self, latch: &CoreLatch) {
        self.flush_pending();
        let sleep = &self.registry.sleep;
        let mut idle = Backoff::default();
        let blocked = !std::ptr::eq(latch, &self.registry.infos[self.index].terminate);
        while !latch.probe() {
            let found = self.search(blocked);
            if let Some(task) = found.task {
                // SAFETY: the task came from a queue.
                unsafe { self.run_task(task) };
                idle = Backoff::default();
                continue;
            }
            if found.declined {
                // Work only this worker runs is waiting for the live request to finish or
                // to pass its deadline: look again soon instead of sleeping.
                thread::yield_now();
                continue;
            }
            if idle.snooze() {
                continue;
            }
            let ticket = sleep.prepare();
            if latch.probe() {
                sleep.cancel(ticket);
                break;
            }
            let found = self.search(blocked);
            if found.declined && found.task.is_none() {
                sleep.cancel(ticket);
                continue;
            }
            if let Some(task) = found.task {
                sleep.cancel(ticket);
                // SAFETY: the task came from a queue.
                unsafe { self.run_task(task) };
                idle = Backoff::default();
                continue;
            }
            if !latch.get_sleepy() {
                sleep.cancel(ticket);
                continue;
            }
            sleep.sleep(self.index, ticket);
            latch.wake_up();
            idle = Backoff::default();
        }
    }

    /// A worker thread's whole life.
    pub(crate) fn main_loop(registry: Arc<Registry>, index: usize, local: LocalQueue<Task>) {
        let heartbeat: *const AtomicBool = &*registry.infos[index].heartbeat;
        let wake = WakeTarget {
            sleep: &*registry.sleep,
            index,
        };
        let worker = WorkerThread {
            local,
            pending: UnsafeCell::new(PendingForks::with_capacity(PENDING_CAPACITY)),
            current: UnsafeCell::new(None),
            heartbeat,
            depth: Cell::new(0),
            yields: Cell::new(0),
            wake,
            index,
            registry,
            rng: Cell::new(0x9e37_79b9_7f4a_7c15 ^ ((index as u64 + 1) << 17)),
        };
        CURRENT.with(|c| c.set(&worker));
        let registry = &*worker.registry;
        // Before any work: a worker's first steal then allocates nothing (`deque.rs`).
        registry.infos[index].stealer.register_thread();
        registry.hooks.run_start_handler(index);
        worker.wait_until(&registry.infos[index].terminate);
        worker.drain_before_exit();
        registry.hooks.run_exit_handler(index);
        CURRENT.with(|c| c.set(ptr::null()));
    }

    /// Shutdown: runs whatever is still reachable, so nothing queued is lost; exits only after
    /// a search that followed a reading of a quiet gate (`gate.rs`).
    /// Requests are asked for on behalf of every worker: a routing queue may hold items for a
    /// worker that has already left.
    fn drain_before_exit(&self) {
        let r = &*self.registry;
        abort_on_unwind(
            "a worker unwound while draining its pool at shutdown",
            || loop {
                let quiet = r.gate.is_quiet();
                let task = self.find_work(false).or_else(|| {
                    let now = r.hooks.now();
                    (0..r.num_threads())
                        .find_map(|w| r.hooks.pop(w, now))
                        .map(Queued::into_task)
                });
                match task {
                    // SAFETY: the task came from a queue.
                    Some(task) => unsafe { self.run_task(task) },
                    None if quiet => break,
                    None => thread::yield_now(),
                }
            },
        )
    }
}

/// What [`WorkerThread::search`] found.
struct Search {
    task: Option<Task>,
    /// Work was left alone because the worker waits inside a live request.
    declined: bool,
}

impl Search {
    fn found(task: Task) -> Self {
        Search {
            task: Some(task),
            declined: false,
        }
    }
}

/// Restores a worker's nesting depth and current request when a task ends (`run_task`).
struct TaskFrame<'a> {
    worker: &'a WorkerThread,
    prev: Option<Arc<RequestCtx>>,
    /// The worker's steering slot before the task (`steer.rs`).
    steering: u64,
}

impl Drop for TaskFrame<'_> {
    #[inline]
    fn drop(&mut self) {
        let w = self.worker;
        w.depth.set(w.depth.get() - 1);
        // SAFETY: `current` is touched only by this thread, never re-entrantly.
        let done = unsafe { std::mem::replace(&mut *w.current.get(), self.prev.take()) };
        w.registry.steer.restore(w.index, self.steering);
        drop(done);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{max_admit_depth, WorkerThread};
    use crate::sync::Ordering;
    use std::time::Duration;

    #[test]
    fn a_thief_that_finds_nothing_asks_its_victim_to_promote() {
        // The longest heartbeat, so the timer (which raises every flag, the thief's own
        // included) almost never ticks during the check; a tick is detected and retried.
        let pool = crate::ThreadPoolBuilder::new()
            .num_threads(2)
            .heartbeat(Duration::from_secs(1))
            .build()
            .unwrap();
        pool.install(|| {
            // SAFETY: `install` runs this on a worker thread.
            let wt = unsafe { &*WorkerThread::current() };
            let infos = &wt.registry().infos;
            let me = wt.index();
            let victim = 1 - me;
            loop {
                infos[me].heartbeat.store(false, Ordering::Relaxed);
                infos[victim].heartbeat.store(false, Ordering::Relaxed);
                let found = wt.steal(&wt.idle_view(false, false));
                assert!(found.is_none(), "the other worker has nothing queued");
                if infos[me].heartbeat.load(Ordering::Relaxed) {
                    continue; // the timer ticked meanwhile: try again
                }
                assert!(
                    infos[victim].heartbeat.load(Ordering::Relaxed),
                    "an idle thief must raise its victim's heartbeat flag"
                );
                break;
            }
        });
    }

    /// `search` on a worker blocked inside a live request: the given-up request's task on
    /// top of its own deque and the one in its hand-back queue are left alone (and the
    /// worker is told so, so it does not sleep) until the live request's deadline passes;
    /// then both are found, own deque first.
    #[test]
    fn a_worker_blocked_in_a_live_request_leaves_given_up_work_alone_until_its_deadline() {
        use crate::job::{HeapJob, Task};
        use crate::request::context::RequestCtx;
        use crate::{ManualClock, RequestAction, RequestInfo};
        use std::sync::atomic::AtomicUsize;
        use std::sync::Arc;

        let clock = Arc::new(ManualClock::new());
        // One worker: nobody else can take the tasks.
        let pool = crate::ThreadPoolBuilder::new()
            .num_threads(1)
            .clock(clock.clone())
            .build()
            .unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let r2 = ran.clone();
        pool.install(move || {
            // SAFETY: `install` runs this on a worker thread.
            let wt = unsafe { &*WorkerThread::current() };
            let info = RequestInfo {
                target: Some(Duration::from_millis(10)),
                ..RequestInfo::default()
            };
            let live = Arc::new(RequestCtx::new(1, info, Duration::ZERO));
            let given_up = Arc::new(RequestCtx::new(2, info, Duration::ZERO));
            assert!(given_up.apply(RequestAction::Deprioritize));
            let task = |label: usize| {
                let r = r2.clone();
                let job = HeapJob::into_job_ref(move || {
                    r.fetch_add(label, std::sync::atomic::Ordering::SeqCst);
                });
                Task::new(job, Some(given_up.clone()))
            };
            wt.local.push(task(1));
            wt.registry.infos[wt.index].returned.push(task(10));
            // Blocked inside the live request (as `run_task` would have made it current).
            // SAFETY: `current` is touched only by this thread; restored below.
            let prev = unsafe { (*wt.current.get()).replace(live) };
            for _ in 0..3 {
                let s = wt.search(true);
                assert!(s.task.is_none(), "given-up work ran above a live request");
                assert!(s.declined, "the worker was not told to stay awake");
            }
            // A free worker (not blocked) is not bound by the rule.
            let s = wt.search(false);
            let own = s.task.expect("a free worker takes its own deque's task");
            wt.local.push(own);
            // The live request's deadline passes: the rule no longer holds.
            clock.set(Duration::from_millis(11));
            let first = wt
                .search(true)
                .task
                .expect("own deque's task after the deadline");
            // SAFETY: the task came from a queue.
            unsafe { wt.run_task(first) };
            assert_eq!(r2.load(std::sync::atomic::Ordering::SeqCst), 1);
            let second = wt.search(true).task.expect("hand-back queue's task");
            // SAFETY: the task came from a queue.
            unsafe { wt.run_task(second) };
            // SAFETY: as above.
            unsafe { *wt.current.get() = prev };
        });
        assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 11);
    }

    #[test]
    fn admit_depth_follows_the_stack_size() {
        assert_eq!(max_admit_depth(None), 32);
        assert_eq!(max_admit_depth(Some(128 * 1024)), 2);
        assert_eq!(max_admit_depth(Some(64 * 1024)), 1);
        assert_eq!(max_admit_depth(Some(1 << 40)), 256);
    }
}
