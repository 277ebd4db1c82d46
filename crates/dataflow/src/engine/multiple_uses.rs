//! Multiple-use graphs: tasks run once per activation, as often as their inputs come,
//! cycles allowed; a graph runs again and again without allocating.
//!
//! A run starts by delivering the graph inputs and seeds (`initial`) and scheduling the nodes
//! with no inputs; it ends when no node is active or activatable. Nodes keep their state
//! ([`TaskMut`]) from run to run; input cells are emptied at the start of each run.
//!
//! ```
//! use ontime_dataflow::common::FnTask;
//! use ontime_dataflow::multiple_uses::GraphBuilder;
//! use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler, SenderOnce};
//!
//! // A loop: `step` feeds (count, limit) back to itself until the count reaches the limit.
//! let mut g = GraphBuilder::new();
//! let (back_tx, back_rx) = g.port::<(u32, u32)>();
//! let (done_tx, done_rx) = g.port::<u32>();
//! let seed = g.initial(&back_tx, (0, 10)); // what the cycle starts from, every run
//! g.task(
//!     FnTask::new(
//!         |_s: &dyn Scheduler,
//!          (state,): (In<(u32, u32)>,),
//!          (back, done): (Out<'_, (u32, u32)>, Out<'_, u32>)| {
//!             let (n, limit) = state.recv_once().unwrap();
//!             if n + 1 < limit {
//!                 back.send_once((n + 1, limit)).unwrap();
//!             } else {
//!                 done.send_once(n + 1).unwrap();
//!             }
//!         },
//!     ),
//!     (back_rx,),
//!     (back_tx, done_tx),
//! );
//! let done = g.output(done_rx);
//! let mut graph = g.build().unwrap();
//! let report = graph.run_sequential().unwrap();
//! assert_eq!((done.take(), report.executed), (Ok(10), 10));
//!
//! graph.set_input(&seed, (0, 3));
//! let pool = ontime_core::ThreadPool::new(2).unwrap();
//! let report = graph.run_parallel(&pool).unwrap();
//! assert_eq!((done.take(), report.executed), (Ok(3), 3));
//! ```

use ontime_core::ThreadPool;

use super::core::{Engine, MultipleUses};
use super::initial::InitialValue;
use super::options::RunOptions;
use super::report::{RunError, RunReport};
use crate::graph::condition::CondTask;
use crate::graph::{self, BuildError, Condition, Input, Rx, Tx};
use crate::node::{NodeMut, Reusable};
use crate::scheduler::{NodeId, Scheduler};
use crate::task::{InputHandles, InputList, OutputHandles, OutputList, TaskMut};

/// Builds a multiple-use graph (tasks are [`TaskMut`]).
pub type GraphBuilder = graph::GraphBuilder<dyn NodeMut>;

impl graph::GraphBuilder<dyn NodeMut> {
    /// Adds a task reading `inputs` (a tuple of `Rx`) and writing `outputs` (a tuple of `Tx`).
    ///
    /// # Panics
    /// If a handle belongs to another builder.
    #[track_caller]
    pub fn task<IH, OH, T>(&mut self, task: T, inputs: IH, outputs: OH) -> NodeId
    where
        IH: InputHandles,
        OH: OutputHandles,
        T: TaskMut<IH::Values, OH::Values> + Send + 'static,
    {
        self.push_task(Reusable(task), inputs, outputs)
    }

