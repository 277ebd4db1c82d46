//! Nodes: a task wired into a graph, behind a trait object so an engine keeps one list.
//!
//! [`NodeOnce`] runs by value, [`NodeBox`] is its boxed, object-safe form (what single-use
//! engines store), [`NodeMut`] runs again and again (what multiple-use engines store).
//! [`TaskNode`] is the one implementation: a task with its input cells and output ports. The
//! graph builders make them; user code does not need to.

use std::fmt;
use std::marker::PhantomData;

use crate::scheduler::Scheduler;
use crate::task::{InputList, OutputList, TaskMut, TaskOnce};

/// A node that runs at most once, by value.
pub trait NodeOnce: Send {
    /// Runs the node's task with its inputs and outputs.
    fn run_once(self, sched: &dyn Scheduler);
}

/// The boxed form of [`NodeOnce`], usable as `Box<dyn NodeBox>`.
pub trait NodeBox: Send {
    /// Runs the node's task with its inputs and outputs.
    fn run_box(self: Box<Self>, sched: &dyn Scheduler);
}

impl<N: NodeOnce> NodeBox for N {
    fn run_box(self: Box<Self>, sched: &dyn Scheduler) {
        (*self).run_once(sched)
    }
}

/// A node that may run many times.
pub trait NodeMut: Send {
    /// Runs the node's task with the inputs of its current activation.
    fn run_mut(&mut self, sched: &dyn Scheduler);

    /// Drops any input values waiting for the next activation (engines call this between
    /// runs). The default does nothing.
    fn clear_inputs(&mut self) {}
}

/// A task with its ports: input cells written by producers, output ports to the consumers.
///
/// Built by the graph builders (`GraphBuilder::task`); it implements [`NodeOnce`] when the
/// task is a [`TaskOnce`] and [`NodeMut`] when it is a [`TaskMut`].
pub struct TaskNode<T, I: InputList, O: OutputList> {
    task: T,
    inputs: I::Cells,
    outputs: O::Senders,
    marker: PhantomData<fn(I) -> O>,
}

impl<T, I: InputList, O: OutputList> TaskNode<T, I, O> {
    /// Only the builders make nodes: they own the cells a node's producers write.
    pub(crate) fn new(task: T, inputs: I::Cells, outputs: O::Senders) -> Self {
        TaskNode {
            task,
            inputs,
            outputs,
            marker: PhantomData,
        }
    }
}

impl<T, I: InputList, O: OutputList> fmt::Debug for TaskNode<T, I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskNode")
            .field("inputs", &I::LEN)
            .field("outputs", &O::LEN)
            .finish_non_exhaustive()
    }
}

impl<T: TaskOnce<I, O> + Send, I: InputList, O: OutputList> NodeOnce for TaskNode<T, I, O> {
    #[inline]
    fn run_once(self, sched: &dyn Scheduler) {
        // SAFETY: a TaskNode lives inside the graph that built it and only its engine runs it,
        // once its activator scheduled it: this thread alone reads its inputs now.
        let inputs = unsafe { I::take(&self.inputs, true) };
        let outputs = O::ports(&self.outputs, sched);
        self.task.run_once(sched, inputs, outputs);
    }
}

impl<T: TaskMut<I, O> + Send, I: InputList, O: OutputList> NodeMut for TaskNode<T, I, O> {
    #[inline]
    fn run_mut(&mut self, sched: &dyn Scheduler) {
        // SAFETY: as in `run_once`: the engine runs an activated node on one thread at a time.
        let inputs = unsafe { I::take(&self.inputs, false) };
        let outputs = O::ports(&self.outputs, sched);
        self.task.run_mut(sched, inputs, outputs);
    }

    fn clear_inputs(&mut self) {
        // SAFETY: engines call this between runs, when they hold the graph exclusively; no
        // handle outside the graph reaches the cells.
        unsafe { I::reset(&self.inputs) }
    }
}
