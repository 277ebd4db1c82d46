//! The ring behind one reader of a bounded port (`GraphBuilder::bounded_port`, multiple-use
//! graphs): up to `capacity` values in flight from the port's producer to this reader, with
//! backpressure through activators.
//!
//! # Counters
//! A ring has one producer (the port's writing node, and its initial value at the start of a
//! run) and one consumer (the reading node). Besides its slots it keeps three counters:
//! - `avail`: values pushed that no *finished* activation of the consumer has used yet. The
//!   consumer's value is popped when it starts (the engine *stages* it: moves it into the
//!   consumer's ordinary input cell just before the node runs, so the task takes it like any
//!   input) and the count is given back when the node has run (`settle`), so `avail` stays at
//!   least 1 from the activation that schedules the consumer until that activation ends.
//! - `space`: free slots. A push takes one, a pop gives one back (when the consumer *starts*,
//!   so the producer may compute the next value while the consumer works on this one).
//! - `spent`: how often the producer's pushes took `space` to zero since it last re-armed.
//!
//! # Activation: the ring is one input of the consumer, and one of the producer
//! For the consumer, "a value is waiting" is one input of its activator; for the producer
//! (unless it is the consumer itself, or has no other input and so runs once per run), "a
//! slot is free" is one. Each such input is counted **on its transitions only**:
//! - it goes missing when its counter drops to zero: the consumer's `settle` taking `avail`
//!   to 0, or a push taking `space` to 0 (recorded in `spent`). The node *registers* that
//!   (+1 on its activator) when it re-arms, never while it runs: a +1 during the run could
//!   let another input's write complete a count that the running node still holds at zero,
//!   scheduling it while it runs;
//! - it comes back when its counter rises from zero: a push taking `avail` 0 → 1 notifies the
//!   consumer, a pop taking `space` 0 → 1 notifies the producer (-1, as any input write).
//!
//! **Invariant: after all registrations of a run so far, the activator counts the node's
//! plain inputs still missing plus one per ring input whose counter is zero.** Per ring the
//! drops and rises alternate (the counter is one atomic, totally ordered), so the +1 and -1
//! registered for it sum to [counter is zero], whatever order they reach the activator in
//! (the activator is modular, see `activator.rs`). So the count reaches zero exactly when
//! every input is there, once per activation, as for plain inputs, and never while the node
//! runs: the count is zero when the node starts and nothing adds to it before the node's own
//! re-arm (the only place its +1s are registered), so the rises that come meanwhile (a slot
//! freed after this run's push filled it, a plain input for the next activation) take it
//! below zero, never through zero. A producer is therefore never scheduled while its ring is
//! full, and at most `capacity` values are ever in the ring. Checked by the loom
//! model `a_bounded_port_hands_every_value_over_in_order_and_never_overfills` (loom checks the
//! counters; the slots are plain `UnsafeCell`s, which loom does not track, so their memory
//! ordering rests on the argument below).
//!
//! # Memory
//! The value in a slot is written by the producer and read by the consumer. A pop reads the
//! slot at `head` only after an acquire load of `avail` found it non-zero at the start of an
//! activation, when every earlier activation has settled, so `avail` counts exactly the
//! pushed, unpopped values and the push of the `head` slot is in `avail`'s release sequence.
//! A push writes the slot at `tail` only after an acquire load of `space` found it non-zero
//! (only the producer takes `space`, so it stays non-zero until the push), which synchronises
//! with the pop that freed the slot. `head` is touched only by the consumer's runner and
//! `tail` only by the producer's (one activation at a time, ordered by the activator), or by
//! a thread with the whole graph to itself (`reset`, drop).

use std::cell::UnsafeCell;
use std::fmt;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use super::{InputCell, PortError, PortId};
use crate::scheduler::{NodeId, Scheduler};
use crate::sync::{AtomicUsize, Ordering};

/// The untyped part of a ring: what the engine needs to settle and register (see the module
/// docs). First field of [`Ring`], so a `*const Ring<T>` is a `*const RingCtl`.
pub(crate) struct RingCtl {
    avail: AtomicUsize,
    space: AtomicUsize,
    spent: AtomicUsize,
    /// The consumer's current activation popped a value (its runner's own flag).
    popped: UnsafeCell<bool>,
    /// Slots the port's initial value fills at the start of every run (0 or 1).
    pub(crate) seeded: usize,
    /// The reading node.
    pub(crate) consumer: NodeId,
    /// The reader's ordinary input cell, where `Ring::stage` puts the oldest value just
    /// before the reader runs.
    pub(crate) cell: *const (),
    /// The writing node, when "a slot is free" is one of its inputs (see the module docs).
    pub(crate) producer: Option<NodeId>,
}

