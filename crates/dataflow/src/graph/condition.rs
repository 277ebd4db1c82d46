//! Condition tasks (Taskflow's): a task that returns which of its branches to activate, so
//! loops and branches need no lap synchronisation.
//!
//! # How a branch activates its targets
//! A branch edge `cond --k--> target` counts as one control input of `target`, like
//! [`precede`](super::GraphBuilder::precede), but the engine does not notify it when `cond`
//! finishes: the condition task itself, after its closure returned `k`, notifies the
//! activator of every target of branch `k` (and of no other branch), through the scheduler it
//! runs with. So a target runs once its chosen branch and its other inputs are in, through the
//! activator protocol every other input uses (`activator.rs`): it is scheduled exactly once
//! per activation, whichever thread notifies last. A loop head takes a *seeded* branch edge
//! ([`branch_seeded`](super::GraphBuilder::branch_seeded)): the engine notifies it once at
//! the start of each run, as a seed value is delivered, which starts the first lap; every
//! later lap waits for the condition to choose the loop again. Loom model:
//! `a_chosen_branch_and_a_data_input_schedule_the_target_once`.
//!
//! A closure that returns a branch number the condition does not have activates nothing
//! (Taskflow's rule: the way to end a loop with no exit node).

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::scheduler::{NodeId, Scheduler};
use crate::task::{InputList, OutputList, TaskMut, TaskOnce};

/// A condition node made by `GraphBuilder::condition`; give it branches with
/// [`GraphBuilder::branch`](super::GraphBuilder::branch).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub(crate) node: NodeId,
    /// Index in the builder's condition list.
    pub(crate) index: usize,
    pub(crate) graph: u64,
}

impl Condition {
    /// The condition's node.
    pub fn node(&self) -> NodeId {
        self.node
    }
}

/// Each branch's targets, filled when the graph is built.
pub(crate) type Branches = Arc<OnceLock<Box<[Box<[NodeId]>]>>>;

/// The task of a condition node: runs the closure, then notifies the chosen branch.
pub(crate) struct CondTask<F> {
    pub(crate) f: F,
    pub(crate) branches: Branches,
}

impl<F> fmt::Debug for CondTask<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CondTask")
    }
}

/// Notifies every target of branch `k` (none if there is no such branch).
pub(crate) fn activate(branches: &Branches, k: usize, sched: &dyn Scheduler) {
    let all = branches
        .get()
        .expect("ontime-dataflow: a condition's branches are set when the graph is built");
    if let Some(targets) = all.get(k) {
        for t in targets.iter() {
            sched.activator(*t).notify(sched);
        }
    }
}

impl<I: InputList, O: OutputList, F> TaskMut<I, O> for CondTask<F>
where
    F: FnMut(&dyn Scheduler, I::Ports, O::Ports<'_>) -> usize,
{
    fn run_mut(&mut self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        let k = (self.f)(sched, inputs, outputs);
        activate(&self.branches, k, sched);
    }
}

impl<I: InputList, O: OutputList, F> TaskOnce<I, O> for CondTask<F>
where
    F: FnOnce(&dyn Scheduler, I::Ports, O::Ports<'_>) -> usize,
{
    fn run_once(self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        let k = (self.f)(sched, inputs, outputs);
        activate(&self.branches, k, sched);
    }
}
