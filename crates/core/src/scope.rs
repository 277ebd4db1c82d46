//! `scope`: spawn any number of closures that may borrow from the enclosing stack.
//!
//! Completion protocol: a `CountLatch` starts at one (the scope body); each spawn adds one
//! before its job is queued, each finished job (and the body, when it returns) removes one.
//! The count can only reach zero once the body has returned and every job has finished,
//! because a job is counted before it is queued, by a party (the body or a running job)
//! that itself still holds a count. The owner waits on the latch while running other work,
//! and only then returns, so borrowed data outlives every job.

use std::any::Any;
use std::marker::PhantomData;
use std::panic;

use crate::job::HeapJob;
use crate::latch::{CountLatch, Latch};
use crate::registry::Registry;
use crate::sync::{lock, Mutex};
use crate::unwind;
use crate::worker::WorkerThread;

/// The closures a scope runs; the marker makes `Scope` invariant in `'scope`.
type ScopeBody<'scope> = Box<dyn FnOnce(&Scope<'scope>) + Send + Sync + 'scope>;

/// A fork-join scope: see [`scope`].
pub struct Scope<'scope> {
    registry: *const Registry,
    latch: CountLatch,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Invariant in `'scope`, like the closures it runs.
    marker: PhantomData<ScopeBody<'scope>>,
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

// SAFETY: the registry pointer is to a `Registry` (Sync) that outlives the scope; the latch
// and panic slot are thread-safe. Jobs on other threads only use `&Scope`.
unsafe impl Send for Scope<'_> {}
// SAFETY: as above.
unsafe impl Sync for Scope<'_> {}

struct SendPtr<T>(*const T);
// SAFETY: used only to carry `&Scope` (which is Sync) into jobs.
unsafe impl<T> Send for SendPtr<T> {}

/// Creates a scope in which closures borrowing from the caller's stack can be spawned; returns
/// once the body and every spawned closure (and everything they spawned) have finished.
///
/// A panic in the body or in any spawned closure is re-raised here, after everything has
/// finished (the body's panic first, else the first job panic). Called outside any pool, it
/// runs on the global pool and blocks the caller.
///
/// ```
/// let mut left = vec![0u32; 4];
/// let mut right = vec![0u32; 4];
/// ontime_core::scope(|s| {
///     s.spawn(|_| left.iter_mut().for_each(|x| *x = 1));
///     s.spawn(|_| right.iter_mut().for_each(|x| *x = 2));
/// });
/// assert_eq!(left.iter().chain(&right).sum::<u32>(), 12);
/// ```
pub fn scope<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R + Send,
    R: Send,
{
    crate::global::in_worker(move |wt| run_scope(wt, op))
}

pub(crate) fn run_scope<'scope, OP, R>(wt: &WorkerThread, op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R,
{
    let scope = Scope {
        registry: wt.registry(),
        latch: CountLatch::new(wt.wake_target()),
        panic: Mutex::new(None),
        marker: PhantomData,
    };
    let result = unwind::catch(|| op(&scope));
    // SAFETY: the latch lives in this frame, which waits below until it is set.
    unsafe { CountLatch::set(&scope.latch) };
    wt.wait_until(&scope.latch.latch.core);
    match result {
        Err(p) => panic::resume_unwind(p),
        Ok(r) => {
            if let Some(p) = lock(&scope.panic).take() {
                panic::resume_unwind(p);
            }
            r
        }
    }
}

impl<'scope> Scope<'scope> {
    /// Spawns `body` into the scope; it may borrow anything that outlives the scope and may
    /// spawn more work through the `&Scope` it receives.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let count = AtomicUsize::new(0);
    /// ontime_core::scope(|s| {
    ///     for _ in 0..10 {
    ///         s.spawn(|s| {
    ///             count.fetch_add(1, Ordering::Relaxed);
    ///             s.spawn(|_| { count.fetch_add(1, Ordering::Relaxed); });
    ///         });
    ///     }
    /// });
    /// assert_eq!(count.into_inner(), 20);
    /// ```
    pub fn spawn<BODY>(&self, body: BODY)
    where
        BODY: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        self.count_one_more();
        let this = SendPtr(self as *const Scope<'scope>);
        let job = HeapJob::into_job_ref(move || {
            let this = this;
            // SAFETY: the scope waits for its count to reach zero before it returns, and this
            // job holds one count until the `set` below.
            let scope = unsafe { &*this.0 };
            if let Err(p) = unwind::catch(|| body(scope)) {
                scope.record_panic(p);
            }
            // SAFETY: last use of `scope`; it may be freed once this returns.
            unsafe { CountLatch::set(&scope.latch) };
        });
        self.push(job);
    }

    /// Counts one more job the scope must wait for (before the job is queued).
    #[inline]
    pub(crate) fn count_one_more(&self) {
        self.latch.increment();
    }

    /// The latch a finished job sets.
    #[inline]
    pub(crate) fn latch(&self) -> &CountLatch {
        &self.latch
    }

    /// Queues a counted job on the current worker (or the pool's injector).
    #[inline]
    pub(crate) fn push(&self, job: crate::job::JobRef) {
        // SAFETY: the registry outlives the scope (its owner is one of its workers).
        unsafe { (*self.registry).push_scoped(job) };
    }

    /// Keeps the first panic of a job; the scope re-raises it when everything has finished.
    pub(crate) fn record_panic(&self, p: Box<dyn Any + Send>) {
        let mut slot = lock(&self.panic);
        if slot.is_none() {
            *slot = Some(p);
        }
    }
}