// SAFETY: `popped` is touched only by the consumer's runner (one activation at a time) or
// under exclusive access; everything else is atomic or fixed after the build.
unsafe impl Sync for RingCtl {}
// SAFETY: as above.
unsafe impl Send for RingCtl {}

impl RingCtl {
    /// The consumer's activation ended: gives back the count of the value it popped, if it
    /// popped one. Returns 1 if that left no value waiting (an input to register as missing).
    ///
    /// # Safety
    /// Called by the consumer's runner at the end of its activation, before it re-arms.
    #[inline]
    pub(crate) unsafe fn settle(&self) -> usize {
        // SAFETY: the consumer's runner (the contract).
        let popped = unsafe { &mut *self.popped.get() };
        if !std::mem::take(popped) {
            return 0;
        }
        usize::from(self.avail.fetch_sub(1, Ordering::AcqRel) == 1)
    }

    /// The producer re-arms: how often its pushes filled the ring since its last re-arm
    /// (inputs to register as missing).
    #[inline]
    pub(crate) fn take_spent(&self) -> usize {
        self.spent.swap(0, Ordering::Relaxed)
    }

    /// No free slot (read after a run, or before one).
    pub(crate) fn is_full(&self) -> bool {
        self.space.load(Ordering::Acquire) == 0
    }
}

impl fmt::Debug for RingCtl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("avail", &self.avail.load(Ordering::Relaxed))
            .field("space", &self.space.load(Ordering::Relaxed))
            .field("consumer", &self.consumer)
            .field("producer", &self.producer)
            .finish()
    }
}

/// One reader's ring of a bounded port: see the module docs.
#[repr(C)]
pub(crate) struct Ring<T> {
    pub(crate) ctl: RingCtl,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// Next slot to pop (consumer's runner only).
    head: UnsafeCell<usize>,
    /// Next slot to push (producer's runner only).
    tail: UnsafeCell<usize>,
    port: PortId,
}

// SAFETY: each slot is touched by one side at a time (the module docs), `head` and `tail` each
// by one runner at a time; values move between threads, hence `T: Send`.
unsafe impl<T: Send> Sync for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Ring<T> {}

impl<T> Ring<T> {
    /// An empty ring of `capacity` slots read by `consumer` through its input `cell`.
    pub(crate) fn new(capacity: usize, port: PortId, consumer: NodeId, cell: *const ()) -> Self {
        assert!(
            capacity > 0,
            "ontime-dataflow: a bounded port holds at least one value"
        );
        Ring {
            ctl: RingCtl {
                avail: AtomicUsize::new(0),
                space: AtomicUsize::new(capacity),
                spent: AtomicUsize::new(0),
                popped: UnsafeCell::new(false),
                seeded: 0,
                consumer,
                cell,
                producer: None,
            },
            slots: (0..capacity)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            head: UnsafeCell::new(0),
            tail: UnsafeCell::new(0),
            port,
        }
    }

    /// Writes `value` into the slot at `tail`.
    ///
    /// # Safety
    /// The producer's runner, with a free slot at `tail`.
    unsafe fn write_tail(&self, value: T) {
        // SAFETY: the producer's runner alone touches `tail` (the contract).
        let tail = unsafe { &mut *self.tail.get() };
        // SAFETY: the slot is free (the contract), so no reader touches it.
        unsafe { (*self.slots[*tail].get()).write(value) };
        *tail = (*tail + 1) % self.slots.len();
    }

    /// The producer writes `value`; `Full` if no slot is free (a producer is not scheduled
    /// while its ring is full, so this happens only to a node run outside its activator: a
    /// node with no other input, or one a task scheduled directly).
    ///
    /// # Safety
    /// Called only by the runner of the port's producer (one activation at a time).
    #[inline]
    pub(crate) unsafe fn push(&self, sched: &dyn Scheduler, value: T) -> Result<(), PortError> {
        let c = &self.ctl;
        // Only the producer takes space: non-zero now stays non-zero until the `fetch_sub`.
        if c.space.load(Ordering::Acquire) == 0 {
            return Err(PortError::Full(Some(self.port)));
        }
        // SAFETY: the producer's runner, and a slot is free.
        unsafe { self.write_tail(value) };
        if c.space.fetch_sub(1, Ordering::AcqRel) == 1 {
            c.spent.fetch_add(1, Ordering::Relaxed);
        }
        if c.avail.fetch_add(1, Ordering::AcqRel) == 0 {
            sched.activator(c.consumer).notify(sched);
        }
        Ok(())
    }

