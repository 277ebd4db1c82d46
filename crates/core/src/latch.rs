//! Latches: one-shot "this is done" signals between a job's runner and its waiter.
//!
//! # Protocol (`CoreLatch`)
//! States: `UNSET -> SLEEPY -> SET` or `UNSET -> SET`. Only the waiting owner moves
//! `UNSET -> SLEEPY` (just before it blocks in the sleep module) and `SLEEPY -> UNSET` (after
//! waking). The setter swaps in `SET`; if the value it replaced was `SLEEPY`, the owner may be
//! blocked, so the setter wakes it by index. Invariant: an owner never blocks while the latch
//! is `SET`, because it blocks only after a successful `UNSET -> SLEEPY` CAS and the setter,
//! seeing `SLEEPY`, always delivers a wake-up that the sleep slot remembers (`woken` flag) even
//! if the owner has not reached its condvar yet. The setter reads everything it needs (sleep
//! handle, owner index) *before* the swap: after it, the latch's memory may be gone.

use crate::sleep::Sleep;
use crate::sync::{lock, wait, Arc, AtomicU8, AtomicUsize, Condvar, Mutex, Ordering};

const UNSET: u8 = 0;
const SLEEPY: u8 = 1;
const SET: u8 = 2;

/// Something a job's runner signals when it is done.
pub(crate) trait Latch {
    /// Sets the latch.
    ///
    /// # Safety
    /// `this` may be freed by the waiter as soon as the latch is observed set, so an
    /// implementation must not touch `*this` after the store that publishes "set".
    unsafe fn set(this: *const Self);
}

/// The state machine shared by the worker-side latches.
#[derive(Debug)]
pub(crate) struct CoreLatch {
    state: AtomicU8,
}

impl CoreLatch {
    pub(crate) fn new() -> Self {
        CoreLatch {
            state: AtomicU8::new(UNSET),
        }
    }

    /// True once set; synchronises with everything the setter did before setting.
    #[inline]
    pub(crate) fn probe(&self) -> bool {
        self.state.load(Ordering::Acquire) == SET
    }

    /// The owner is about to block. False if the latch got set meanwhile (do not block).
    pub(crate) fn get_sleepy(&self) -> bool {
        self.state
            .compare_exchange(UNSET, SLEEPY, Ordering::SeqCst, Ordering::Acquire)
            .is_ok()
    }

    /// The owner woke: back to `UNSET` unless it was set meanwhile.
    pub(crate) fn wake_up(&self) {
        let _ = self
            .state
            .compare_exchange(SLEEPY, UNSET, Ordering::SeqCst, Ordering::Relaxed);
    }

    /// Sets the latch; true if the owner announced it may be blocked and must be woken.
    ///
    /// # Safety
    /// See [`Latch::set`]: `this` must not be used after this returns.
    #[inline]
    pub(crate) unsafe fn set(this: *const Self) -> bool {
        // SAFETY: `this` is live until the swap below publishes SET.
        unsafe { (*this).state.swap(SET, Ordering::AcqRel) == SLEEPY }
    }
}

/// A latch a worker waits on while it keeps executing other jobs (join, scope).
#[derive(Debug)]
pub(crate) struct SpinLatch {
    pub(crate) core: CoreLatch,
    owner: *const WakeTarget,
}

/// Who to wake when a latch owned by a worker is set: that worker's index in its pool's
/// sleep state. Each worker keeps one for its whole life, so a latch stores one pointer.
#[derive(Debug)]
pub(crate) struct WakeTarget {
    pub(crate) sleep: *const Sleep,
    pub(crate) index: usize,
}

impl SpinLatch {
    /// A latch owned by the worker described by `owner`. The target (and its pool) must
    /// outlive the latch's `set`: true for latches set by the pool's own workers.
    #[inline]
    pub(crate) fn new(owner: &WakeTarget) -> Self {
        SpinLatch {
            core: CoreLatch::new(),
            owner,
        }
    }
}