    /// Gathers many ports of one type into one: a node that waits for a value on every port
    /// of `inputs` and writes them, in the order given, as one `Vec<T>` to the returned port,
    /// which tasks read like any other. For more inputs than a task's tuple takes (7), or a
    /// number known only at run time.
    ///
    /// ```
    /// use ontime_dataflow::common::StrictTask;
    /// use ontime_dataflow::multiple_uses::GraphBuilder;
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
        self.push_gather(inputs, false, None)
    }

    /// [`gather`](Self::gather) with a bounded output port of `capacity`
    /// ([`bounded_port`](Self::bounded_port)). When the inputs are bounded ports, the gather
    /// node runs again as soon as every input holds another value, so its output must be able
    /// to hold more than one too (a plain output would be written twice before its reader
    /// ran, which fails the run).
    ///
    /// ```
    /// use ontime_dataflow::common::StrictTask;
    /// use ontime_dataflow::multiple_uses::GraphBuilder;
    ///
    /// let mut g = GraphBuilder::new();
    /// let parts: Vec<_> = (0..4u64)
    ///     .map(|i| {
    ///         let (tx, rx) = g.bounded_port(1);
    ///         g.task(StrictTask::new(move || (i,)), (), (tx,));
    ///         rx
    ///     })
    ///     .collect();
    /// let all = g.gather_bounded(parts, 2);
    /// let (sum_tx, sum_rx) = g.port();
    /// g.task(StrictTask::new(|v: Vec<u64>| (v.iter().sum::<u64>(),)), (all,), (sum_tx,));
    /// let out = g.output(sum_rx);
    /// g.build().unwrap().run_sequential().unwrap();
    /// assert_eq!(out.take(), Ok(6));
    /// ```
    ///
    /// # Panics
    /// If a port belongs to another builder, or `capacity` is 0.
    #[track_caller]
    pub fn gather_bounded<T: Send + 'static>(
        &mut self,
        inputs: Vec<Rx<T>>,
        capacity: usize,
    ) -> Rx<Vec<T>> {
        self.push_gather(inputs, false, Some(capacity))
    }

    /// Adds a condition task (Taskflow's): `f` reads `inputs`, may write `outputs`, and
    /// returns the number of the branch to activate ([`branch`](Self::branch)); only that
    /// branch's targets get their input from it. A number the condition has no branch for
    /// activates nothing. A loop needs no lap synchronisation: its head waits for the
    /// condition's choice (a [`branch_seeded`](Self::branch_seeded) edge starts the first
    /// lap), so no lap's writes can overtake the last.
    ///
    /// ```
    /// use ontime_dataflow::common::FnTask;
    /// use ontime_dataflow::multiple_uses::GraphBuilder;
    /// use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler, SenderOnce};
    ///
    /// // Doubles a value until it passes 1000: head -> test -> (head again | done).
    /// let mut g = GraphBuilder::new();
    /// let (x_tx, x_rx) = g.port::<u64>();
    /// let (y_tx, y_rx) = g.port::<u64>();
    /// let (z_tx, z_rx) = g.port::<u64>();
    /// g.initial(&x_tx, 3);
    /// let head = g.task(
    ///     FnTask::new(|_: &dyn Scheduler, (x,): (In<u64>,), (y,): (Out<'_, u64>,)| {
    ///         y.send_once(x.recv_once().unwrap() * 2).unwrap();
    ///     }),
    ///     (x_rx,),
    ///     (y_tx,),
    /// );
    /// let test = g.condition(
    ///     |_: &dyn Scheduler, (y,): (In<u64>,), (again, done): (Out<'_, u64>, Out<'_, u64>)| {
    ///         let y = y.recv_once().unwrap();
    ///         if y <= 1000 { again.send_once(y).unwrap(); 0 } else { done.send_once(y).unwrap(); 1 }
    ///     },
    ///     (y_rx,),
    ///     (x_tx, z_tx),
    /// );
    /// g.branch_seeded(test, 0, head);
    /// let out = g.output(z_rx);
    /// let mut graph = g.build().unwrap();
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// graph.run_parallel(&pool).unwrap();
    /// assert_eq!(out.take(), Ok(1536)); // 3 * 2^9
    /// ```
    ///
    /// # Panics
    /// If a handle belongs to another builder.
    #[track_caller]
    pub fn condition<IH, OH, F>(&mut self, f: F, inputs: IH, outputs: OH) -> Condition
    where
        IH: InputHandles,
        OH: OutputHandles,
        F: FnMut(
                &dyn Scheduler,
                <IH::Values as InputList>::Ports,
                <OH::Values as OutputList>::Ports<'_>,
            ) -> usize
            + Send
            + 'static,
    {
        let (index, branches) = self.new_condition();
        let graph = self.graph_id();
        let node = self.push_task(Reusable(CondTask { f, branches }), inputs, outputs);
        Condition { node, index, graph }
    }

    /// A bounded port: up to `capacity` values in flight from its producer to each reader,
    /// which takes them oldest first, one per activation. Backpressure goes through the
    /// activators, so no thread ever blocks: a producer whose bounded output is full is not
    /// scheduled until the reader has taken a value (to its activator, "a slot is free" is
    /// one more input). A value stops counting as in flight when its reader *starts*, so
    /// even with capacity 1 the producer computes the next value while the reader works on
    /// this one: a pipeline needs no hand-made credit ports. Every engine runs a graph with
    /// bounded ports to the same result.
    ///
    /// ```
    /// use ontime_dataflow::common::{FnTask, StrictTask};
    /// use ontime_dataflow::multiple_uses::GraphBuilder;
    /// use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler, SenderOnce};
    ///
    /// // A source counting 0..1000 through a self-loop, feeding a summing sink through a
    /// // port of capacity 4: the source runs at most 4 values ahead of the sink.
    /// let mut g = GraphBuilder::new();
    /// let (next_tx, next_rx) = g.port::<u64>();
    /// let (item_tx, item_rx) = g.bounded_port::<u64>(4);
    /// g.initial(&next_tx, 0);
    /// g.task(
    ///     FnTask::new(
    ///         |_: &dyn Scheduler, (i,): (In<u64>,), (next, item): (Out<'_, u64>, Out<'_, u64>)| {
    ///             let i = i.recv_once().unwrap();
    ///             item.send_once(i).unwrap();
    ///             if i + 1 < 1000 {
    ///                 next.send_once(i + 1).unwrap();
    ///             }
    ///         },
    ///     ),
    ///     (next_rx,),
    ///     (next_tx, item_tx),
    /// );
    /// let (sum_tx, sum_rx) = g.port::<u64>();
    /// let mut sum = 0;
    /// let mut seen = 0;
    /// g.task(
    ///     FnTask::new(move |_: &dyn Scheduler, (x,): (In<u64>,), (out,): (Out<'_, u64>,)| {
    ///         sum += x.recv_once().unwrap();
    ///         seen += 1;
    ///         if seen % 1000 == 0 {
    ///             out.send_once(std::mem::take(&mut sum)).unwrap();
    ///         }
    ///     }),
    ///     (item_rx,),
    ///     (sum_tx,),
    /// );
    /// let total = g.output(sum_rx);
    /// let mut graph = g.build().unwrap();
    /// graph.run_sequential().unwrap();
    /// assert_eq!(total.take(), Ok(499_500));
    /// graph.run_parallel(&ontime_core::ThreadPool::new(2).unwrap()).unwrap();
    /// assert_eq!(total.take(), Ok(499_500));
    /// ```
    ///
    /// Each reader (clone the `Rx` to fan out) has its own `capacity` slots, and the producer
    /// waits for a free slot in every one. Three cases are not gated, and say so:
    /// - an [`initial`](Self::initial) value fills one slot at the start of every run (so a
    ///   cycle of bounded ports runs with as many values in flight as it has initial values);
    /// - a task reading its own bounded port (a self-loop) takes a value before it writes one,
    ///   so the port never holds more than it did;
    /// - a task with no inputs runs once per run, whatever its outputs; like a task that
    ///   another task scheduled directly, it gets [`PortError::Full`](crate::PortError::Full)
    ///   if it writes a full port (nothing is overwritten or dropped).
    ///
    /// A graph output ([`output`](Self::output)) reading a bounded port keeps the last value,
    /// as for any port.
    ///
    /// # Panics
    /// If `capacity` is 0 (or above `u32::MAX`).
    #[track_caller]
    pub fn bounded_port<T: Send + 'static>(&mut self, capacity: usize) -> (Tx<T>, Rx<T>) {
        self.push_bounded_port(capacity)
    }

    /// A graph input: its consumers get (a clone of) its value at the start of every run;
    /// change it between runs with [`Graph::set_input`].
    #[track_caller]
    pub fn input<T: Clone + Send + 'static>(&mut self, value: T) -> (Input<T>, Rx<T>) {
        let (tx, rx) = self.port::<T>();
        let graph = tx.graph;
        let input = self.push_initial(graph, tx.port, value, Some(<T as Clone>::clone));
        (input, rx)
    }

    /// Seeds a port: its consumers get (a clone of) `value` at the start of every run, as if
    /// its producer had written it. This is how a cycle starts (a register's reset value).
    ///
    /// # Panics
    /// If the port already has a seed or belongs to another builder.
    #[track_caller]
    pub fn initial<T: Clone + Send + 'static>(&mut self, tx: &Tx<T>, value: T) -> Input<T> {
        self.push_initial(tx.graph, tx.port, value, Some(<T as Clone>::clone))
    }

    /// Fixes the graph's wiring (cycles are allowed).
    pub fn build(self) -> Result<Graph, BuildError> {
        Ok(Graph {
            engine: Engine::new(self.finish(false)?),
        })
    }
}