    /// The port's initial value, written at the start of a run before any node can run (in
    /// the slot `reset` reserved for it: `space` does not count it). Announced by
    /// [`announce`](Self::announce).
    ///
    /// # Safety
    /// Exclusive access to the ring: no node of the graph is running or queued.
    pub(crate) unsafe fn seed(&self, value: T) {
        // SAFETY: the contract; `reset` left `seeded` slots out of `space`.
        unsafe { self.write_tail(value) };
    }

    /// Counts the initial value as waiting, telling the consumer as a push would.
    pub(crate) fn announce(&self, sched: &dyn Scheduler) {
        if self.ctl.avail.fetch_add(1, Ordering::AcqRel) == 0 {
            sched.activator(self.ctl.consumer).notify(sched);
        }
    }

    /// The consumer starts an activation: takes the oldest value (`None` if none waits: the
    /// node was scheduled directly, not by its activator) and frees its slot.
    ///
    /// # Safety
    /// Called only by the consumer's runner, at the start of an activation.
    #[inline]
    pub(crate) unsafe fn pop(&self, sched: &dyn Scheduler) -> Option<T> {
        let c = &self.ctl;
        if c.avail.load(Ordering::Acquire) == 0 {
            return None;
        }
        // SAFETY: the consumer's runner alone touches `head` and `popped`.
        let head = unsafe { &mut *self.head.get() };
        // SAFETY: `avail` counted a value pushed into this slot and not popped (module docs).
        let v = unsafe { (*self.slots[*head].get()).assume_init_read() };
        *head = (*head + 1) % self.slots.len();
        // SAFETY: as above.
        unsafe { *c.popped.get() = true };
        if c.space.fetch_add(1, Ordering::AcqRel) == 0 {
            if let Some(p) = c.producer {
                sched.activator(p).notify(sched);
            }
        }
        Some(v)
    }

    /// The consumer is about to run: moves the oldest value into its input cell, where the
    /// node's task finds it as it would a plain input's (nothing is moved if no value waits:
    /// the node was scheduled directly, not by its activator).
    ///
    /// # Safety
    /// Called only by the consumer's runner, at the start of an activation, before the task
    /// takes its inputs.
    pub(crate) unsafe fn stage(&self, sched: &dyn Scheduler) {
        // SAFETY: forwarded contract.
        if let Some(v) = unsafe { self.pop(sched) } {
            // SAFETY: the cell is the consumer's, in the graph's arena as long as the ring
            // (`ctl.cell` was set from it when the graph was built), and carries `T`.
            let cell = unsafe { &*self.ctl.cell.cast::<InputCell<T>>() };
            // Nobody else writes this cell (producers write the ring), and the last
            // activation took its value: it is empty.
            if let Err(e) = cell.put(v) {
                unreachable!("ontime-dataflow: a bounded port's reader held a value: {e}");
            }
        }
    }

    /// Values in the slots now (exclusive access).
    fn occupied(&self) -> usize {
        // SAFETY: exclusive access (callers'), so the indices are stable.
        let (head, tail) = unsafe { (*self.head.get(), *self.tail.get()) };
        let n = self.slots.len();
        let waiting = self.ctl.avail.load(Ordering::Relaxed);
        // `head == tail` is both empty and full: `avail` (settled between runs) tells which.
        if head == tail {
            if waiting > 0 {
                n
            } else {
                0
            }
        } else {
            (tail + n - head) % n
        }
    }

    /// Drops every value and empties the ring, leaving the initial value's slot (if the port
    /// has one) out of `space`.
    ///
    /// # Safety
    /// Exclusive access to the graph (between runs).
    pub(crate) unsafe fn reset(&self) {
        let n = self.slots.len();
        let mut left = self.occupied();
        // SAFETY: exclusive access.
        let head = unsafe { &mut *self.head.get() };
        while left > 0 {
            // SAFETY: a slot between `head` and `tail` holds a value; exclusive access.
            unsafe { (*self.slots[*head].get()).assume_init_drop() };
            *head = (*head + 1) % n;
            left -= 1;
        }
        *head = 0;
        // SAFETY: exclusive access.
        unsafe {
            *self.tail.get() = 0;
            *self.ctl.popped.get() = false;
        }
        let c = &self.ctl;
        c.avail.store(0, Ordering::Relaxed);
        c.space.store(n - c.seeded, Ordering::Relaxed);
        c.spent.store(0, Ordering::Relaxed);
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: exclusive access.
        unsafe { self.reset() };
    }
}

