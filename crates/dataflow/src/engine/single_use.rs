//! Single-use graphs: each task runs at most once, no cycles (checked when the graph is built).
//!
//! ```
//! use ontime_dataflow::common::StrictTask;
//! use ontime_dataflow::single_use::GraphBuilder;
//!
//! // (a + b) * (a - b), with `a` fanned out to two tasks.
//! let mut g = GraphBuilder::new();
//! let a = g.input(7i64);
//! let b = g.input(3i64);
//! let (sum_tx, sum_rx) = g.port();
//! let (dif_tx, dif_rx) = g.port();
//! let (prod_tx, prod_rx) = g.port();
//! g.task(StrictTask::new(|a, b| (a + b,)), (a.clone(), b.clone()), (sum_tx,));
//! g.task(StrictTask::new(|a, b| (a - b,)), (a, b), (dif_tx,));
//! g.task(StrictTask::new(|s, d| (s * d,)), (sum_rx, dif_rx), (prod_tx,));
//! let product = g.output(prod_rx);
//!
//! let pool = ontime_core::ThreadPool::new(2).unwrap();
//! let report = g.build().unwrap().run_parallel(&pool).unwrap();
//! assert_eq!(product.take(), Ok(40));
//! assert_eq!(report.executed, 3);
//! ```

use ontime_core::ThreadPool;

use super::core::{Engine, SingleUse};
use super::options::RunOptions;
use super::report::{RunError, RunReport};
use crate::graph::condition::CondTask;
use crate::graph::{self, BuildError, Condition, Rx};
use crate::node::{NodeBox, Once};
use crate::scheduler::{NodeId, Scheduler};
use crate::task::{InputHandles, InputList, OutputHandles, OutputList, TaskOnce};

/// Builds a single-use graph (tasks are [`TaskOnce`]).
pub type GraphBuilder = graph::GraphBuilder<dyn NodeBox>;

impl graph::GraphBuilder<dyn NodeBox> {
    /// Adds a task reading `inputs` (a tuple of `Rx`) and writing `outputs` (a tuple of `Tx`).
    ///
    /// # Panics
    /// If a handle belongs to another builder.
    #[track_caller]
    pub fn task<IH, OH, T>(&mut self, task: T, inputs: IH, outputs: OH) -> NodeId
    where
        IH: InputHandles,
        OH: OutputHandles,
        T: TaskOnce<IH::Values, OH::Values> + Send + 'static,
    {
        self.push_task(Once(Some(task)), inputs, outputs)
    }

