//! The parallel engines, on an ontime-core pool.
//!
//! A run opens one `scope` on the pool. Scheduling a node queues its preallocated
//! [`JobSlot`] with `Scope::spawn_slot` (no allocation), except the first node a running task
//! activates, which the same thread runs next without queueing it (a chain runs as a loop).
//!
//! Exact termination: the scope counts every queued slot until its job has run, including
//! the nodes that job went on to run inline, and a node is queued by the activation that
//! makes it runnable, *before* the activating job finishes. So the count reaches zero only
//! when no node is running and none is activated-but-unfinished; the scope (and the run)
//! returns exactly then, never by a timeout or a count of failed steals.

use std::cell::Cell;

use ontime_core::{JobSlot, Scope, SlotTask, ThreadPool};

use super::core::{Engine, Mode, Slot};
use super::options::RunOptions;
use super::report::{RunError, RunReport};
use crate::activator::Activator;
use crate::scheduler::{NodeId, Scheduler};

struct ParSched<'a, 's, M: Mode> {
    engine: &'a Engine<M>,
    scope: &'a Scope<'s>,
    /// The node this thread runs next, without queueing it.
    next: Cell<Option<u32>>,
    /// The node this thread is running (blamed if its task schedules wrongly).
    running: Cell<Option<u32>>,
}

impl<M: Mode> ParSched<'_, '_, M> {
    fn drain(&self) {
        while let Some(i) = self.next.take() {
            self.running.set(Some(i));
            self.engine.execute(i as usize, self, false);
        }
        self.running.set(None);
    }
}

impl<'s, M: Mode> Scheduler for ParSched<'_, 's, M> {
    #[inline]
    fn activator(&self, node: NodeId) -> &Activator {
        self.engine.activator_of(node)
    }

    #[inline]
    fn schedule(&self, node: NodeId) {
        if !self.engine.claim(node, self.running.get()) {
            return;
        }
        if self.next.get().is_none() {
            self.next.set(Some(node.0));
            return;
        }
        let slot: *const JobSlot<Slot<M>> = &self.engine.nodes[node.index()];
        // SAFETY: the engine outlives the scope: `run_parallel` borrows it for the whole
        // scope, which waits for every queued slot.
        let slot: &'s JobSlot<Slot<M>> = unsafe { &*slot };
        self.scope.spawn_slot(slot);
    }
}

impl<M: Mode> SlotTask for Slot<M> {
    fn run(&self, scope: &Scope<'_>) {
        // SAFETY: `prepare` set `engine` before the run queued any slot, and the engine
        // outlives the run's scope.
        let engine = unsafe { &*self.engine };
        let sched = ParSched {
            engine,
            scope,
            next: Cell::new(Some(self.activator.node().0)),
            running: Cell::new(None),
        };
        sched.drain();
    }
}

impl<M: Mode> Engine<M> {
    /// Runs the graph to completion on `pool`, blocking the caller.
    pub(crate) fn run_parallel(
        &mut self,
        pool: &ThreadPool,
        opts: &RunOptions,
    ) -> Result<RunReport, RunError> {
        self.prepare(opts, pool.current_num_threads());
        let this = &*self;
        pool.scope(|scope| {
            let sched = ParSched {
                engine: this,
                scope,
                next: Cell::new(None),
                running: Cell::new(None),
            };
            // SAFETY: once, by the thread that starts the run.
            unsafe { this.emit_initials(&sched) };
            for &r in this.roots.iter() {
                sched.schedule(NodeId(r));
            }
            sched.drain();
        });
        self.finish()
    }
}