/// Any ring, for the engine to stage, reset and drop.
trait ErasedRing: Send + Sync {
    /// `Ring::stage`.
    ///
    /// # Safety
    /// As `Ring::stage`.
    unsafe fn stage(&self, sched: &dyn Scheduler);
    /// `Ring::reset`.
    ///
    /// # Safety
    /// As `Ring::reset`.
    unsafe fn reset(&self);
}

impl<T: Send> ErasedRing for Ring<T> {
    unsafe fn stage(&self, sched: &dyn Scheduler) {
        // SAFETY: forwarded.
        unsafe { Ring::stage(self, sched) }
    }
    unsafe fn reset(&self) {
        // SAFETY: forwarded.
        unsafe { Ring::reset(self) }
    }
}

/// Owns one ring (the builder, then the engine, keeps these): the reader's node and the
/// producer's output port only hold its address, and every access goes through raw pointers.
/// Dropped with the graph (or an unbuilt builder), when no run can be in progress; the ring
/// drops the values left in it.
pub(crate) struct OwnedRing(NonNull<dyn ErasedRing>);

// SAFETY: a ring is `Send + Sync` (`ErasedRing`); this is sole ownership of it.
unsafe impl Send for OwnedRing {}
// SAFETY: as above; `&OwnedRing` gives only its address.
unsafe impl Sync for OwnedRing {}

impl OwnedRing {
    /// Boxes `ring`; returns the owner and the ring's address.
    pub(crate) fn new<T: Send + 'static>(ring: Ring<T>) -> (OwnedRing, NonNull<Ring<T>>) {
        let raw = Box::into_raw(Box::new(ring));
        // SAFETY: from `Box::into_raw`: not null.
        let typed = unsafe { NonNull::new_unchecked(raw) };
        let erased: *mut dyn ErasedRing = raw;
        // SAFETY: as above.
        (OwnedRing(unsafe { NonNull::new_unchecked(erased) }), typed)
    }

    /// The ring's address, for the engine's lists.
    pub(crate) fn get(&self) -> RingRef {
        RingRef(self.0)
    }
}

impl Drop for OwnedRing {
    fn drop(&mut self) {
        // SAFETY: made by `Box::into_raw` in `new`, owned only here, dropped once.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

impl fmt::Debug for OwnedRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnedRing")
    }
}

/// The address of a ring its graph owns (see [`OwnedRing`]), as the engine's per-node lists
/// keep it. Every method requires that graph to be alive.
#[derive(Clone, Copy)]
pub(crate) struct RingRef(NonNull<dyn ErasedRing>);

// SAFETY: a ring is `Send + Sync`; this is only its address.
unsafe impl Send for RingRef {}
// SAFETY: as above.
unsafe impl Sync for RingRef {}

impl RingRef {
    /// The ring's counters (`Ring` is `repr(C)` with them first).
    ///
    /// # Safety
    /// The graph owning the ring stays alive while the reference is used.
    #[inline]
    pub(crate) unsafe fn ctl<'a>(self) -> &'a RingCtl {
        // SAFETY: the contract; `RingCtl` is the first field of the `repr(C)` ring.
        unsafe { self.0.cast::<RingCtl>().as_ref() }
    }

    /// The ring's counters, to set while the graph is built.
    ///
    /// # Safety
    /// Exclusive access to the ring (its builder, before the graph runs).
    pub(crate) unsafe fn ctl_mut<'a>(self) -> &'a mut RingCtl {
        let mut p = self.0.cast::<RingCtl>();
        // SAFETY: the contract; `RingCtl` is the first field of the `repr(C)` ring.
        unsafe { p.as_mut() }
    }

    /// Moves the oldest value into the reader's input cell (`Ring::stage`).
    ///
    /// # Safety
    /// As `Ring::stage`; the graph is alive.
    #[inline]
    pub(crate) unsafe fn stage(self, sched: &dyn Scheduler) {
        // SAFETY: forwarded contract.
        unsafe { self.0.as_ref().stage(sched) }
    }

    /// Drops every value and empties the ring (see `Ring::reset`).
    ///
    /// # Safety
    /// Exclusive access to the graph (between runs).
    pub(crate) unsafe fn reset(self) {
        // SAFETY: forwarded contract.
        unsafe { self.0.as_ref().reset() }
    }
}

impl fmt::Debug for RingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RingRef")
    }
}
