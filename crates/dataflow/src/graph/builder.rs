//! [`GraphBuilder`]: wiring tasks together.
//!
//! The builder's type parameter says which engine it builds for: `dyn NodeBox` for
//! [`single_use`](crate::single_use) graphs (tasks are [`TaskOnce`](crate::TaskOnce)),
//! `dyn NodeMut` for [`multiple_uses`](crate::multiple_uses) graphs (tasks are
//! [`TaskMut`](crate::TaskMut)). Those modules name the two as `GraphBuilder`.
//!
//! Adding a task allocates nothing on the heap per task in the common case: the node (task,
//! input cells and output ports inline) goes into the builder's bump arena
//! (`graph/arena.rs`), the port table keeps one inline reader per port, and the node lists
//! grow geometrically (or not at all after [`GraphBuilder::with_capacity`]).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::arena::Arena;
use super::condition::{Branches, Condition};
use super::gather::GatherNode;
use super::shape::Shape;
use super::signal::{Emitter, Listeners, Signal};
use super::wiring::{Rx, Tx, Wiring};
use crate::engine::InitialValue;
use crate::node::{EngineNode, TaskNode};
use crate::port::ring::OwnedRing;
use crate::port::InputCell;
use crate::port::{OutPort, PortId, PortReceiver};
use crate::scheduler::NodeId;
use crate::task::{InputHandles, InputList, OutputHandles};

/// Builds a dataflow graph: make ports, add tasks that read and write them, then `build`.
///
/// See [`single_use::GraphBuilder`](crate::single_use::GraphBuilder) and
/// [`multiple_uses::GraphBuilder`](crate::multiple_uses::GraphBuilder) for the task-adding
/// methods and examples.
pub struct GraphBuilder<N: ?Sized> {
    arena: Arena,
    wiring: Wiring,
    /// Data inputs of each node.
    data_inputs: Vec<u32>,
    control: Vec<(NodeId, NodeId)>,
    names: BTreeMap<u32, Arc<str>>,
    port_names: BTreeMap<u32, Arc<str>>,
    /// Condition nodes' branch tables, and each branch's targets so far (`condition.rs`).
    conditions: Vec<(Branches, Vec<Vec<NodeId>>)>,
    /// Branch edges `(condition node, target, branch)`.
    branch_edges: Vec<(NodeId, NodeId, u32)>,
    /// Targets of seeded branch edges: notified once at the start of every run.
    seeded: Vec<u32>,
    /// Signals' listener tables, and each signal's listeners so far (`signal.rs`).
    signals: Vec<(Listeners, Vec<NodeId>)>,
    marker: PhantomData<fn() -> Box<N>>,
}

// SAFETY: the node and initial-value pointers point into the builder's own arena, whose
// objects are `Send` (see `Arena::alloc`); moving the builder moves them all together.
unsafe impl<N: ?Sized> Send for GraphBuilder<N> {}

/// A graph input: its consumers receive its value at the start of every run; change it
/// between runs with `Graph::set_input` (multiple-use graphs).
pub struct Input<T> {
    pub(crate) index: usize,
    pub(crate) graph: u64,
    pub(crate) port: PortId,
    marker: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for Input<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Input({})", self.port)
    }
}

/// Why a graph could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A single-use graph has a cycle (each task runs at most once, so a cycle could never
    /// start). The nodes are listed along the cycle.
    Cycle {
        /// The nodes on the cycle, in edge order.
        nodes: Vec<NodeId>,
        /// The same nodes, named (`name (node #i)` or `node #i`).
        path: String,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Cycle { path, .. } => write!(
                f,
                "a single-use graph may not have cycles (use multiple_uses): {path}"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

impl<N: ?Sized> fmt::Debug for GraphBuilder<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphBuilder")
            .field("nodes", &self.len())
            .field("ports", &self.wiring.ports.len())
            .finish()
    }
}

