//! Type-erased jobs: what sits in a deque or the injector.
//!
//! A [`JobRef`] is two words: a data pointer and the function that runs it. A fork that is
//! never stolen never goes through a `JobRef` call: its owner takes the closure back out of
//! the [`StackJob`] and calls it directly (see `join.rs`).

use std::any::Any;
use std::cell::UnsafeCell;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};

use crate::latch::Latch;
use crate::request::context::RequestCtx;
use crate::sync::Arc;

/// Something a [`JobRef`] can point at.
pub(crate) trait Job {
    /// Runs the job.
    ///
    /// # Safety
    /// `this` must point to a live job that has not run yet; it may be freed once this returns
    /// (or, for jobs with a latch, once the latch is set).
    unsafe fn execute(this: *const Self);
}

/// A type-erased pointer to a job, as stored in the deques.
#[derive(Copy, Clone, Debug)]
pub(crate) struct JobRef {
    pointer: *const (),
    execute_fn: unsafe fn(*const ()),
}

// SAFETY: a JobRef is only created for jobs whose data is `Send` (the `new` callers require
// it); moving the pointer to another thread is the whole point of stealing.
unsafe impl Send for JobRef {}

impl JobRef {
    /// # Safety
    /// `data` must stay valid until the job has been executed, and must be executed at most once.
    #[inline]
    pub(crate) unsafe fn new<T: Job>(data: *const T) -> JobRef {
        unsafe fn call<T: Job>(p: *const ()) {
            // SAFETY: `p` was made from a `*const T` in `JobRef::new`, whose contract keeps it valid.
            unsafe { T::execute(p as *const T) }
        }
        JobRef {
            pointer: data as *const (),
            execute_fn: call::<T>,
        }
    }

    /// Identity of the job (its data address), to recognise one's own fork.
    #[inline]
    pub(crate) fn id(&self) -> *const () {
        self.pointer
    }

    /// # Safety
    /// The job must not have run yet (each `JobRef` runs at most once).
    #[inline]
    pub(crate) unsafe fn execute(self) {
        // SAFETY: forwarded contract of `JobRef::new` and of this function.
        unsafe { (self.execute_fn)(self.pointer) }
    }
}

/// What sits in a deque or a queue: a job and the request it belongs to, if any.
///
/// The context rides along only once a job leaves its worker's private pending list
/// (promotion, spawn, admission): the un-stolen `join` path never builds a `Task`.
pub(crate) struct Task {
    pub(crate) job: JobRef,
    pub(crate) ctx: Option<Arc<RequestCtx>>,
}

impl Task {
    #[inline]
    pub(crate) fn new(job: JobRef, ctx: Option<Arc<RequestCtx>>) -> Self {
        Task { job, ctx }
    }

    /// Whether a thief may run this task: not if its request stopped sharing.
    #[inline]
    pub(crate) fn shareable(&self) -> bool {
        self.ctx.as_deref().map_or(true, RequestCtx::shareable)
    }
}

/// The outcome of a job run by another thread.
pub(crate) enum JobResult<T> {
    None,
    Ok(T),
    Panic(Box<dyn Any + Send>),
}

impl<T> JobResult<T> {
    fn call(f: impl FnOnce() -> T) -> Self {
        match panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(x) => JobResult::Ok(x),
            Err(p) => JobResult::Panic(p),
        }
    }

    /// The value, re-raising the job's panic on the caller.
    pub(crate) fn into_return_value(self) -> T {
        match self {
            JobResult::Ok(x) => x,
            JobResult::Panic(p) => panic::resume_unwind(p),
            JobResult::None => unreachable!("ontime: a job's result was read before it ran"),
        }
    }
}

