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

use std::cell::{Cell, UnsafeCell};
use std::ptr;
use std::thread;

use crate::deque::LocalQueue;
use crate::job::JobRef;
use crate::latch::{CoreLatch, WakeTarget};
use crate::pending::PendingForks;
use crate::policy::{IdleOrder, IdleView, ShareView};
use crate::registry::{Registry, WorkerStats};
use crate::sync::{Arc, AtomicBool, Ordering};

/// Idle rounds spent spinning (`spin_loop` hints) before yielding.
const SPIN_ROUNDS: u32 = 16;
/// Idle rounds (spinning, then `yield_now`) before a worker announces itself as a sleeper.
/// Long enough to catch work published a few microseconds later without a futex round
/// trip, short enough that an idle pool goes quiet within tens of microseconds.
const ROUNDS_UNTIL_SLEEP: u32 = 48;
/// Pending forks preallocated per worker; deeper nesting grows the list once.
const PENDING_CAPACITY: usize = 256;

thread_local! {
    static CURRENT: Cell<*const WorkerThread> = const { Cell::new(ptr::null()) };
}

/// The state of one worker, living on that worker's stack for the thread's lifetime.
pub(crate) struct WorkerThread {
    local: LocalQueue<JobRef>,
    pending: UnsafeCell<PendingForks>,
    heartbeat: *const AtomicBool,
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
        // SAFETY: as in `heartbeat_due`.
        unsafe { (*self.heartbeat).store(false, Ordering::Relaxed) };
        // SAFETY: as in `push_pending`.
        let pending = unsafe { &mut *self.pending.get() };
        if pending.is_empty() {
            return;
        }
        let view = ShareView {
            worker: self.index,
            pending: pending.len(),
            sleepers: self.registry.sleep.sleepers(),
        };
        if !self.registry.policy.may_share(&view) {
            return;
        }
        let job = pending.take_oldest().expect("checked non-empty");
        self.local.push(job);
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
        while let Some(job) = pending.take_oldest() {
            self.local.push(job);
        }
        WorkerStats::add(&self.registry.infos[self.index].stats.promotions, n as u64);
        self.registry.sleep.new_work(n);
    }

    /// Pushes a job thieves may take at once (spawns), waking a sleeper for it.
    pub(crate) fn push(&self, job: JobRef) {
        self.local.push(job);
        self.registry.sleep.new_work(1);
    }

    /// Pops the newest job of this worker's deque.
    #[inline]
    pub(crate) fn pop_local(&self) -> Option<JobRef> {
        self.local.pop()
    }

    /// Runs a job taken from a queue.
    ///
    /// # Safety
    /// `job` must come from a queue (so it has not run yet and its data is alive).
    #[inline]
    pub(crate) unsafe fn execute(&self, job: JobRef) {
        // SAFETY: forwarded contract; jobs catch their own panics, so this never unwinds.
        unsafe { job.execute() }
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

    fn idle_view(&self) -> IdleView {
        IdleView {
            worker: self.index,
            num_threads: self.registry.num_threads(),
            queued: self.registry.injector.len(),
        }
    }

    /// Looks for a job: own deque, then stealing and admission in the policy's order.
    pub(crate) fn find_work(&self) -> Option<JobRef> {
        if let Some(job) = self.local.pop() {
            return Some(job);
        }
        let view = self.idle_view();
        let job = match self.registry.policy.idle_order(&view) {
            IdleOrder::StealFirst => self.steal(&view).or_else(|| self.registry.injector.pop()),
            IdleOrder::AdmitFirst => self.registry.injector.pop().or_else(|| self.steal(&view)),
        };
        if job.is_some() && self.registry.sleep.sleepers() > 0 {
            // Work arrived from elsewhere while other workers sleep: share this job's first
            // fork at once instead of at the next heartbeat, so work spreads in a few
            // microseconds rather than one heartbeat interval per worker.
            self.request_heartbeat();
        }
        job
    }

    fn steal(&self, view: &IdleView) -> Option<JobRef> {
        let n = view.num_threads;
        if n <= 1 {
            return None;
        }
        let start = self.registry.policy.first_victim(view, self.next_random()) % n;
        for k in 0..n {
            let victim = (start + k) % n;
            if victim == self.index {
                continue;
            }
            if let Some(job) = self.registry.infos[victim].stealer.steal() {
                WorkerStats::bump(&self.registry.infos[self.index].stats.steals);
                return Some(job);
            }
        }
        None
    }

    /// Runs other work until `latch` is set; sleeps (without spinning) when there is none.
    /// Protocol: `sleep/README.md`.
    #[cold]
    pub(crate) fn wait_until(&self, latch: &CoreLatch) {
        self.flush_pending();
        let sleep = &self.registry.sleep;
        let mut rounds = 0u32;
        while !latch.probe() {
            if let Some(job) = self.find_work() {
                // SAFETY: the job came from a queue.
                unsafe { self.execute(job) };
                rounds = 0;
                continue;
            }
            if rounds < ROUNDS_UNTIL_SLEEP {
                if rounds < SPIN_ROUNDS {
                    for _ in 0..(1 << rounds.min(6)) {
                        std::hint::spin_loop();
                    }
                } else {
                    thread::yield_now();
                }
                rounds += 1;
                continue;
            }
            let ticket = sleep.prepare();
            if latch.probe() {
                sleep.cancel(ticket);
                break;
            }
            if let Some(job) = self.find_work() {
                sleep.cancel(ticket);
                // SAFETY: the job came from a queue.
                unsafe { self.execute(job) };
                rounds = 0;
                continue;
            }
            if !latch.get_sleepy() {
                sleep.cancel(ticket);
                continue;
            }
            sleep.sleep(self.index, ticket);
            latch.wake_up();
            rounds = 0;
        }
    }

    /// A worker thread's whole life.
    pub(crate) fn main_loop(registry: Arc<Registry>, index: usize, local: LocalQueue<JobRef>) {
        let heartbeat: *const AtomicBool = &*registry.infos[index].heartbeat;
        let wake = WakeTarget {
            sleep: &registry.sleep,
            index,
        };
        let worker = WorkerThread {
            local,
            pending: UnsafeCell::new(PendingForks::with_capacity(PENDING_CAPACITY)),
            heartbeat,
            wake,
            index,
            registry,
            rng: Cell::new(0x9e37_79b9_7f4a_7c15 ^ ((index as u64 + 1) << 17)),
        };
        CURRENT.with(|c| c.set(&worker));
        let registry = &*worker.registry;
        registry.run_start_handler(index);
        worker.wait_until(&registry.infos[index].terminate);
        // Shutdown: finish whatever is still reachable, so nothing queued is lost.
        while let Some(job) = worker.find_work() {
            // SAFETY: the job came from a queue.
            unsafe { worker.execute(job) };
        }
        registry.run_exit_handler(index);
        CURRENT.with(|c| c.set(ptr::null()));
    }
}
