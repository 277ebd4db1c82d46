//! Port handles ([`Tx`], [`Rx`]) and the table that turns them into cells and output ports.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::port::{InputCell, OutPort, Port, PortId, PortReceiver, Target};
use crate::scheduler::NodeId;

/// The sending end of a port while a graph is built: give it to exactly one task as an
/// output (it is not `Clone`, so a port has at most one producer).
pub struct Tx<T> {
    pub(crate) port: PortId,
    pub(crate) graph: u32,
    marker: PhantomData<fn(T)>,
}

/// The receiving end of a port while a graph is built: give it to a task as an input, or to
/// `output`. Clone it to fan one output out to several consumers (each gets its own copy of
/// every value, so `T: Clone`).
pub struct Rx<T> {
    pub(crate) port: PortId,
    pub(crate) graph: u32,
    clone: Option<fn(&T) -> T>,
}

impl<T> Tx<T> {
    /// The port.
    pub fn port(&self) -> PortId {
        self.port
    }
}

impl<T> Rx<T> {
    /// The port.
    pub fn port(&self) -> PortId {
        self.port
    }
}

impl<T: Clone> Clone for Rx<T> {
    fn clone(&self) -> Self {
        Rx {
            port: self.port,
            graph: self.graph,
            clone: Some(<T as Clone>::clone),
        }
    }
}

impl<T> fmt::Debug for Tx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tx({})", self.port)
    }
}

impl<T> fmt::Debug for Rx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rx({})", self.port)
    }
}

/// Who reads a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Consumer {
    Node(NodeId),
    Output,
}

/// A port's typed half, erased so one table holds every port.
trait ErasedPort: Send {
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn resolve(self: Box<Self>);
}

struct TypedPort<T> {
    out: Arc<OutPort<T>>,
    targets: Vec<Target<T>>,
    clone: Option<fn(&T) -> T>,
}

impl<T: Send + 'static> ErasedPort for TypedPort<T> {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn resolve(self: Box<Self>) {
        let TypedPort {
            out,
            targets,
            clone,
        } = *self;
        out.resolve(targets, clone);
    }
}

pub(crate) struct PortEntry {
    pub(crate) producer: Option<NodeId>,
    pub(crate) consumers: Vec<Consumer>,
    pub(crate) initial: bool,
    typed: Box<dyn ErasedPort>,
}

/// The port table of a graph being built (used by the builder and the tuple traits).
pub struct Wiring {
    graph: u32,
    pub(crate) ports: Vec<PortEntry>,
}

impl fmt::Debug for Wiring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wiring")
            .field("ports", &self.ports.len())
            .finish()
    }
}

static NEXT_GRAPH: AtomicU32 = AtomicU32::new(1);

impl Wiring {
    pub(crate) fn new() -> Self {
        Wiring {
            graph: NEXT_GRAPH.fetch_add(1, Ordering::Relaxed),
            ports: Vec::new(),
        }
    }

    pub(crate) fn new_port<T: Send + 'static>(&mut self) -> (Tx<T>, Rx<T>) {
        let id = PortId(u32::try_from(self.ports.len()).expect("more than 2^32 ports"));
        self.ports.push(PortEntry {
            producer: None,
            consumers: Vec::new(),
            initial: false,
            typed: Box::new(TypedPort::<T> {
                out: Arc::new(OutPort::new(id)),
                targets: Vec::new(),
                clone: None,
            }),
        });
        (
            Tx {
                port: id,
                graph: self.graph,
                marker: PhantomData,
            },
            Rx {
                port: id,
                graph: self.graph,
                clone: None,
            },
        )
    }

    fn check(&self, graph: u32, port: PortId) {
        assert!(
            graph == self.graph,
            "ontime-dataflow: {port} belongs to another graph builder"
        );
    }

    fn typed<T: Send + 'static>(&mut self, port: PortId) -> &mut TypedPort<T> {
        self.ports[port.index()]
            .typed
            .as_any_mut()
            .downcast_mut::<TypedPort<T>>()
            .expect("ontime-dataflow: port handle of the wrong type")
    }

    /// Adds a reader of `rx`'s port: its delivery target, and the reader for the shape.
    fn attach_reader<T: Send + 'static>(&mut self, rx: Rx<T>, target: Target<T>, reader: Consumer) {
        self.check(rx.graph, rx.port);
        let p = self.typed::<T>(rx.port);
        p.targets.push(target);
        p.clone = p.clone.or(rx.clone);
        self.ports[rx.port.index()].consumers.push(reader);
    }

    /// `rx` feeds `node`: a new input cell for that node.
    pub(crate) fn consume<T: Send + 'static>(
        &mut self,
        rx: Rx<T>,
        node: NodeId,
    ) -> Arc<InputCell<T>> {
        let cell = Arc::new(InputCell::new(rx.port));
        let target = Target::Node {
            cell: Arc::clone(&cell),
            node,
        };
        self.attach_reader(rx, target, Consumer::Node(node));
        cell
    }

    /// `tx` is an output of `node`.
    pub(crate) fn produce<T: Send + 'static>(
        &mut self,
        tx: Tx<T>,
        node: NodeId,
    ) -> Arc<OutPort<T>> {
        self.check(tx.graph, tx.port);
        self.ports[tx.port.index()].producer = Some(node);
        Arc::clone(&self.typed::<T>(tx.port).out)
    }

    /// `rx` is read by the program after a run.
    pub(crate) fn output<T: Send + 'static>(&mut self, rx: Rx<T>) -> PortReceiver<T> {
        let (tx, out) = Port::split();
        self.attach_reader(rx, Target::Output(tx), Consumer::Output);
        out
    }

    /// The output port of `port`, to write initial values through.
    pub(crate) fn out_port<T: Send + 'static>(
        &mut self,
        graph: u32,
        port: PortId,
    ) -> Arc<OutPort<T>> {
        self.check(graph, port);
        assert!(
            !self.ports[port.index()].initial,
            "ontime-dataflow: {port} already has an initial value"
        );
        self.ports[port.index()].initial = true;
        Arc::clone(&self.typed::<T>(port).out)
    }

    pub(crate) fn graph_id(&self) -> u32 {
        self.graph
    }

    /// Fixes every port's consumers; the table keeps only the shape.
    pub(crate) fn resolve(&mut self) {
        for p in &mut self.ports {
            let typed = std::mem::replace(&mut p.typed, Box::new(Resolved));
            typed.resolve();
        }
    }
}

/// What a resolved port's typed half becomes.
struct Resolved;

impl ErasedPort for Resolved {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn resolve(self: Box<Self>) {}
}
