//! The sequential engines: one thread, a ready stack, and the run ends when it is empty.
//!
//! Exact termination: a node is pushed when its activator fires and popped to run; nothing
//! else makes a node runnable, so an empty stack after the last run means no node is active
//! or activatable. The stack never holds a node twice (a node is re-armed only after it ran),
//! so its preallocated capacity of one entry per node is never exceeded: no allocation.

use std::cell::RefCell;

use super::core::{Engine, Holder};
use super::initial::Initial;
use super::report::{RunError, RunReport};
use crate::activator::Activator;
use crate::scheduler::{NodeId, Scheduler};

struct SeqSched<'a, H> {
    engine: &'a Engine<H>,
    ready: &'a RefCell<Vec<u32>>,
}

impl<H: Holder> Scheduler for SeqSched<'_, H> {
    #[inline]
    fn activator(&self, node: NodeId) -> &Activator {
        &self.engine.nodes[node.index()].task().activator
    }

    #[inline]
    fn schedule(&self, node: NodeId) {
        self.ready.borrow_mut().push(node.0);
    }
}

impl<H: Holder> Engine<H> {
    /// Runs the graph to completion on the calling thread.
    pub(crate) fn run_sequential(
        &mut self,
        initials: &mut [Box<dyn Initial>],
    ) -> Result<RunReport, RunError> {
        self.prepare();
        let ready = RefCell::new(std::mem::take(&mut self.ready));
        {
            let this = &*self;
            let sched = SeqSched {
                engine: this,
                ready: &ready,
            };
            for init in initials.iter_mut() {
                init.emit(&sched);
            }
            for &r in this.roots.iter() {
                sched.schedule(NodeId(r));
            }
            loop {
                let next = ready.borrow_mut().pop();
                match next {
                    Some(i) => this.execute(i as usize, &sched),
                    None => break,
                }
            }
        }
        self.ready = ready.into_inner();
        self.finish()
    }
}