impl Latch for SpinLatch {
    #[inline]
    unsafe fn set(this: *const Self) {
        // SAFETY: read the wake-up target while `this` is still live. The target lives on its
        // worker's stack for the thread's whole life and the `Sleep` in the registry, which
        // every worker keeps alive; both outlive this call.
        unsafe {
            let owner = (*this).owner;
            if CoreLatch::set(&(*this).core) {
                (*(*owner).sleep).wake_worker((*owner).index);
            }
        }
    }
}

/// A latch a worker waits on (running its own pool's work meanwhile) that any thread may set:
/// a worker of another pool running the job the waiter injected there (`Registry::install`
/// from a foreign worker), or whoever completes a request the waiter waits for.
///
/// Unlike [`SpinLatch`], the setter need not belong to the waiter's pool, so nothing keeps
/// that pool alive for it: the latch holds its own reference to the waiter's sleep state,
/// which the setter clones *before* the swap that may let the waiter free the latch.
#[derive(Debug)]
pub(crate) struct CrossLatch {
    pub(crate) core: CoreLatch,
    sleep: Arc<Sleep>,
    index: usize,
}

impl CrossLatch {
    /// A latch for worker `index` of the pool whose sleep state is `sleep`.
    pub(crate) fn new(sleep: &Arc<Sleep>, index: usize) -> Self {
        CrossLatch {
            core: CoreLatch::new(),
            sleep: Arc::clone(sleep),
            index,
        }
    }
}

impl Latch for CrossLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: `this` is live until the swap in `CoreLatch::set`; everything needed
        // afterwards is copied out first, so the waiter may free the latch as soon as it is set.
        unsafe {
            let sleep = Arc::clone(&(*this).sleep);
            let index = (*this).index;
            if CoreLatch::set(&(*this).core) {
                sleep.wake_worker(index);
            }
        }
    }
}

/// A counting latch: set when the count drops to zero (scope completion).
#[derive(Debug)]
pub(crate) struct CountLatch {
    count: AtomicUsize,
    pub(crate) latch: SpinLatch,
}

impl CountLatch {
    /// Starts at one: the scope body itself counts until it returns.
    pub(crate) fn new(owner: &WakeTarget) -> Self {
        CountLatch {
            count: AtomicUsize::new(1),
            latch: SpinLatch::new(owner),
        }
    }

    /// One more job must finish before the latch opens. Called only while the count is
    /// non-zero (by the body or a job still running), so it can never reopen a set latch.
    pub(crate) fn increment(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

impl Latch for CountLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: `this` is live until the count reaches zero; only the last decrement (which
        // no other party can follow) goes on to touch the inner latch, which the owner cannot
        // free before it is set.
        unsafe {
            if (*this).count.fetch_sub(1, Ordering::AcqRel) == 1 {
                SpinLatch::set(&(*this).latch);
            }
        }
    }
}

/// A blocking latch for threads outside the pool (mutex + condvar).
///
/// Each external thread keeps one in thread-local storage and reuses it, so a setter that is
/// still inside `notify_all` after the waiter returned never touches freed memory.
#[derive(Debug)]
pub(crate) struct LockLatch {
    done: Mutex<bool>,
    cv: Condvar,
}

impl LockLatch {
    pub(crate) fn new() -> Self {
        LockLatch {
            done: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    /// Blocks until set, then resets for the next use.
    pub(crate) fn wait_and_reset(&self) {
        let mut g = lock(&self.done);
        while !*g {
            g = wait(&self.cv, g);
        }
        *g = false;
    }
}

impl Latch for LockLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: LockLatches live in thread-local storage of a thread that is blocked in
        // `wait_and_reset` until it can take the mutex, which we hold until after notifying.
        unsafe {
            let mut g = lock(&(*this).done);
            *g = true;
            (*this).cv.notify_all();
        }
    }
}

/// `&L` latches, so a job can point at a latch that outlives it.
impl<L: Latch> Latch for &L {
    unsafe fn set(this: *const Self) {
        // SAFETY: `*this` is a reference to a live latch; forwarded contract.
        unsafe { L::set(*this) }
    }
}