impl<N: ?Sized> Default for GraphBuilder<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// What `build` hands an engine.
pub(crate) struct Built {
    /// Owns every node and initial value below.
    pub(crate) arena: Arena,
    /// Inputs of each node (data and control).
    pub(crate) inputs: Vec<u32>,
    pub(crate) successors: Vec<Box<[NodeId]>>,
    /// Targets of seeded branch edges (`condition.rs`).
    pub(crate) seeded: Box<[u32]>,
    /// The rings of bounded ports' readers (`port/ring.rs`), their producers decided.
    pub(crate) rings: Vec<OwnedRing>,
    /// Nodes whose drop is not a no-op even after they ran (sorted, each once).
    pub(crate) owning: Vec<u32>,
    pub(crate) shape: Shape,
    pub(crate) graph: u64,
}

impl<N: ?Sized> GraphBuilder<N> {
    /// An empty graph.
    pub fn new() -> Self {
        GraphBuilder {
            arena: Arena::new(),
            wiring: Wiring::new(),
            data_inputs: Vec::new(),
            control: Vec::new(),
            names: BTreeMap::new(),
            port_names: BTreeMap::new(),
            conditions: Vec::new(),
            branch_edges: Vec::new(),
            seeded: Vec::new(),
            signals: Vec::new(),
            marker: PhantomData,
        }
    }

    /// A new condition's branch table and index (the engine modules' `condition` wraps the
    /// closure with it).
    pub(crate) fn new_condition(&mut self) -> (usize, Branches) {
        let branches: Branches = Arc::default();
        self.conditions.push((Arc::clone(&branches), Vec::new()));
        (self.conditions.len() - 1, branches)
    }

    pub(crate) fn graph_id(&self) -> u64 {
        self.wiring.graph_id()
    }

    /// Branch `k` of `cond` activates `target`: when the condition's task returns `k`,
    /// `target` gets one control input (as from [`precede`](Self::precede)); for any other
    /// choice it gets none. Several targets may share a branch. See [`Condition`] and the
    /// engine modules' `condition` for examples.
    ///
    /// # Panics
    /// If `cond` belongs to another builder or `target` is not in this graph.
    #[track_caller]
    pub fn branch(&mut self, cond: Condition, k: usize, target: NodeId) -> &mut Self {
        assert!(
            cond.graph == self.wiring.graph_id(),
            "ontime-dataflow: branch: {:?} belongs to another graph",
            cond
        );
        let n = self.len();
        assert!(
            target.index() < n,
            "ontime-dataflow: branch({}, {k}, {target}) on a graph of {n} nodes",
            cond.node
        );
        if cond.node.0 >= target.0 {
            self.wiring.backward = true;
        }
        let table = &mut self.conditions[cond.index].1;
        if table.len() <= k {
            table.resize(k + 1, Vec::new());
        }
        table[k].push(target);
        self.branch_edges.push((cond.node, target, k as u32));
        self
    }

    /// [`branch`](Self::branch), and the edge is also *seeded*: `target` gets this input once
    /// at the start of every run, as if the condition had chosen it. This is how a loop
    /// driven by a condition starts its first lap.
    ///
    /// # Panics
    /// As [`branch`](Self::branch).
    #[track_caller]
    pub fn branch_seeded(&mut self, cond: Condition, k: usize, target: NodeId) -> &mut Self {
        self.branch(cond, k, target);
        self.seeded.push(target.0);
        self
    }

