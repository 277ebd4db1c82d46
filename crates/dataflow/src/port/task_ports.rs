//! The single-use ports a task receives ([`In`], [`Out`]) and the node-side output port
//! ([`OutPort`]) that fans a value out to every consumer.

use std::fmt;
use std::ptr::NonNull;

use smallvec::SmallVec;

use super::ring::Ring;
use super::{InputCell, PortError, PortId, PortSender, ReceiverOnce, Sender, SenderOnce};
use crate::scheduler::{NodeId, Scheduler};

/// A task's input port for one activation: the value its producer wrote.
pub struct In<T> {
    pub(crate) value: Option<T>,
    pub(crate) port: PortId,
}

impl<T> In<T> {
    /// The port this value came through.
    pub fn port(&self) -> PortId {
        self.port
    }

    /// Whether a value is present (always, for a node its activator scheduled).
    pub fn is_full(&self) -> bool {
        self.value.is_some()
    }
}

impl<T> fmt::Debug for In<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("In")
            .field("port", &self.port)
            .field("full", &self.is_full())
            .finish()
    }
}

impl<T> ReceiverOnce<T> for In<T> {
    fn recv_once(self) -> Result<T, PortError> {
        self.value.ok_or(PortError::Empty(Some(self.port)))
    }
}

/// A task's output port for one activation. Sending stores the value in every consumer's
/// input and tells their activators; a task may leave an output unsent (its consumers then
/// wait for another activation).
pub struct Out<'a, T> {
    pub(crate) port: &'a OutPort<T>,
    pub(crate) sched: &'a dyn Scheduler,
    /// The graph runs on one thread (`Scheduler::single_threaded`, decided by the engine).
    pub(crate) local: bool,
}

impl<T> Out<'_, T> {
    /// The port this output writes.
    pub fn port(&self) -> PortId {
        self.port.id
    }

    /// The scheduler running the task (to schedule nodes directly).
    pub fn scheduler(&self) -> &dyn Scheduler {
        self.sched
    }
}

impl<T> fmt::Debug for Out<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Out").field("port", &self.port.id).finish()
    }
}

impl<T> SenderOnce<T> for Out<'_, T> {
    #[inline]
    fn send_once(self, value: T) -> Result<(), PortError> {
        self.port.send_with(self.sched, self.local, value)
    }
}

/// Where an output's value goes.
pub(crate) enum Target<T> {
    /// An input of a node: store, then tell its activator. The cell lives inside the
    /// consumer node, in the graph's arena, as long as the graph (see `graph/arena.rs`).
    Node {
        cell: NonNull<InputCell<T>>,
        node: NodeId,
    },
    /// The ring of a bounded port's reader (`ring.rs`), inside the reader's input cell, in
    /// the graph's arena (boxed: it never moves).
    Ring(NonNull<Ring<T>>),
    /// A graph output: keep the last value.
    Output(PortSender<T>),
}

impl<T> Clone for Target<T> {
    fn clone(&self) -> Self {
        match self {
            Target::Node { cell, node } => Target::Node {
                cell: *cell,
                node: *node,
            },
            Target::Ring(r) => Target::Ring(*r),
            Target::Output(tx) => Target::Output(tx.clone()),
        }
    }
}

/// The node side of an output: the port's consumers, fixed when the graph is built (by the
/// graph builder). It lives inline in its node (or in an initial value), in the graph's arena.
pub struct OutPort<T> {
    id: PortId,
    targets: SmallVec<[Target<T>; 2]>,
    clone: Option<fn(&T) -> T>,
}

// SAFETY: the only non-thread-safe parts are the cell pointers, and an `InputCell<T>` is
// `Sync` for `T: Send` (writers synchronise through its state); values of `T` move between
// threads, hence the bound.
unsafe impl<T: Send> Send for OutPort<T> {}
// SAFETY: as above; `send` takes `&self` and touches the cells only through their protocol.
unsafe impl<T: Send> Sync for OutPort<T> {}

impl<T> OutPort<T> {
    pub(crate) fn new(id: PortId) -> Self {
        OutPort {
            id,
            targets: SmallVec::new(),
            clone: None,
        }
    }

