//! Reactive signals: a control structure on the [`Scheduler`] trait with its own list of
//! nodes to activate when the signal is emitted, as the founding dataflow brief describes.
//!
//! `g.signal()` makes a signal; `g.on(signal, node)` makes `node` await it: one more control
//! input of `node`, given by each emission. A task emits with an [`Emitter`] (from
//! `g.emitter(signal)`, captured by the task), which notifies every awaiting node's activator
//! through the scheduler the task runs with: the activator protocol does the rest, so an
//! awaiting node runs once per emission once its other inputs are in too (loom model
//! `a_chosen_branch_and_a_data_input_schedule_the_target_once` covers the same notify against
//! a data write).
//!
//! # Instants
//! An emission is an *instant* for its listeners: each listener runs once for it. A
//! multiple-use listener can take one emission ahead (it arrives while the listener is queued
//! or running for the last one, and counts for its next activation); an emission beyond that
//! would be lost in the activator's count, so `emit` panics instead, naming the listener, and
//! the run fails with that error. An emitter that runs in a loop therefore awaits an
//! acknowledgement: a signal the listener emits back (the stopwatch example). A single-use
//! listener runs at most once per run: it reacts to the first emission.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::scheduler::{NodeId, Scheduler};

/// A signal made by `GraphBuilder::signal`; nodes await it with `GraphBuilder::on`, tasks
/// emit it with the [`Emitter`] from `GraphBuilder::emitter`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    pub(crate) index: usize,
    pub(crate) graph: u64,
}

/// The listeners of a signal, filled when the graph is built.
pub(crate) type Listeners = Arc<OnceLock<Box<[NodeId]>>>;

/// Emits a [`Signal`] from inside a task (clone it into as many tasks as emit it).
#[derive(Clone)]
pub struct Emitter {
    pub(crate) listeners: Listeners,
}

impl fmt::Debug for Emitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emitter")
            .field("listeners", &self.listeners.get().map_or(0, |l| l.len()))
            .finish()
    }
}

impl Emitter {
    /// Emits the signal: every node that awaits it gets its input for this instant. Call it
    /// from a task of the signal's graph, with the scheduler the task was given.
    ///
    /// # Panics
    /// Before the graph is built (no task can run then), or with the scheduler of another
    /// graph (its activators do not know these nodes).
    pub fn emit(&self, sched: &dyn Scheduler) {
        let listeners = self
            .listeners
            .get()
            .expect("ontime-dataflow: a signal is emitted only by a task of its built graph");
        for &n in listeners.iter() {
            if sched.activator(n).notify_bounded(sched).is_err() {
                panic!(
                    "ontime-dataflow: a signal was emitted again before {n}, which awaits it, \
                     reacted to the emissions it already had: the emitter outruns its listener \
                     (make the emitter await a signal the listener emits back)"
                );
            }
        }
    }

    /// How many nodes await the signal (0 before the graph is built).
    pub fn listeners(&self) -> usize {
        self.listeners.get().map_or(0, |l| l.len())
    }
}