/// A built multiple-use graph: run it as often as needed, sequentially or in parallel.
pub struct Graph {
    engine: Engine<MultipleUses>,
}

graph_basics!("multiple_uses::Graph");

impl Graph {
    /// Changes a graph input (or seed) for the following runs.
    ///
    /// # Panics
    /// If `input` belongs to another graph.
    #[track_caller]
    pub fn set_input<T: Send + 'static>(&mut self, input: &Input<T>, value: T) {
        assert!(
            input.graph == self.engine.graph,
            "ontime-dataflow: {:?} belongs to another graph",
            input
        );
        self.engine
            .initial_mut(input.index)
            .as_any_mut()
            .downcast_mut::<InitialValue<T>>()
            .expect("an input handle has its value's type")
            .set(value);
    }

    /// Runs the graph on the calling thread until no node is active or activatable.
    ///
    /// Allocates nothing once built (unless a task does).
    pub fn run_sequential(&mut self) -> Result<RunReport, RunError> {
        self.engine.run_sequential(&RunOptions::default())
    }

    /// [`run_sequential`](Self::run_sequential), bounded or stopped as `opts` says.
    pub fn run_sequential_with(&mut self, opts: &RunOptions) -> Result<RunReport, RunError> {
        self.engine.run_sequential(opts)
    }

    /// Runs the graph on `pool` until no node is active or activatable; a node never runs
    /// concurrently with itself.
    ///
    /// After a task panic the run still finishes, the pool is unharmed, and the graph can be
    /// run again (every input cell is emptied at the start of a run).
    pub fn run_parallel(&mut self, pool: &ThreadPool) -> Result<RunReport, RunError> {
        self.engine.run_parallel(pool, &RunOptions::default())
    }

    /// [`run_parallel`](Self::run_parallel), bounded or stopped as `opts` says: a cycle
    /// with no exit condition ends at `max_activations` instead of running forever, a task
    /// panic ends the run with `stop_on_error`, and another thread can end it with a
    /// [`RunCancel`](crate::RunCancel). A run that stops lets running tasks finish and starts
    /// no more; [`RunReport::pending`](crate::RunReport::pending) names the nodes it left
    /// holding inputs.
    ///
    /// ```
    /// use ontime_dataflow::common::FnTask;
    /// use ontime_dataflow::multiple_uses::GraphBuilder;
    /// use ontime_dataflow::{In, Out, ReceiverOnce, RunErrorKind, RunOptions, Scheduler, SenderOnce};
    ///
    /// // A counter in a cycle with no exit condition: it would run forever.
    /// let mut g = GraphBuilder::new();
    /// let (n_tx, n_rx) = g.port::<u64>();
    /// g.initial(&n_tx, 0);
    /// g.task(
    ///     FnTask::new(|_: &dyn Scheduler, (n,): (In<u64>,), (next,): (Out<'_, u64>,)| {
    ///         next.send_once(n.recv_once().unwrap() + 1).unwrap();
    ///     }),
    ///     (n_rx,),
    ///     (n_tx,),
    /// );
    /// let mut graph = g.build().unwrap();
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let err = graph.run_parallel_with(&pool, &RunOptions::new().max_activations(1000)).unwrap_err();
    /// assert_eq!(err.kind(), RunErrorKind::ActivationLimit);
    /// assert_eq!(err.report().executed, 1000);
    /// ```
    pub fn run_parallel_with(
        &mut self,
        pool: &ThreadPool,
        opts: &RunOptions,
    ) -> Result<RunReport, RunError> {
        self.engine.run_parallel(pool, opts)
    }

    /// Runs the graph `n` times in a row on `pool`, entering the pool once, and returns the
    /// last run's report (a default report, nothing run, for `n = 0`). Stops at the first
    /// run that fails and returns its error; the graph can be run again afterwards.
    ///
    /// Each run is a whole run: inputs and seeds are delivered again, nodes keep their
    /// state. Calling [`run_parallel`](Self::run_parallel) from outside the pool pays the
    /// pool's entry (waking a worker and handing the run over, tens of microseconds on a
    /// cold pool; see `docs/dataflow.md`, "Entry cost") on every run; this pays it once, and
    /// from inside the pool (`pool.install`) neither pays it.
    ///
    /// ```
    /// use ontime_dataflow::common::FnTask;
    /// use ontime_dataflow::multiple_uses::GraphBuilder;
    /// use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler, SenderOnce};
    ///
    /// // One node that adds its input to a running total it keeps between runs.
    /// let mut g = GraphBuilder::new();
    /// let (_x, x_rx) = g.input(2u64);
    /// let (t_tx, t_rx) = g.port::<u64>();
    /// let mut total = 0;
    /// g.task(
    ///     FnTask::new(move |_: &dyn Scheduler, (x,): (In<u64>,), (t,): (Out<'_, u64>,)| {
    ///         total += x.recv_once().unwrap();
    ///         t.send_once(total).unwrap();
    ///     }),
    ///     (x_rx,),
    ///     (t_tx,),
    /// );
    /// let out = g.output(t_rx);
    /// let mut graph = g.build().unwrap();
    /// let pool = ontime_core::ThreadPool::new(2).unwrap();
    /// let report = graph.run_parallel_n(&pool, 1000).unwrap();
    /// assert_eq!((out.take(), report.executed), (Ok(2000), 1));
    /// ```
    pub fn run_parallel_n(&mut self, pool: &ThreadPool, n: usize) -> Result<RunReport, RunError> {
        let engine = &mut self.engine;
        pool.install(|| {
            let mut last = RunReport::default();
            for _ in 0..n {
                last = engine.run_parallel(pool, &RunOptions::default())?;
            }
            Ok(last)
        })
    }
}