    /// Adds a consumer (at build time); `clone`, when given, copies values for fan-out. The
    /// builder guarantees a port with more than one consumer has a clone function.
    ///
    /// Returns whether the port now owns something to drop: a graph output's sender, or
    /// targets on the heap (more than two). Otherwise, once its node has run, dropping the
    /// port is a no-op (`engine/README.md`, "Dropping a single-use graph").
    pub(crate) fn link(&mut self, target: Target<T>, clone: Option<fn(&T) -> T>) -> bool {
        let owns = matches!(target, Target::Output(_));
        self.targets.push(target);
        if clone.is_some() {
            self.clone = clone;
        }
        owns || self.targets.spilled()
    }

    /// Delivers `value` to every consumer (clones for all but the last).
    /// `local`: the graph runs on one thread (`Scheduler::single_threaded`), so cells and
    /// activators take plain loads and stores.
    #[inline]
    pub(crate) fn send_with(
        &self,
        sched: &dyn Scheduler,
        local: bool,
        value: T,
    ) -> Result<(), PortError> {
        let Some((last, rest)) = self.targets.split_last() else {
            return Ok(());
        };
        if !rest.is_empty() {
            let clone = self
                .clone
                .expect("ontime-dataflow: a port with fan-out has a clone function");
            for t in rest {
                t.deliver(sched, local, clone(&value))?;
            }
        }
        last.deliver(sched, local, value)
    }

    /// An initial value's first half, at the start of a run while no node can run: stores
    /// `value` in every consumer without telling any activator ([`announce`](Self::announce)
    /// does, once every initial value is stored).
    pub(crate) fn seed_put(&self, value: T) {
        let Some((last, rest)) = self.targets.split_last() else {
            return;
        };
        for t in rest {
            let clone = self
                .clone
                .expect("ontime-dataflow: a port with fan-out has a clone function");
            t.seed_put(clone(&value));
        }
        last.seed_put(value);
    }

    /// An initial value's second half: tells every consumer its value is in.
    pub(crate) fn announce(&self, sched: &dyn Scheduler) {
        for t in &self.targets {
            match t {
                Target::Node { node, .. } => {
                    sched.activator(*node).notify(sched);
                }
                // SAFETY: the ring lives as long as the graph (see `deliver`).
                Target::Ring(r) => unsafe { r.as_ref() }.announce(sched),
                Target::Output(_) => {}
            }
        }
    }
}

/// A bounded port's write (kept out of line, so that `deliver` stays small enough to inline
/// into every task's send: callgrind counted 12 more instructions a task run otherwise).
#[cold]
#[inline(never)]
fn push_ring<T>(ring: NonNull<Ring<T>>, sched: &dyn Scheduler, value: T) -> Result<(), PortError> {
    // SAFETY: the graph owns the ring as long as it lives, and this is its port's producer,
    // running (`OutPort`s of nodes are sent from by their runner only; initial values use
    // `seed_put`).
    unsafe { ring.as_ref().push(sched, value) }
}

impl<T> Target<T> {
    /// Stores `value` in the consumer and tells its activator; `local`: the graph runs on one
    /// thread (`Scheduler::single_threaded`), so plain loads and stores do.
    #[inline(always)]
    fn deliver(&self, sched: &dyn Scheduler, local: bool, value: T) -> Result<(), PortError> {
        match self {
            Target::Node { cell, node } => {
                // SAFETY: the cell lives in the graph's arena as long as the graph, and a
                // graph runs only while it is alive (see `graph/arena.rs`).
                let cell = unsafe { cell.as_ref() };
                if local {
                    cell.put_local(value)?;
                    sched.activator(*node).notify_local(sched);
                } else {
                    cell.put(value)?;
                    sched.activator(*node).notify(sched);
                }
                Ok(())
            }
            Target::Ring(r) => push_ring(*r, sched, value),
            Target::Output(tx) => tx.send(value),
        }
    }

    fn seed_put(&self, value: T) {
        let r = match self {
            Target::Node { cell, .. } => {
                // SAFETY: as in `deliver`.
                unsafe { cell.as_ref() }.put(value)
            }
            Target::Ring(r) => {
                // SAFETY: as in `deliver`; the run is starting: no node runs yet.
                unsafe { r.as_ref().seed(value) };
                Ok(())
            }
            Target::Output(tx) => tx.send(value),
        };
        if let Err(e) = r {
            unreachable!("ontime-dataflow: an initial value found its reader full: {e}");
        }
    }
}

impl<T> fmt::Debug for OutPort<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutPort")
            .field("id", &self.id)
            .field("consumers", &self.targets.len())
            .finish()
    }
}
