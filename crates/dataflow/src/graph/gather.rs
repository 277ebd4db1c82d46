//! `GraphBuilder::gather`: many same-typed inputs as one `Vec`. Task input lists are tuples
//! with a length known at compile time (up to 8); a gather node takes any number of ports,
//! decided at run time, and writes their values, in the order given, as one `Vec<T>` to a new
//! port that tasks read like any other.
//!
//! A gather node is an ordinary node for the engines: one input cell per port (in a boxed
//! slice owned by the node in the graph's arena, so the cells never move), an activator that
//! counts them all, and one output. It runs when every input is in; a multiple-use gather runs
//! once per activation, as a task does.

use std::fmt;
use std::ptr::NonNull;

use crate::node::EngineNode;
use crate::port::{InputCell, OutPort};
use crate::scheduler::Scheduler;

/// The node `gather` adds: reads every cell, writes the `Vec`.
pub(crate) struct GatherNode<T> {
    cells: Box<[InputCell<T>]>,
    out: OutPort<Vec<T>>,
    /// Single-use: cells close when read (a later write is an error, as for tasks).
    close: bool,
}

// SAFETY: the cells are touched by one runner at a time (the activator protocol) and are
// `Sync` for `T: Send`; the output port is the engine's, used by the runner.
unsafe impl<T: Send> Sync for GatherNode<T> {}

impl<T> fmt::Debug for GatherNode<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherNode")
            .field("inputs", &self.cells.len())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> GatherNode<T> {
    pub(crate) fn new(cells: Box<[InputCell<T>]>, out: OutPort<Vec<T>>, close: bool) -> Self {
        GatherNode { cells, out, close }
    }

    /// The cell of input `i`, for the wiring (stable: the slice lives as long as the node).
    pub(crate) fn cell_ptr(this: NonNull<Self>, i: usize) -> NonNull<InputCell<T>> {
        // SAFETY: `this` is a live node in the arena; the slice's elements do not move.
        unsafe { NonNull::from(&(*this.as_ptr()).cells[i]) }
    }

    /// The output port, for the wiring.
    pub(crate) fn out_ptr(this: NonNull<Self>) -> NonNull<OutPort<Vec<T>>> {
        // SAFETY: as above.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*this.as_ptr()).out)) }
    }
}

impl<T: Send + 'static> EngineNode for GatherNode<T> {
    unsafe fn run(&self, sched: &dyn Scheduler, local: bool) {
        let mut values = Vec::with_capacity(self.cells.len());
        for c in self.cells.iter() {
            // SAFETY: the caller is the node's only runner (the `EngineNode` contract).
            match unsafe { c.take(self.close) } {
                Some(v) => values.push(v),
                None => panic!(
                    "ontime-dataflow: a gather node ran without its input {} (scheduled \
                     before every input was in)",
                    c.port()
                ),
            }
        }
        if let Err(e) = self.out.send_with(sched, local, values) {
            panic!("ontime-dataflow: {e}");
        }
    }

    unsafe fn clear_inputs(&self) {
        for c in self.cells.iter() {
            // SAFETY: the caller has exclusive access to the graph.
            unsafe { c.reset() };
        }
    }
}
