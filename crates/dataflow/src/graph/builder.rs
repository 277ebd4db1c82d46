//! [`GraphBuilder`]: wiring tasks together.
//!
//! The builder is generic over the node type its engines store: `dyn NodeBox` for
//! [`single_use`](crate::single_use) graphs (tasks are [`TaskOnce`](crate::TaskOnce)),
//! `dyn NodeMut` for [`multiple_uses`](crate::multiple_uses) graphs (tasks are
//! [`TaskMut`](crate::TaskMut)). Those modules name the two as `GraphBuilder`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::shape::Shape;
use super::wiring::{Rx, Tx, Wiring};
use crate::engine::{Initial, InitialValue};
use crate::node::TaskNode;
use crate::port::{PortId, PortReceiver};
use crate::scheduler::NodeId;
use crate::task::{InputHandles, InputList, OutputHandles};

/// Builds a dataflow graph: make ports, add tasks that read and write them, then `build`.
///
/// See [`single_use::GraphBuilder`](crate::single_use::GraphBuilder) and
/// [`multiple_uses::GraphBuilder`](crate::multiple_uses::GraphBuilder) for the task-adding
/// methods and examples.
pub struct GraphBuilder<N: ?Sized> {
    pub(crate) wiring: Wiring,
    pub(crate) nodes: Vec<Box<N>>,
    pub(crate) data_inputs: Vec<usize>,
    pub(crate) control: Vec<(NodeId, NodeId)>,
    pub(crate) names: Vec<Option<Arc<str>>>,
    pub(crate) initials: Vec<Box<dyn Initial>>,
}

/// A graph input: its consumers receive its value at the start of every run; change it
/// between runs with `Graph::set_input` (multiple-use graphs).
pub struct Input<T> {
    pub(crate) index: usize,
    pub(crate) graph: u32,
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
            .field("nodes", &self.nodes.len())
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
pub(crate) struct Built<N: ?Sized> {
    pub(crate) nodes: Vec<Box<N>>,
    pub(crate) inputs: Vec<usize>,
    pub(crate) successors: Vec<Box<[NodeId]>>,
    pub(crate) initials: Vec<Box<dyn Initial>>,
    pub(crate) shape: Shape,
    pub(crate) graph: u32,
}

impl<N: ?Sized> GraphBuilder<N> {
    /// An empty graph.
    pub fn new() -> Self {
        GraphBuilder {
            wiring: Wiring::new(),
            nodes: Vec::new(),
            data_inputs: Vec::new(),
            control: Vec::new(),
            names: Vec::new(),
            initials: Vec::new(),
        }
    }

    /// A new port: give the `Tx` to the task that writes it, the `Rx` (cloned for fan-out) to
    /// the tasks that read it.
    pub fn port<T: Send + 'static>(&mut self) -> (Tx<T>, Rx<T>) {
        self.wiring.new_port()
    }

    /// Makes `rx` a graph output: after a run it holds the last value written.
    pub fn output<T: Send + 'static>(&mut self, rx: Rx<T>) -> PortReceiver<T> {
        self.wiring.output(rx)
    }

    /// A control-only edge: `after` waits for `before` to finish (no value passes). Counts as
    /// one more input of `after`.
    ///
    /// # Panics
    /// If either node is not in this graph.
    pub fn precede(&mut self, before: NodeId, after: NodeId) {
        let n = self.nodes.len();
        assert!(
            before.index() < n && after.index() < n,
            "ontime-dataflow: precede({before}, {after}) on a graph of {n} nodes"
        );
        self.control.push((before, after));
    }

    /// Names a node (used in errors, reports and `to_dot`).
    ///
    /// # Panics
    /// If the node is not in this graph.
    pub fn name(&mut self, node: NodeId, name: impl Into<Arc<str>>) -> &mut Self {
        self.names[node.index()] = Some(name.into());
        self
    }

    /// Number of nodes so far.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph has no nodes yet.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The graph so far in Graphviz format.
    pub fn to_dot(&self) -> String {
        self.shape().to_dot()
    }

    /// Wires `task` to its ports and adds it; `boxed` turns the node into the engine's node
    /// type (`dyn NodeBox` or `dyn NodeMut`).
    pub(crate) fn push_task<IH, OH, T>(
        &mut self,
        task: T,
        inputs: IH,
        outputs: OH,
        boxed: impl FnOnce(TaskNode<T, IH::Values, OH::Values>) -> Box<N>,
    ) -> NodeId
    where
        IH: InputHandles,
        OH: OutputHandles,
    {
        let id = NodeId::from_index(self.nodes.len());
        let cells = inputs.attach(&mut self.wiring, id);
        let outs = outputs.attach(&mut self.wiring, id);
        self.nodes.push(boxed(TaskNode::new(task, cells, outs)));
        self.data_inputs.push(<IH::Values as InputList>::LEN);
        self.names.push(None);
        id
    }

    pub(crate) fn push_initial<T: Send + 'static>(
        &mut self,
        graph: u32,
        port: PortId,
        value: T,
        clone: Option<fn(&T) -> T>,
    ) -> Input<T> {
        let out = self.wiring.out_port::<T>(graph, port);
        self.initials
            .push(Box::new(InitialValue::new(out, value, clone)));
        Input {
            index: self.initials.len() - 1,
            graph,
            port,
            marker: PhantomData,
        }
    }

    fn shape(&self) -> Shape {
        Shape::new(&self.wiring, &self.control, &self.names)
    }

    /// Fixes the wiring and hands everything to an engine; `acyclic` asks for the cycle check.
    pub(crate) fn finish(mut self, acyclic: bool) -> Result<Built<N>, BuildError> {
        let shape = self.shape();
        if acyclic {
            shape.check_acyclic()?;
        }
        self.wiring.resolve();
        let n = self.nodes.len();
        let mut inputs = self.data_inputs;
        let mut successors: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        for &(before, after) in &self.control {
            inputs[after.index()] += 1;
            successors[before.index()].push(after);
        }
        Ok(Built {
            nodes: self.nodes,
            inputs,
            successors: successors.into_iter().map(Vec::into_boxed_slice).collect(),
            initials: self.initials,
            shape,
            graph: self.wiring.graph_id(),
        })
    }
}
