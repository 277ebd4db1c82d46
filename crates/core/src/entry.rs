//! How work enters a pool from its callers: `install` from outside, from a worker of another
//! pool, or from one of its own workers; jobs injected for `spawn` and scopes.
//!
//! # Cross-pool entry
//! A worker of pool A that calls `B.install(op)` injects `op` into B and then *waits like a
//! worker*: it runs A's work (its own deque, steals, A's admission queue) until B's worker sets
//! the job's [`CrossLatch`]. So A→B→A completes with one thread per pool: A's only worker,
//! waiting for B, runs the job B's worker injected back into A. Threads outside every pool
//! block on a thread-local [`LockLatch`] instead.
//!
//! # Shutdown
//! After `shutdown()` a pool takes no new work from outside its own workers: `install`,
//! `join`, `scope`, the loops, `spawn` and `submit` called from any other thread panic with a
//! message naming the pool. Work its own running jobs create during shutdown (spawns, joins,
//! nested loops, submits) is still taken and runs before the workers exit. The check and the
//! push go through the pool's [`Gate`](crate::gate::Gate), whose protocol (`gate.rs`) makes
//! sure a caller racing with shutdown is either refused or has its job run.

use crate::gate::Pass;
use crate::job::{JobRef, StackJob, Task};
use crate::latch::{CrossLatch, LockLatch};
use crate::registry::{Registry, WorkerStats};
use crate::worker::WorkerThread;

thread_local! {
    /// The blocking latch an outside thread waits on while the pool runs its job.
    static LOCK_LATCH: LockLatch = LockLatch::new();
}

impl Registry {
    /// Announces a caller from outside the pool, or panics if the pool was shut down.
    pub(crate) fn enter(&self) -> Pass<'_> {
        match self.gate.try_enter() {
            Some(pass) => pass,
            None => self.refuse(),
        }
    }

    #[cold]
    #[inline(never)]
    fn refuse(&self) -> ! {
        panic!(
            "ontime: pool #{} was shut down; it takes no new work from outside its own workers \
             (install, join, scope, loops, spawn and submit all refuse)",
            self.id
        )
    }

    /// Whether the calling thread is one of this pool's workers (and which).
    #[inline]
    pub(crate) fn own_worker(&self) -> Option<&WorkerThread> {
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        unsafe { wt.as_ref() }.filter(|wt| std::ptr::eq(wt.registry(), self))
    }

    /// Puts a job in the injector and wakes a sleeper for it. Callers from outside the pool
    /// hold an `enter` guard around this.
    fn inject(&self, job: JobRef) {
        self.inject_waking(job, 1);
    }

    /// [`inject`](Self::inject), waking up to `sleepers` sleepers for it.
    fn inject_waking(&self, job: JobRef, sleepers: usize) {
        WorkerStats::bump(&self.injected);
        self.injector.push(Task::new(job, None));
        self.sleep.new_work(sleepers);
    }

    /// `spawn`: on the current worker's deque if it belongs to this pool (carrying that
    /// worker's request context), else injected. Panics from outside a shut-down pool.
    pub(crate) fn push_job(&self, job: JobRef) {
        match self.own_worker() {
            Some(wt) => wt.push(job),
            None => {
                let _entering = self.enter();
                self.inject(job);
            }
        }
    }

    /// A scope's spawn: like [`push_job`](Self::push_job), but never refused. The scope's owner
    /// is a live worker of this pool waiting for the job, so the job runs even during shutdown.
    pub(crate) fn push_scoped(&self, job: JobRef) {
        match self.own_worker() {
            Some(wt) => wt.push(job),
            None => {
                let _pass = self.gate.enter_always();
                self.inject(job);
            }
        }
    }

    /// Runs `op` on a worker of this pool: directly if the caller is one; else injected, the
    /// caller waiting (a worker of another pool runs its own pool's work meanwhile, see
    /// "Cross-pool entry"). Panics if called from outside after shutdown.
    pub(crate) fn install<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread) -> R + Send,
        R: Send,
    {
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        match unsafe { wt.as_ref() } {
            Some(wt) if std::ptr::eq(wt.registry(), self) => op(wt),
            Some(wt) => self.install_cross(wt, op),
            None => self.install_cold(op),
        }
    }

    #[cold]
    fn install_cold<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread) -> R + Send,
        R: Send,
    {
        let entering = self.enter();
        LOCK_LATCH.with(|latch| {
            let job = StackJob::new(|_migrated| op(current_worker()), latch);
            // Two sleepers are woken: one runs the job, the other is already up when the
            // job's first fork is shared, instead of being woken then by the first worker,
            // which the kernel then often queues on that worker's own CPU (`sleep/README.md`,
            // "A cold install wakes two workers").
            // SAFETY: we block below until the job has run and set its latch, so it outlives
            // its JobRef.
            self.inject_waking(unsafe { job.as_job_ref() }, COLD_INSTALL_WAKES);
            drop(entering);
            latch.wait_and_reset();
            // SAFETY: the latch is set: the runner wrote the result.
            unsafe { job.take_result() }
        })
    }

    #[cold]
    fn install_cross<OP, R>(&self, wt: &WorkerThread, op: OP) -> R
    where
        OP: FnOnce(&WorkerThread) -> R + Send,
        R: Send,
    {
        let entering = self.enter();
        let latch = CrossLatch::new(&wt.registry().sleep, wt.index());
        let job = StackJob::new(|_migrated| op(current_worker()), &latch);
        // SAFETY: `job` stays in this frame, unmoved, until its latch is set below.
        self.inject(unsafe { job.as_job_ref() });
        drop(entering);
        wt.wait_until(&latch.core);
        // SAFETY: the latch is set: the runner wrote the result and let go of the job.
        unsafe { job.take_result() }
    }
}

/// Sleepers a cold `install` wakes: the job's runner and a second worker for its first fork.
const COLD_INSTALL_WAKES: usize = 2;

/// The worker running an injected job.
fn current_worker<'a>() -> &'a WorkerThread {
    let wt = WorkerThread::current();
    // SAFETY: injected jobs are only ever executed by worker threads, whose `WorkerThread`
    // lives for the whole thread.
    unsafe { &*wt }
}