/// A job living in its forker's stack frame: `join`'s second half and `install`'s body.
///
/// The closure gets `true` when it runs on a thread other than the one that forked it
/// ("migrated"), which loops use to re-split stolen ranges.
///
/// The closure is consumed exactly once (every path of `join` and `install` runs it, inline or
/// through the `JobRef`), so it is kept in `ManuallyDrop` and moved out without an `Option`
/// flag; the result slot is written only by a thief, so the un-stolen path never touches it.
pub(crate) struct StackJob<L, F, R> {
    pub(crate) latch: L,
    func: UnsafeCell<ManuallyDrop<F>>,
    result: UnsafeCell<ManuallyDrop<JobResult<R>>>,
}

impl<L: Latch, F: FnOnce(bool) -> R + Send, R: Send> StackJob<L, F, R> {
    #[inline]
    pub(crate) fn new(func: F, latch: L) -> Self {
        StackJob {
            latch,
            func: UnsafeCell::new(ManuallyDrop::new(func)),
            result: UnsafeCell::new(ManuallyDrop::new(JobResult::None)),
        }
    }

    /// # Safety
    /// The job must outlive every use of the returned `JobRef`, must not move meanwhile, and
    /// must be run exactly once (inline or through the `JobRef`).
    #[inline]
    pub(crate) unsafe fn as_job_ref(&self) -> JobRef {
        // SAFETY: forwarded to the caller.
        unsafe { JobRef::new(self) }
    }

    /// Runs the closure on the forking thread, not through the `JobRef` (the un-stolen path).
    ///
    /// # Safety
    /// No other thread may hold or run this job's `JobRef`, and the job has not run yet.
    #[inline]
    pub(crate) unsafe fn run_inline(&self) -> R {
        // SAFETY: exclusive access and not yet taken, per the caller.
        let func = unsafe { ManuallyDrop::take(&mut *self.func.get()) };
        func(false)
    }

    /// The result stored by the thread that ran the job; re-raises its panic.
    ///
    /// Takes `&self`: a job must never move while a `JobRef` to it may exist.
    ///
    /// # Safety
    /// The job must have run through its `JobRef` and its latch must be set (the runner has
    /// finished writing and let go of the job). Call at most once.
    pub(crate) unsafe fn take_result(&self) -> R {
        // SAFETY: the runner is done with the job, so this thread has exclusive access, and
        // the slot is taken only once.
        let r = unsafe { ManuallyDrop::take(&mut *self.result.get()) };
        r.into_return_value()
    }
}

impl<L: Latch, F: FnOnce(bool) -> R + Send, R: Send> Job for StackJob<L, F, R> {
    unsafe fn execute(this: *const Self) {
        // SAFETY: `execute`'s contract: `this` is live and has not run; only this thread
        // touches `func` and `result` until the latch is set below.
        unsafe {
            let this = &*this;
            let func = ManuallyDrop::take(&mut *this.func.get());
            *this.result.get() = ManuallyDrop::new(JobResult::call(move || func(true)));
            // After this the owner may free `this`: nothing below may touch it.
            L::set(&this.latch);
        }
    }
}

/// A boxed job with no result slot: `spawn` and scope spawns. The closure handles its own
/// panics (each spawn kind reports them differently).
pub(crate) struct HeapJob<F> {
    func: ManuallyDrop<F>,
}

impl<F: FnOnce() + Send> HeapJob<F> {
    /// Boxes `func` and hands out the only reference to it.
    pub(crate) fn into_job_ref(func: F) -> JobRef {
        let boxed = Box::new(HeapJob {
            func: ManuallyDrop::new(func),
        });
        // SAFETY: the box is leaked here and reclaimed exactly once in `execute`.
        unsafe { JobRef::new(Box::into_raw(boxed)) }
    }
}

impl<F: FnOnce() + Send> Job for HeapJob<F> {
    unsafe fn execute(this: *const Self) {
        // SAFETY: `this` came from `Box::into_raw` in `into_job_ref` and runs once.
        let mut boxed = unsafe { Box::from_raw(this as *mut Self) };
        // SAFETY: `func` is taken exactly once; the box is then freed without dropping it again.
        let func = unsafe { ManuallyDrop::take(&mut boxed.func) };
        drop(boxed);
        func();
    }
}