    /// Gathers many ports of one type into one: a node that waits for a value on every port
    /// of `inputs` and writes them, in the order given, as one `Vec<T>` to the returned port,
    /// which tasks read like any other. For more inputs than a task's tuple takes (7), or a
    /// number known only at run time.
    ///
    /// ```
    /// use ontime_dataflow::common::StrictTask;
    /// use ontime_dataflow::single_use::GraphBuilder;
    ///
    /// let mut g = GraphBuilder::new();
    /// let parts: Vec<_> = (0..20u64)
    ///     .map(|i| {
    ///         let (tx, rx) = g.port();
    ///         g.task(StrictTask::new(move || (i * i,)), (), (tx,));
    ///         rx
    ///     })
    ///     .collect();
    /// let all = g.gather(parts);
    /// let (sum_tx, sum_rx) = g.port();
    /// g.task(StrictTask::new(|v: Vec<u64>| (v.iter().sum::<u64>(),)), (all,), (sum_tx,));
    /// let out = g.output(sum_rx);
    /// g.build().unwrap().run_parallel(&ontime_core::ThreadPool::new(2).unwrap()).unwrap();
    /// assert_eq!(out.take(), Ok((0..20u64).map(|i| i * i).sum()));
    /// ```
    ///
    /// # Panics
    /// If a port belongs to another builder.
    #[track_caller]
    pub fn gather<T: Send + 'static>(&mut self, inputs: Vec<Rx<T>>) -> Rx<Vec<T>> {
        self.push_gather(inputs, true, None)
    }

    /// Adds a condition task (Taskflow's): `f` reads `inputs`, may write `outputs`, and
    /// returns the number of the branch to activate ([`branch`](Self::branch)); the other
    /// branches' targets never get their input from it, so they do not run (an if/else). A
    /// number the condition has no branch for activates nothing.
    ///
    /// ```
    /// use ontime_dataflow::common::StrictTask;
    /// use ontime_dataflow::single_use::GraphBuilder;
    /// use ontime_dataflow::{In, ReceiverOnce, Scheduler};
    ///
    /// let mut g = GraphBuilder::new();
    /// let x = g.input(7u32);
    /// let (even_tx, even_rx) = g.port::<&str>();
    /// let (odd_tx, odd_rx) = g.port::<&str>();
    /// let test = g.condition(|_: &dyn Scheduler, (x,): (In<u32>,), ()| (x.recv_once().unwrap() % 2) as usize, (x,), ());
    /// let even = g.task(StrictTask::new(|| ("even",)), (), (even_tx,));
    /// let odd = g.task(StrictTask::new(|| ("odd",)), (), (odd_tx,));
    /// g.branch(test, 0, even).branch(test, 1, odd);
    /// let (e, o) = (g.output(even_rx), g.output(odd_rx));
    /// let report = g.build().unwrap().run_sequential().unwrap();
    /// assert_eq!((o.take(), e.take().is_err()), (Ok("odd"), true));
    /// assert_eq!(report.never_ran.len(), 1);
    /// ```
    ///
    /// # Panics
    /// If a handle belongs to another builder.
    #[track_caller]
    pub fn condition<IH, OH, F>(&mut self, f: F, inputs: IH, outputs: OH) -> Condition
    where
        IH: InputHandles,
        OH: OutputHandles,
        F: FnOnce(
                &dyn Scheduler,
                <IH::Values as InputList>::Ports,
                <OH::Values as OutputList>::Ports<'_>,
            ) -> usize
            + Send
            + 'static,
    {
        let (index, branches) = self.new_condition();
        let graph = self.graph_id();
        let node = self.push_task(Once(Some(CondTask { f, branches })), inputs, outputs);
        Condition { node, index, graph }
    }

    /// A graph input: a port holding `value` when the run starts.
    #[track_caller]
    pub fn input<T: Send + 'static>(&mut self, value: T) -> Rx<T> {
        let (tx, rx) = self.port::<T>();
        let graph = tx.graph;
        self.push_initial(graph, tx.port, value, None);
        rx
    }

    /// Checks the graph (no cycles) and fixes its wiring.
    pub fn build(self) -> Result<Graph, BuildError> {
        Ok(Graph {
            engine: Engine::new(self.finish(true)?),
        })
    }
}

/// A built single-use graph, ready to run once, sequentially or in parallel.
pub struct Graph {
    engine: Engine<SingleUse>,
}

graph_basics!("single_use::Graph");

impl Graph {
    /// Runs every task whose inputs get written, on the calling thread.
    ///
    /// Returns a report (which nodes never became active), or the first task panic.
    pub fn run_sequential(mut self) -> Result<RunReport, RunError> {
        self.engine.run_sequential(&RunOptions::default())
    }

    /// [`run_sequential`](Self::run_sequential), bounded or stopped as `opts` says (see
    /// [`RunOptions`](crate::RunOptions)).
    pub fn run_sequential_with(mut self, opts: &RunOptions) -> Result<RunReport, RunError> {
        self.engine.run_sequential(opts)
    }

    /// Runs the graph on `pool` and blocks until no node is active or activatable.
    ///
    /// Returns a report (which nodes never became active), or the first task panic; after a
    /// panic the pool is unharmed and no task has run twice.
    pub fn run_parallel(mut self, pool: &ThreadPool) -> Result<RunReport, RunError> {
        self.engine.run_parallel(pool, &RunOptions::default())
    }

    /// [`run_parallel`](Self::run_parallel), bounded or stopped as `opts` says (see
    /// [`RunOptions`](crate::RunOptions)): with `stop_on_error`, the first task panic stops
    /// the run from starting more tasks.
    pub fn run_parallel_with(
        mut self,
        pool: &ThreadPool,
        opts: &RunOptions,
    ) -> Result<RunReport, RunError> {
        self.engine.run_parallel(pool, opts)
    }
}
