//! Allocation-free scope spawns: a job its owner stores ([`JobSlot`]) and queues by reference
//! ([`Scope::spawn_slot`]).
//!
//! `Scope::spawn` boxes its closure, one allocation per spawn. Engines that run the same
//! preallocated work items again and again (the dataflow engines of `ontime-dataflow`) keep
//! one `JobSlot` per item instead and queue a pointer to it: the deque entry is the slot's
//! address and a monomorphised function, so a spawn allocates nothing.
//!
//! # Protocol
//! A slot holds the task and the address of the scope it is queued in (null when idle).
//! `spawn_slot` moves that address from null to its scope with a compare-and-swap, counts the
//! job in the scope's latch (like any scope spawn), then queues it. The runner swaps the address
//! back to null *before* running the task, so the task may queue its own slot again (a
//! re-armed dataflow node does), and sets the latch when the task returns. Invariant: a slot is
//! in at most one queue at a time, because queueing it requires winning the null-to-scope
//! CAS, and only its runner resets it; a second `spawn_slot` while it is queued panics with a
//! message instead of queueing it twice. The scope cannot finish while the slot is queued or
//! running (its count is held), and the slot outlives the scope (`&'scope` borrow), so the
//! runner never touches freed memory.

use std::fmt;
use std::ptr;

use crate::job::{Job, JobRef};
use crate::latch::{CountLatch, Latch};
use crate::scope::Scope;
use crate::sync::{AtomicPtr, Ordering};
use crate::unwind;

/// Work that lives in a [`JobSlot`] and runs when the slot is spawned.
///
/// `run` may spawn more work into `scope`, including this very slot again. A panic in `run`
/// is caught and re-raised by the scope like any scope spawn's panic.
pub trait SlotTask: Sync {
    /// Runs the task once per spawn.
    fn run(&self, scope: &Scope<'_>);
}

/// A task stored by its owner and queued by reference: see [`Scope::spawn_slot`].
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use ontime_core::{JobSlot, Scope, SlotTask};
///
/// struct Count(AtomicUsize);
/// impl SlotTask for Count {
///     fn run(&self, _scope: &Scope<'_>) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// let slots: Vec<JobSlot<Count>> = (0..4).map(|_| JobSlot::new(Count(AtomicUsize::new(0)))).collect();
/// for _round in 0..3 {
///     // Each round queues every slot once; nothing is allocated per spawn.
///     ontime_core::scope(|s| slots.iter().for_each(|slot| s.spawn_slot(slot)));
/// }
/// assert!(slots.iter().all(|s| s.task().0.load(Ordering::Relaxed) == 3));
/// ```
pub struct JobSlot<T> {
    /// The scope the slot is queued in, or null while idle.
    scope: AtomicPtr<()>,
    task: T,
}

impl<T> JobSlot<T> {
    /// A slot holding `task`, not queued.
    pub fn new(task: T) -> Self {
        JobSlot {
            scope: AtomicPtr::new(ptr::null_mut()),
            task,
        }
    }

    /// The task.
    pub fn task(&self) -> &T {
        &self.task
    }

    /// The task, by mutable reference (no scope can hold the slot while this borrow lives).
    pub fn task_mut(&mut self) -> &mut T {
        &mut self.task
    }

    /// Whether the slot is queued in a scope and has not started running yet.
    pub fn is_queued(&self) -> bool {
        !self.scope.load(Ordering::Acquire).is_null()
    }
}

impl<T: fmt::Debug> fmt::Debug for JobSlot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobSlot")
            .field("queued", &self.is_queued())
            .field("task", &self.task)
            .finish()
    }
}

impl<T: SlotTask> Job for JobSlot<T> {
    unsafe fn execute(this: *const Self) {
        // SAFETY: `execute`'s contract: the slot is live (it outlives its scope, which cannot
        // finish while this job holds a count).
        let slot = unsafe { &*this };
        let scope_ptr = slot.scope.swap(ptr::null_mut(), Ordering::AcqRel) as *const Scope<'_>;
        debug_assert!(!scope_ptr.is_null(), "a queued slot records its scope");
        // SAFETY: the scope stored its own address in `spawn_slot` and waits for this job's
        // count, released by the `set` below, before it returns.
        let scope = unsafe { &*scope_ptr };
        if let Err(p) = unwind::catch(|| slot.task.run(scope)) {
            scope.record_panic(p);
        }
        // SAFETY: last use of `scope`; it may be freed once this returns.
        unsafe { CountLatch::set(scope.latch()) };
    }
}

impl<'scope> Scope<'scope> {
    /// Queues the task stored in `slot`, without allocating; the scope waits for it like for
    /// [`spawn`](Scope::spawn)ed closures. The task may queue its own slot again once it runs.
    ///
    /// # Panics
    /// If `slot` is already queued and has not started running (in this or another scope).
    pub fn spawn_slot<T: SlotTask + 'scope>(&self, slot: &'scope JobSlot<T>) {
        let me = self as *const Scope<'scope> as *mut ();
        if slot
            .scope
            .compare_exchange(ptr::null_mut(), me, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            panic!("ontime: a JobSlot was spawned while it was still queued");
        }
        self.count_one_more();
        // SAFETY: the slot outlives the scope (`'scope` borrow) and is queued once (the CAS
        // above); the scope waits for the job before it returns.
        let job = unsafe { JobRef::new(slot as *const JobSlot<T>) };
        self.push(job);
    }
}