    /// The gather node behind the engine modules' `gather` (`close`: single-use cells).
    #[track_caller]
    pub(crate) fn push_gather<T: Send + 'static>(
        &mut self,
        inputs: Vec<Rx<T>>,
        close: bool,
        capacity: Option<usize>,
    ) -> Rx<Vec<T>> {
        for rx in &inputs {
            self.wiring.check(rx.graph, rx.port);
        }
        let (tx, out_rx) = match capacity {
            None => self.port::<Vec<T>>(),
            Some(k) => self.push_bounded_port::<Vec<T>>(k),
        };
        let id = NodeId::from_index(self.len());
        let cells: Box<[InputCell<T>]> = inputs.iter().map(|rx| InputCell::new(rx.port)).collect();
        let node = GatherNode::new(cells, OutPort::new(tx.port), close);
        let ptr = self.arena.alloc_node(node);
        let n = inputs.len();
        for (i, rx) in inputs.into_iter().enumerate() {
            self.wiring.consume(rx, id, GatherNode::cell_ptr(ptr, i));
        }
        self.wiring.produce(tx, id, GatherNode::out_ptr(ptr));
        self.data_inputs.push(n as u32);
        // Its cells are a boxed slice: dropping it is never a no-op.
        self.wiring.owning.push(id.0);
        self.names.insert(id.0, Arc::from(format!("gather of {n}")));
        out_rx
    }

    /// A new reactive signal, awaited by no node yet (see [`on`](Self::on) and
    /// [`emitter`](Self::emitter)).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use ontime_dataflow::common::FnTask;
    /// use ontime_dataflow::single_use::GraphBuilder;
    /// use ontime_dataflow::Scheduler;
    ///
    /// let mut g = GraphBuilder::new();
    /// let ready = g.signal();
    /// let emit = g.emitter(ready);
    /// g.task(FnTask::new(move |s: &dyn Scheduler, (), ()| emit.emit(s)), (), ());
    /// let heard = Arc::new(AtomicU32::new(0));
    /// for _ in 0..3 {
    ///     let h = heard.clone();
    ///     let n = g.task(FnTask::new(move |_: &dyn Scheduler, (), ()| { h.fetch_add(1, Ordering::SeqCst); }), (), ());
    ///     g.on(ready, n);
    /// }
    /// g.build().unwrap().run_parallel(&ontime_core::ThreadPool::new(2).unwrap()).unwrap();
    /// assert_eq!(heard.load(Ordering::SeqCst), 3);
    /// ```
    pub fn signal(&mut self) -> Signal {
        self.signals.push((Arc::default(), Vec::new()));
        Signal {
            index: self.signals.len() - 1,
            graph: self.wiring.graph_id(),
        }
    }

    /// `node` awaits `signal`: each emission gives it one control input (it runs once per
    /// emission, once its other inputs are in too).
    ///
    /// # Panics
    /// If `signal` belongs to another builder or `node` is not in this graph.
    #[track_caller]
    pub fn on(&mut self, signal: Signal, node: NodeId) -> &mut Self {
        self.check_signal(signal);
        let n = self.len();
        assert!(
            node.index() < n,
            "ontime-dataflow: on(signal, {node}) on a graph of {n} nodes"
        );
        self.signals[signal.index].1.push(node);
        self
    }

    /// [`on`](Self::on), and `node` also gets this input once at the start of every run, as
    /// if the signal had been emitted: how a loop that awaits an acknowledgement starts.
    ///
    /// # Panics
    /// As [`on`](Self::on).
    #[track_caller]
    pub fn on_seeded(&mut self, signal: Signal, node: NodeId) -> &mut Self {
        self.on(signal, node);
        self.seeded.push(node.0);
        self
    }

    /// The emitter of `signal`, for the tasks that emit it (clone it freely).
    ///
    /// # Panics
    /// If `signal` belongs to another builder.
    #[track_caller]
    pub fn emitter(&self, signal: Signal) -> Emitter {
        self.check_signal(signal);
        Emitter {
            listeners: Arc::clone(&self.signals[signal.index].0),
        }
    }

    #[track_caller]
    fn check_signal(&self, signal: Signal) {
        assert!(
            signal.graph == self.wiring.graph_id(),
            "ontime-dataflow: {signal:?} belongs to another graph"
        );
    }

    /// An empty graph with room for `tasks` tasks and `ports` ports before its tables grow.
    ///
    /// ```
    /// use ontime_dataflow::common::StrictTask;
    /// use ontime_dataflow::single_use::GraphBuilder;
    ///
    /// let mut g = GraphBuilder::with_capacity(2, 2);
    /// let (tx, rx) = g.port();
    /// g.task(StrictTask::new(|| (1u32,)), (), (tx,));
    /// let (tx2, rx2) = g.port();
    /// g.task(StrictTask::new(|x: u32| (x + 1,)), (rx,), (tx2,));
    /// let out = g.output(rx2);
    /// g.build().unwrap().run_sequential().unwrap();
    /// assert_eq!(out.take(), Ok(2));
    /// ```
    pub fn with_capacity(tasks: usize, ports: usize) -> Self {
        let mut g = Self::new();
        g.arena.reserve(tasks);
        g.wiring.reserve(ports);
        g.data_inputs.reserve(tasks);
        g
    }

    /// A new port: give the `Tx` to the task that writes it, the `Rx` (cloned for fan-out) to
    /// the tasks that read it.
    pub fn port<T: Send + 'static>(&mut self) -> (Tx<T>, Rx<T>) {
        self.wiring.new_port(None)
    }

    /// A bounded port of `capacity` (the multiple-use builder's `bounded_port`).
    #[track_caller]
    pub(crate) fn push_bounded_port<T: Send + 'static>(
        &mut self,
        capacity: usize,
    ) -> (Tx<T>, Rx<T>) {
        assert!(
            capacity > 0,
            "ontime-dataflow: bounded_port({capacity}): a bounded port holds at least one value"
        );
        let k = u32::try_from(capacity).unwrap_or_else(|_| {
            panic!("ontime-dataflow: bounded_port({capacity}): at most 2^32 - 1 values")
        });
        self.wiring.new_port(Some(k))
    }

    /// Makes `rx` a graph output: after a run it holds the last value written.
    #[track_caller]
    pub fn output<T: Send + 'static>(&mut self, rx: Rx<T>) -> PortReceiver<T> {
        self.wiring.output(rx)
    }

    /// A control-only edge: `after` waits for `before` to finish (no value passes). Counts as
    /// one more input of `after`.
    ///
    /// # Panics
    /// If either node is not in this graph.
    #[track_caller]
    pub fn precede(&mut self, before: NodeId, after: NodeId) {
        let n = self.len();
        assert!(
            before.index() < n && after.index() < n,
            "ontime-dataflow: precede({before}, {after}) on a graph of {n} nodes"
        );
        if before.0 >= after.0 {
            self.wiring.backward = true;
        }
        self.control.push((before, after));
    }

    /// Names a node (used in errors, reports and `to_dot`).
    ///
    /// # Panics
    /// If the node is not in this graph.
    #[track_caller]
    pub fn name(&mut self, node: NodeId, name: impl Into<Arc<str>>) -> &mut Self {
        assert!(
            node.index() < self.len(),
            "ontime-dataflow: name({node}) on a graph of {} nodes",
            self.len()
        );
        self.names.insert(node.0, name.into());
        self
    }

    /// Names a port (by [`Tx::port`] or [`Rx::port`]), for run errors and
    /// [`to_dot`](Self::to_dot): an error about the port then reads
    /// `port #5 (carry: adder (node #0) → join (node #2))` instead of `port #5`.
    ///
    /// ```
    /// use ontime_dataflow::common::StrictTask;
    /// use ontime_dataflow::single_use::GraphBuilder;
    /// let mut g = GraphBuilder::new();
    /// let (tx, rx) = g.port::<u32>();
    /// g.name_port(tx.port(), "carry");
    /// let n = g.task(StrictTask::new(|| (1u32,)), (), (tx,));
    /// g.name(n, "adder");
    /// let _out = g.output(rx);
    /// assert!(g.to_dot().contains("carry"));
    /// ```
    ///
    /// # Panics
    /// If the port is not in this graph.
    #[track_caller]
    pub fn name_port(&mut self, port: PortId, name: impl Into<Arc<str>>) -> &mut Self {
        assert!(
            port.index() < self.wiring.ports.len(),
            "ontime-dataflow: name_port({port}) on a graph of {} ports",
            self.wiring.ports.len()
        );
        self.port_names.insert(port.index() as u32, name.into());
        self
    }

    /// Number of nodes so far.
    pub fn len(&self) -> usize {
        self.arena.nodes.len()
    }

    /// Whether the graph has no nodes yet.
    pub fn is_empty(&self) -> bool {
        self.arena.nodes.is_empty()
    }

    /// The graph so far in Graphviz format.
    pub fn to_dot(&self) -> String {
        Shape::new(
            self.len(),
            self.names.clone(),
            self.wiring.ports.clone(),
            self.wiring.consumers.clone(),
            self.control.clone(),
        )
        .with_port_names(self.port_names.clone())
        .with_branches(self.branch_edges.clone())
        .to_dot()
    }

    /// Wires `task` (as the engine holds it: `Once` or `Reusable`) to its ports and adds it.
    #[track_caller]
    #[inline]
    pub(crate) fn push_task<IH, OH, W>(&mut self, task: W, inputs: IH, outputs: OH) -> NodeId
    where
        IH: InputHandles,
        OH: OutputHandles,
        W: Send + 'static,
        TaskNode<W, IH::Values, OH::Values>: EngineNode,
    {
        // Every check that can fail comes before the node exists.
        inputs.check(&self.wiring);
        outputs.check(&self.wiring);
        let id = NodeId::from_index(self.len());
        let node =
            TaskNode::<W, IH::Values, OH::Values>::new(task, inputs.cells(), outputs.senders());
        let ptr = self.arena.alloc_node(node);
        // SAFETY: the cells and ports are those `cells()`/`senders()` made, inside `ptr`, in
        // this builder's arena.
        unsafe {
            inputs.attach(&mut self.wiring, id, TaskNode::cells_ptr(ptr));
            outputs.attach(&mut self.wiring, id, TaskNode::senders_ptr(ptr));
        }
        self.data_inputs.push(<IH::Values as InputList>::LEN as u32);
        id
    }

    #[track_caller]
    pub(crate) fn push_initial<T: Send + 'static>(
        &mut self,
        graph: u64,
        port: PortId,
        value: T,
        clone: Option<fn(&T) -> T>,
    ) -> Input<T> {
        self.wiring.check_seed(graph, port);
        let init = self
            .arena
            .alloc_initial(InitialValue::new(OutPort::new(port), value, clone));
        self.wiring.seed(port, InitialValue::out_ptr(init));
        Input {
            index: self.arena.initials.len() - 1,
            graph,
            port,
            marker: PhantomData,
        }
    }

    /// Fixes the wiring and hands everything to an engine; `acyclic` asks for the cycle check.
    pub(crate) fn finish(self, acyclic: bool) -> Result<Built, BuildError> {
        let GraphBuilder {
            arena,
            mut wiring,
            data_inputs: mut inputs,
            control,
            names,
            port_names,
            conditions,
            branch_edges,
            seeded,
            signals,
            ..
        } = self;
        for (table, listeners) in signals {
            for &n in &listeners {
                inputs[n.index()] += 1;
            }
            let _ = table.set(listeners.into_boxed_slice());
        }
        for (table, targets) in conditions {
            let targets: Box<[Box<[NodeId]>]> =
                targets.into_iter().map(Vec::into_boxed_slice).collect();
            let _ = table.set(targets);
        }
        for &(_, target, _) in &branch_edges {
            inputs[target.index()] += 1;
        }
        let graph = wiring.graph_id();
        let maybe_cyclic = wiring.backward;
        let rings = std::mem::take(&mut wiring.rings);
        let mut owning = std::mem::take(&mut wiring.owning);
        owning.sort_unstable();
        owning.dedup();
        let (ports, consumers) = wiring.into_ports();
        let mut successors: Vec<Box<[NodeId]>> = Vec::new();
        if !control.is_empty() {
            let mut succ: Vec<Vec<NodeId>> = vec![Vec::new(); inputs.len()];
            for &(before, after) in &control {
                inputs[after.index()] += 1;
                succ[before.index()].push(after);
            }
            successors = succ.into_iter().map(Vec::into_boxed_slice).collect();
        }
        let shape = Shape::new(inputs.len(), names, ports, consumers, control)
            .with_port_names(port_names)
            .with_branches(branch_edges);
        // Without a backward edge, node order is a topological order.
        if acyclic && maybe_cyclic {
            shape.check_acyclic()?;
        }
        let rings = rings
            .into_iter()
            .map(|(ring, port)| {
                let p = &shape.ports[port.index()];
                // SAFETY: the builder owns the ring and is its only user now.
                let ctl = unsafe { ring.get().ctl_mut() };
                ctl.seeded = usize::from(p.initial);
                // "A slot is free" is an input of the producer unless the producer reads the
                // ring itself (it frees a slot before it writes one) or has no other input
                // (it runs once per run, gated by nothing): `port/ring.rs`.
                ctl.producer = p
                    .producer
                    .filter(|&n| n != ctl.consumer && inputs[n.index()] > 0);
                ring
            })
            .collect();
        Ok(Built {
            arena,
            inputs,
            successors,
            rings,
            owning,
            seeded: seeded.into_boxed_slice(),
            shape,
            graph,
        })
    }
}
