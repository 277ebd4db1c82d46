//! `join`: fork two closures, the second one lazily exposed to thieves.
//!
//! The un-stolen path costs: building a `StackJob` on the stack, one push and pop on the
//! worker's private pending list (an array stack, `pending.rs`), one relaxed load of the
//! heartbeat flag, `a` under `catch_unwind` (no cost unless it panics), and one direct call
//! that runs `b` (`run_b`). No heap allocation, no atomic read-modify-write, no clock read, no
//! dynamic call. Everything else (promotion, waiting for a thief, panics) is `#[cold]`.

use std::panic;

use crate::global::global_registry;
use crate::job::{JobRef, StackJob};
use crate::latch::SpinLatch;
use crate::unwind;
use crate::worker::WorkerThread;

/// Runs `a` and `b`, potentially in parallel, and returns both results.
///
/// `b` is recorded as a pending fork while `a` runs on the current thread; it becomes
/// stealable only if a heartbeat promotes it, so a `join` nobody steals costs a few
/// nanoseconds. Called outside any pool, it runs on the global pool and blocks the caller.
///
/// Both closures always run. If either panics, the panic is re-raised here after both have
/// finished (`a`'s panic wins if both panic); the pool is unaffected.
///
/// ```
/// fn fib(n: u64) -> u64 {
///     if n < 2 { return n; }
///     let (a, b) = ontime_core::join(|| fib(n - 1), || fib(n - 2));
///     a + b
/// }
/// assert_eq!(fib(20), 6765);
/// ```
#[inline]
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let wt = WorkerThread::current();
    if wt.is_null() {
        return join_outside(a, b);
    }
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    join_in_worker(unsafe { &*wt }, a, move |_| b())
}

/// `join` called outside any pool: on the global pool, blocking the caller.
///
/// Out of line, so that `join` itself stays small enough to inline into recursive callers.
/// Measured with callgrind, fib(25) on one worker: with this path inline in `join` (after
/// `Registry::install` grew its cross-pool arm) the compiler stopped inlining the caller's
/// body into `join_in_worker`, and the run took 8.74M instructions instead of 7.85M.
#[cold]
#[inline(never)]
fn join_outside<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    global_registry().install(move |wt| join_in_worker(wt, a, move |_| b()))
}

/// `join` on a known worker; `b` learns whether it was stolen ("migrated").
#[inline]
pub(crate) fn join_in_worker<A, B, RA, RB>(wt: &WorkerThread, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce(bool) -> RB + Send,
    RB: Send,
{
    let job_b = StackJob::new(b, SpinLatch::new(wt.wake_target()));
    // SAFETY: `job_b` outlives its JobRef: this frame returns only after the fork was popped
    // back (un-stolen) or its latch was set by the thread that ran it.
    let job_b_ref = unsafe { job_b.as_job_ref() };
    wt.push_pending(job_b_ref);
    if wt.heartbeat_due() {
        wt.promote();
    }
    let ra = unwind::catch(a);
    if wt.pop_pending() {
        // Never shared: run `b` here.
        // SAFETY: the fork never left this thread's private list.
        return unsafe { finish_inline(&job_b, ra) };
    }
    join_promoted(wt, &job_b, job_b_ref, ra)
}

/// Runs an un-shared `b` on this thread, in its own small frame.
///
/// Kept out of line on purpose. Measured on the 2-core AMD EPYC VM, one thread, fib(30):
/// `b` called from here takes 6.1 ms; `b` inlined into `join_in_worker`, so that both halves
/// recurse from one frame, takes 9.7 ms even though callgrind counts 11% fewer instructions
/// (6.9M against 7.8M for fib(25)). Re-measure before changing this.
///
/// # Safety
/// As for [`finish_inline`].
#[inline(never)]
unsafe fn run_b<F, RB>(job_b: &StackJob<SpinLatch, F, RB>) -> RB
where
    F: FnOnce(bool) -> RB + Send,
    RB: Send,
{
    // SAFETY: forwarded contract.
    unsafe { job_b.run_inline() }
}

/// `a` panicked and `b` was never shared: run `b` (dropping its own panic), then re-raise.
///
/// # Safety
/// As for [`finish_inline`].
#[cold]
#[inline(never)]
unsafe fn finish_after_panic<F, RA, RB>(
    job_b: &StackJob<SpinLatch, F, RB>,
    p: Box<dyn std::any::Any + Send>,
) -> (RA, RB)
where
    F: FnOnce(bool) -> RB + Send,
    RB: Send,
{
    // SAFETY: forwarded contract.
    let _ = unwind::catch(|| unsafe { job_b.run_inline() });
    panic::resume_unwind(p)
}

/// Runs `b` on this thread and pairs its result with `a`'s. Both always run: if `a` panicked,
/// `b` still runs (its own panic, if any, is dropped) and `a`'s panic is re-raised.
///
/// Always inlined: left to the compiler it became a call that passed `a`'s result through
/// memory, 7.0 ms against 6.1 ms for fib(30) on one thread (see `run_b`).
///
/// # Safety
/// No other thread may hold or run `job_b`'s `JobRef`, and it has not run yet.
#[inline(always)]
unsafe fn finish_inline<F, RA, RB>(
    job_b: &StackJob<SpinLatch, F, RB>,
    ra: std::thread::Result<RA>,
) -> (RA, RB)
where
    F: FnOnce(bool) -> RB + Send,
    RB: Send,
{
    match ra {
        // SAFETY: forwarded contract.
        Ok(ra) => (ra, unsafe { run_b(job_b) }),
        // SAFETY: forwarded contract.
        Err(p) => unsafe { finish_after_panic(job_b, p) },
    }
}

#[inline]
fn ok_or_resume<T>(r: std::thread::Result<T>) -> T {
    match r {
        Ok(x) => x,
        Err(p) => panic::resume_unwind(p),
    }
}

/// `b` was promoted: take it back if nobody stole it, else help until its thief is done.
///
/// `job_b` is borrowed, never moved: thieves write its result and latch at its address.
#[cold]
#[inline(never)]
fn join_promoted<F, RA, RB>(
    wt: &WorkerThread,
    job_b: &StackJob<SpinLatch, F, RB>,
    job_b_ref: JobRef,
    ra: std::thread::Result<RA>,
) -> (RA, RB)
where
    F: FnOnce(bool) -> RB + Send,
    RB: Send,
{
    while !job_b.latch.core.probe() {
        match wt.pop_local() {
            Some(task) if task.job.id() == job_b_ref.id() => {
                // Promoted but not stolen: it is ours again.
                // SAFETY: we just removed the only JobRef from the deque.
                return unsafe { finish_inline(job_b, ra) };
            }
            // Work pushed by code nested inside `a` (spawns): run it.
            // SAFETY: the task came from our deque.
            Some(task) => unsafe { wt.run_task(task) },
            None => {
                wt.wait_until(&job_b.latch.core);
                break;
            }
        }
    }
    // SAFETY: the latch is set: the thief has written the result and let go of the job.
    let rb = unwind::catch(|| unsafe { job_b.take_result() });
    let ra = ok_or_resume(ra);
    (ra, ok_or_resume(rb))
}
