//! The engine core shared by the four engines: node slots, one activation, and the
//! bookkeeping before and after a run.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use ontime_core::JobSlot;

use super::report::{NodeRef, RunError, RunReport};
use crate::activator::Activator;
use crate::graph::{Built, Shape};
use crate::node::{NodeBox, NodeMut};
use crate::scheduler::{NodeId, Scheduler};
use crate::sync::lock;

/// How an engine holds a node: by value until it runs once, or for good.
pub(crate) trait Holder: Send + 'static {
    /// Whether a node runs again after re-arming.
    const REUSABLE: bool;
    fn run(&mut self, sched: &dyn Scheduler);
    fn clear_inputs(&mut self);
}

impl Holder for Option<Box<dyn NodeBox>> {
    const REUSABLE: bool = false;
    #[inline]
    fn run(&mut self, sched: &dyn Scheduler) {
        // The activator schedules a single-use node at most once, so it is always here.
        if let Some(node) = self.take() {
            node.run_box(sched);
        }
    }
    fn clear_inputs(&mut self) {}
}

impl Holder for Box<dyn NodeMut> {
    const REUSABLE: bool = true;
    #[inline]
    fn run(&mut self, sched: &dyn Scheduler) {
        self.run_mut(sched);
    }
    fn clear_inputs(&mut self) {
        NodeMut::clear_inputs(&mut **self);
    }
}

/// One node in an engine: its activator, the node, and per-run bookkeeping.
pub(crate) struct Slot<H> {
    pub(crate) activator: Activator,
    holder: UnsafeCell<H>,
    runs: UnsafeCell<u64>,
    /// The engine, for parallel runs (set at the start of each one).
    pub(crate) engine: *const Engine<H>,
    pub(crate) index: u32,
}

// SAFETY: `holder` and `runs` are touched only by the thread running the node, which the
// activator protocol makes unique at any time (see README.md), or under `&mut Engine`.
// `engine` is written only under `&mut Engine` and read by runners of that run.
unsafe impl<H: Holder> Sync for Slot<H> {}
// SAFETY: as above; the holder itself is Send.
unsafe impl<H: Holder> Send for Slot<H> {}

/// Nodes, their control successors, and the first failure of the current run.
pub(crate) struct Engine<H> {
    pub(crate) nodes: Box<[JobSlot<Slot<H>>]>,
    successors: Box<[Box<[NodeId]>]>,
    /// Nodes with no inputs at all: scheduled at the start of every run.
    pub(crate) roots: Box<[u32]>,
    /// The sequential engine's ready stack (capacity: one entry per node).
    pub(crate) ready: Vec<u32>,
    failure: Mutex<Option<(NodeId, Box<dyn Any + Send>)>>,
    pub(crate) shape: Shape,
    pub(crate) graph: u32,
}

impl<H: Holder> Engine<H> {
    pub(crate) fn new<N: ?Sized>(built: Built<N>, wrap: impl Fn(Box<N>) -> H) -> Self {
        let Built {
            nodes,
            inputs,
            successors,
            shape,
            graph,
            ..
        } = built;
        let n = nodes.len();
        let roots = (0..n as u32).filter(|&i| inputs[i as usize] == 0).collect();
        let nodes = nodes
            .into_iter()
            .zip(inputs)
            .enumerate()
            .map(|(i, (node, inputs))| {
                JobSlot::new(Slot {
                    activator: Activator::new(NodeId::from_index(i), inputs),
                    holder: UnsafeCell::new(wrap(node)),
                    runs: UnsafeCell::new(0),
                    engine: std::ptr::null(),
                    index: i as u32,
                })
            })
            .collect();
        Engine {
            nodes,
            successors: successors.into_boxed_slice(),
            roots,
            ready: Vec::with_capacity(n),
            failure: Mutex::new(None),
            shape,
            graph,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Before a run: counters to zero, and for reusable nodes, activators armed and stale
    /// inputs dropped (a run that failed may have left some).
    pub(crate) fn prepare(&mut self) {
        let me: *const Engine<H> = self;
        for slot in self.nodes.iter_mut() {
            let s = slot.task_mut();
            *s.runs.get_mut() = 0;
            s.engine = me;
            if H::REUSABLE {
                s.activator.arm();
                s.holder.get_mut().clear_inputs();
            }
        }
        *self.failure_slot() = None;
    }

    /// Runs node `i` once: its task, then its control successors, then (reusable) re-arms it.
    ///
    /// Called only by the thread the node's activator (or the engine's start) scheduled it on.
    #[inline]
    pub(crate) fn execute(&self, i: usize, sched: &dyn Scheduler) {
        let slot = self.nodes[i].task();
        // SAFETY: the activator scheduled node `i` exactly once for this activation, and it
        // cannot be scheduled again before the `rearm` below: this thread alone uses the node.
        let holder = unsafe { &mut *slot.holder.get() };
        let result = catch_unwind(AssertUnwindSafe(|| holder.run(sched)));
        // SAFETY: as above.
        unsafe { *slot.runs.get() += 1 };
        match result {
            Ok(()) => {
                for s in self.successors[i].iter() {
                    sched.activator(*s).notify(sched);
                }
            }
            Err(p) => {
                let mut f = lock(&self.failure);
                if f.is_none() {
                    *f = Some((NodeId::from_index(i), p));
                }
            }
        }
        if H::REUSABLE {
            // Last use of the slot: once re-armed, the node may run on another thread.
            slot.activator.rearm(sched);
        }
    }

    /// The first failure of the run, through `&mut` (no lock; poisoning ignored).
    fn failure_slot(&mut self) -> &mut Option<(NodeId, Box<dyn Any + Send>)> {
        self.failure.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn node_ref(&self, id: NodeId) -> NodeRef {
        NodeRef {
            id,
            name: self.shape.name(id).cloned(),
        }
    }

    /// After a run: what ran, and the first panic if any.
    pub(crate) fn finish(&mut self) -> Result<RunReport, RunError> {
        let mut executed = 0;
        let mut never_ran = Vec::new();
        for i in 0..self.nodes.len() {
            let runs = *self.nodes[i].task_mut().runs.get_mut();
            executed += runs;
            if runs == 0 {
                never_ran.push(self.node_ref(NodeId::from_index(i)));
            }
        }
        let report = RunReport {
            executed,
            never_ran,
        };
        let failure = self.failure_slot().take();
        match failure {
            None => Ok(report),
            Some((node, payload)) => Err(RunError::new(self.node_ref(node), payload, report)),
        }
    }
}
