//! Activators: when a node may run.
//!
//! # Protocol
//! An activator points at one node and counts the inputs still missing for its next
//! activation, starting at its number of inputs. Every write to an input (after the value is
//! stored, see `port/cell.rs`) decrements the count with an acquire-release RMW; the
//! decrement that reaches zero schedules the node. RMWs on one atomic are totally ordered, so
//! exactly one decrement sees the count go from 1 to 0: the node is scheduled exactly once
//! per activation, and that decrement acquires every earlier writer's release, so the runner
//! sees every input.
//!
//! # Re-arming (multiple-use engines)
//! A multiple-use node re-arms its activator *after its task returns*, by adding its number of
//! inputs back. Writes for the next activation may arrive while the node still runs: they take
//! the count below zero (wrapping; the counter is modular). Whichever of the re-arm and the
//! last of those writes brings the count back to exactly zero schedules the node, once:
//! `count = inputs - writes since the last arm`, modulo 2^64, and it reaches zero only when the
//! next activation's inputs are all in *and* the node has re-armed. So the node is never
//! scheduled while it runs (the re-arm comes last) and never misses an activation. A node with
//! no inputs is scheduled once per run by the engine, and re-arming it does nothing.
//!
//! # Bounded ports
//! An input through a bounded port's ring (and, for the port's producer, "a slot is free") is
//! not re-armed by a fixed amount: the node adds one for each such input that is now missing
//! (`port/ring.rs` states the invariant). So [`rearm`](Activator::rearm) adds the node's
//! plain inputs (`fixed`) plus what its rings say, and schedules the node when that brings
//! the count to zero, even when it adds nothing (every ring still holds a value).

use std::fmt;

use crate::scheduler::{NodeId, Scheduler};
use crate::sync::{AtomicUsize, Ordering};

/// A node's activation counter: see the module docs.
pub struct Activator {
    count: AtomicUsize,
    // `u32`s: an activator is 24 bytes, as before bounded ports (a large graph's run streams
    // through its slots).
    inputs: u32,
    /// Inputs re-armed every activation: all but those through bounded ports' rings.
    fixed: u32,
    /// How far below zero the count may legitimately go: writes for the next activation while
    /// the node is queued or runs (plain inputs, and its rings' slots freed meanwhile).
    floor: u32,
    node: NodeId,
}

impl Activator {
    /// The activator of `node`, which has `inputs` inputs, armed.
    ///
    /// # Panics
    /// If `inputs` is above `u32::MAX`.
    pub fn new(node: NodeId, inputs: usize) -> Activator {
        let n = u32::try_from(inputs).expect("ontime-dataflow: more than 2^32 - 1 inputs");
        Activator {
            count: AtomicUsize::new(inputs),
            inputs: n,
            fixed: n,
            floor: n,
            node,
        }
    }

    /// The activator of a node `inputs` of whose inputs come through rings it reads, and
    /// which produces into `produces` rings that gate it (see `port/ring.rs`).
    pub(crate) fn with_rings(node: NodeId, inputs: usize, reads: usize, produces: usize) -> Self {
        let mut a = Activator::new(node, inputs);
        a.fixed = (inputs - reads) as u32;
        a.floor = a.fixed + produces as u32;
        a
    }

    /// The node it activates.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The node's number of inputs.
    pub fn inputs(&self) -> usize {
        self.inputs as usize
    }

    /// Inputs still missing before the node is scheduled (meaningful between runs).
    pub fn missing(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// [`missing`](Self::missing) with no other thread running (after a run, under `&mut`).
    pub(crate) fn missing_now(&mut self) -> usize {
        // `&mut`: nobody else touches it; a relaxed load is a plain read (and loom has no
        // `get_mut`).
        self.count.load(Ordering::Relaxed)
    }

    /// One input was written: decrements the count and, when it reaches zero, schedules the
    /// node on `sched`. Returns whether it did.
    #[inline]
    pub fn notify(&self, sched: &dyn Scheduler) -> bool {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            sched.schedule(self.node);
            true
        } else {
            false
        }
    }

    /// [`notify`](Self::notify) on a scheduler that runs its graph on one thread
    /// (`Scheduler::single_threaded`): nothing else touches the count meanwhile, so a plain
    /// load and store do what the read-modify-write does.
    #[inline]
    pub(crate) fn notify_local(&self, sched: &dyn Scheduler) -> bool {
        let before = self.count.load(Ordering::Relaxed);
        self.count.store(before.wrapping_sub(1), Ordering::Relaxed);
        if before == 1 {
            sched.schedule(self.node);
            true
        } else {
            false
        }
    }

    /// [`rearm`](Self::rearm) on one thread, as [`notify_local`](Self::notify_local).
    #[inline]
    pub(crate) fn rearm_local(&self, sched: &dyn Scheduler) -> bool {
        if self.inputs == 0 {
            return false;
        }
        let after = self
            .count
            .load(Ordering::Relaxed)
            .wrapping_add(self.fixed as usize);
        self.count.store(after, Ordering::Relaxed);
        if after == 0 {
            sched.schedule(self.node);
            true
        } else {
            false
        }
    }

    /// [`notify`](Self::notify) for an input with no value cell to catch a second arrival (a
    /// signal): `Err` if this arrival is one more than the node's next activation can take
    /// (every input of the next activation is already in, and the node has not re-armed):
    /// the sender is outrunning the node. The count is then off for this run (the run is
    /// failing; the next run arms the activator again).
    #[inline]
    pub(crate) fn notify_bounded(&self, sched: &dyn Scheduler) -> Result<bool, ()> {
        let before = self.count.fetch_sub(1, Ordering::AcqRel);
        // Legit counts run from `inputs` (armed) down to `-inputs` (all of the next
        // activation's inputs in while this one is queued or running), modulo 2^64.
        if (before as isize) <= -(self.floor as isize) {
            return Err(());
        }
        if before == 1 {
            sched.schedule(self.node);
            return Ok(true);
        }
        Ok(false)
    }

    /// The node finished a run: adds its inputs back and, if every input of the next
    /// activation already arrived, schedules it again. Returns whether it did.
    #[inline]
    pub fn rearm(&self, sched: &dyn Scheduler) -> bool {
        self.rearm_with(sched, 0)
    }

    /// [`rearm`](Self::rearm), adding `missing` more: the node's ring inputs that are now
    /// missing (`port/ring.rs`).
    #[inline]
    pub(crate) fn rearm_with(&self, sched: &dyn Scheduler, missing: usize) -> bool {
        if self.inputs == 0 {
            return false;
        }
        let add = self.fixed as usize + missing;
        let before = self.count.fetch_add(add, Ordering::AcqRel);
        if before.wrapping_add(add) == 0 {
            sched.schedule(self.node);
            true
        } else {
            false
        }
    }

    /// Back to "every input missing", between runs.
    pub(crate) fn arm(&self) {
        self.count.store(self.inputs as usize, Ordering::Relaxed);
    }

    /// One more input missing before the run starts (a ring it produces into is full at the
    /// start: its initial value filled it), with no other thread running.
    pub(crate) fn arm_one_more(&mut self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for Activator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Activator")
            .field("node", &self.node)
            .field("inputs", &self.inputs)
            .field("missing", &self.missing())
            .finish()
    }
}
