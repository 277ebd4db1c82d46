//! Nodes: a task wired into a graph, behind a trait object so an engine keeps one list.
//!
//! [`NodeOnce`] runs by value, [`NodeBox`] is its boxed, object-safe form, [`NodeMut`] runs
//! again and again. [`TaskNode`] is the one implementation: a task with its input cells and
//! output ports. The graph builders make them; user code does not need to.
//!
//! The engines keep every `TaskNode` in the graph's arena (`graph/arena.rs`) behind one
//! crate-internal trait object, run through `&self`: while a multiple-use node runs, its
//! producers may already write its cells for the next activation, so no `&mut` to a running
//! node may exist. `NodeOnce`/`NodeMut` describe the same operations for a node owned
//! outright.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

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
/// Built by the graph builders (`GraphBuilder::task`), which keep it, with its cells and ports
/// inline, in the graph's arena; producers hold the addresses of its cells. It implements
/// [`NodeOnce`] when the task is a [`TaskOnce`] and [`NodeMut`] when it is a [`TaskMut`].
pub struct TaskNode<T, I: InputList, O: OutputList> {
    task: UnsafeCell<T>,
    inputs: I::Cells,
    outputs: O::Senders,
    marker: PhantomData<fn(I) -> O>,
}

// SAFETY: the task is touched only by the node's runner (one thread at a time, see
// `run`), cells and output ports are `Sync`; the task moves between threads, hence `T: Send`.
unsafe impl<T: Send, I: InputList, O: OutputList> Sync for TaskNode<T, I, O> {}
// SAFETY: every part is `Send` (cells and ports by the list bounds).
unsafe impl<T: Send, I: InputList, O: OutputList> Send for TaskNode<T, I, O> {}

impl<T, I: InputList, O: OutputList> TaskNode<T, I, O> {
    /// Only the builders make nodes: they wire the cells to their producers.
    pub(crate) fn new(task: T, inputs: I::Cells, outputs: O::Senders) -> Self {
        TaskNode {
            task: UnsafeCell::new(task),
            inputs,
            outputs,
            marker: PhantomData,
        }
    }

    /// The input cells, for the builder to wire.
    pub(crate) fn cells_ptr(this: NonNull<Self>) -> NonNull<I::Cells> {
        // SAFETY: a field of a live node.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*this.as_ptr()).inputs)) }
    }

    /// The output ports, for the builder to wire.
    pub(crate) fn senders_ptr(this: NonNull<Self>) -> NonNull<O::Senders> {
        // SAFETY: a field of a live node.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*this.as_ptr()).outputs)) }
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
        let TaskNode {
            task,
            inputs,
            outputs,
            ..
        } = self;
        // SAFETY: the node is owned here: nobody else reads its cells.
        let values = unsafe { I::take(&inputs, true) };
        task.into_inner().run_once(
            sched,
            values,
            O::ports(&outputs, sched, sched.single_threaded()),
        );
    }
}

impl<T: TaskMut<I, O> + Send, I: InputList, O: OutputList> NodeMut for TaskNode<T, I, O> {
    #[inline]
    fn run_mut(&mut self, sched: &dyn Scheduler) {
        // SAFETY: `&mut self`: nobody else reads the cells now.
        let values = unsafe { I::take(&self.inputs, false) };
        self.task.get_mut().run_mut(
            sched,
            values,
            O::ports(&self.outputs, sched, sched.single_threaded()),
        );
    }

    fn clear_inputs(&mut self) {
        // SAFETY: `&mut self`: exclusive access.
        unsafe { I::reset(&self.inputs) }
    }
}

/// A single-use engine's task: taken out when the node runs (its cells and ports stay in
/// place, where producers address them).
pub(crate) struct Once<T>(pub(crate) Option<T>);

/// A multiple-use engine's task.
pub(crate) struct Reusable<T>(pub(crate) T);

/// How an engine runs a node in its arena: through `&self`, because while a node runs, its
/// producers may already write its cells for the next activation (multiple-use graphs), so
/// nobody may hold `&mut` to the node.
pub(crate) trait EngineNode: Send + Sync {
    /// Runs the node's task with the current inputs.
    ///
    /// # Safety
    /// Only the thread the node's activator scheduled it on (or the engine's start) calls
    /// this, and not again before the node's activator is re-armed. `local`: the run is on
    /// one thread (`Scheduler::single_threaded`, known to the engine).
    unsafe fn run(&self, sched: &dyn Scheduler, local: bool);

    /// Drops input values waiting for the next activation.
    ///
    /// # Safety
    /// Exclusive access to the graph (between runs).
    unsafe fn clear_inputs(&self);
}

impl<T: TaskOnce<I, O> + Send, I: InputList, O: OutputList> EngineNode for TaskNode<Once<T>, I, O> {
    #[inline]
    unsafe fn run(&self, sched: &dyn Scheduler, local: bool) {
        // SAFETY: the caller is the node's only runner (the contract), and a single-use node
        // is scheduled at most once.
        let Some(task) = (unsafe { (*self.task.get()).0.take() }) else {
            return;
        };
        // SAFETY: as above: this thread alone reads the cells, and closes them.
        let values = unsafe { I::take(&self.inputs, true) };
        task.run_once(sched, values, O::ports(&self.outputs, sched, local));
    }

    unsafe fn clear_inputs(&self) {}
}

impl<T: TaskMut<I, O> + Send, I: InputList, O: OutputList> EngineNode
    for TaskNode<Reusable<T>, I, O>
{
    #[inline]
    unsafe fn run(&self, sched: &dyn Scheduler, local: bool) {
        // SAFETY: the caller is the node's only runner until it re-arms (the contract).
        let task = unsafe { &mut (*self.task.get()).0 };
        // SAFETY: as above.
        let values = unsafe { I::take(&self.inputs, false) };
        task.run_mut(sched, values, O::ports(&self.outputs, sched, local));
    }

    unsafe fn clear_inputs(&self) {
        // SAFETY: the caller has exclusive access to the graph.
        unsafe { I::reset(&self.inputs) }
    }
}
