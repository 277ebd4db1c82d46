//! The sequential engines: one thread, a ready stack, and the run ends when it is empty.
//!
//! Exact termination: a node is pushed when its activator fires and popped to run; nothing
//! else makes a node runnable, so an empty stack after the last run means no node is active
//! or activatable. The stack never holds a node twice (a node is queued only from `IDLE`, see
//! `README.md`, "Who may run a node"),
//! so its preallocated capacity of one entry per node is never exceeded: no allocation.

use std::cell::{Cell, RefCell};

use super::core::{Engine, Mode};
use super::options::RunOptions;
use super::report::{RunError, RunReport};
use crate::activator::Activator;
use crate::scheduler::{NodeId, Scheduler};

struct SeqSched<'a, M: Mode> {
    engine: &'a Engine<M>,
    ready: &'a RefCell<Vec<u32>>,
    /// The node being run (blamed if its task schedules wrongly).
    running: Cell<Option<u32>>,
}

impl<M: Mode> Scheduler for SeqSched<'_, M> {
    #[inline]
    fn activator(&self, node: NodeId) -> &Activator {
        self.engine.activator_of(node)
    }

    #[inline]
    fn single_threaded(&self) -> bool {
        true
    }

    #[inline]
    fn schedule(&self, node: NodeId) {
        if self.engine.claim_with(node, self.running.get(), true) {
            self.ready.borrow_mut().push(node.0);
        }
    }
}

impl<M: Mode> Engine<M> {
    /// Runs the graph to completion on the calling thread.
    pub(crate) fn run_sequential(&mut self, opts: &RunOptions) -> Result<RunReport, RunError> {
        self.prepare(opts, 0);
        if self.ready.capacity() < self.nodes.len() {
            // The first sequential run reserves the stack; later runs allocate nothing.
            self.ready.reserve_exact(self.nodes.len());
        }
        let ready = RefCell::new(std::mem::take(&mut self.ready));
        {
            let this = &*self;
            let sched = SeqSched {
                engine: this,
                ready: &ready,
                running: Cell::new(None),
            };
            // SAFETY: once, by the thread that starts the run.
            unsafe { this.emit_initials(&sched) };
            for &r in this.roots.iter() {
                sched.schedule(NodeId(r));
            }
            loop {
                let next = ready.borrow_mut().pop();
                match next {
                    Some(i) => {
                        sched.running.set(Some(i));
                        this.execute(i as usize, &sched, true);
                    }
                    None => break,
                }
            }
        }
        self.ready = ready.into_inner();
        self.finish()
    }
}
