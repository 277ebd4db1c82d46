//! Port handles ([`Tx`], [`Rx`]) and the table that turns them into cells and output ports.

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use smallvec::SmallVec;

use crate::port::{InputCell, OutPort, Port, PortId, PortReceiver, PortSender, Target};
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

/// A port's ends, as the shape sees them (no types, no addresses).
#[derive(Clone, Debug)]
pub(crate) struct PortShape {
    pub(crate) producer: Option<NodeId>,
    pub(crate) consumers: SmallVec<[Consumer; 1]>,
    pub(crate) initial: bool,
}

/// Where a reader of a port gets its values.
#[derive(Clone, Copy)]
enum Reader {
    /// An `InputCell<T>` inside a node, in the builder's arena.
    Cell(NonNull<()>, NodeId),
    /// A graph output: the `PortSender<T>` at this index of `Wiring::outputs`.
    Output(usize),
}

/// A port's typed half, erased: the addresses of its output ports and of its readers' cells,
/// and the one function that knows `T` and connects them when the graph is built. No
/// allocation per port (the readers' list is inline for one reader).
struct Links {
    type_id: TypeId,
    /// The producer's `OutPort<T>`, inside its node.
    source: Option<NonNull<()>>,
    /// The `OutPort<T>` of the port's initial value.
    seed: Option<NonNull<()>>,
    readers: SmallVec<[Reader; 1]>,
    /// `<T as Clone>::clone`, as `*const ()`, once a reader cloned its handle.
    clone: Option<*const ()>,
    resolve: unsafe fn(&Links, &mut [Option<Box<dyn Any + Send>>]),
}

/// Connects a port's output ports to its readers.
///
/// # Safety
/// `links` was made by `new_port::<T>` (its addresses are of `T` ports and cells, in the
/// builder's arena, with no reference to them alive), and is resolved once.
unsafe fn resolve_port<T: Send + 'static>(
    links: &Links,
    outputs: &mut [Option<Box<dyn Any + Send>>],
) {
    // SAFETY: `clone` was made from a `fn(&T) -> T` (see `attach_reader`).
    let clone = links
        .clone
        .map(|f| unsafe { std::mem::transmute::<*const (), fn(&T) -> T>(f) });
    let targets: SmallVec<[Target<T>; 1]> = links
        .readers
        .iter()
        .map(|r| match *r {
            Reader::Cell(cell, node) => Target::Node {
                cell: cell.cast::<InputCell<T>>(),
                node,
            },
            Reader::Output(i) => Target::Output(
                *outputs[i]
                    .take()
                    .and_then(|b| b.downcast::<PortSender<T>>().ok())
                    .expect("ontime-dataflow: each graph output is resolved once, with its type"),
            ),
        })
        .collect();
    let out = |p: NonNull<()>| p.cast::<OutPort<T>>().as_ptr();
    match (links.source, links.seed) {
        (Some(a), Some(b)) => {
            // SAFETY: the contract: live `OutPort<T>`s, nobody else using them now.
            unsafe { (*out(b)).resolve(targets.clone(), clone) };
            // SAFETY: as above.
            unsafe { (*out(a)).resolve(targets, clone) };
        }
        (Some(a), None) | (None, Some(a)) => {
            // SAFETY: as above.
            unsafe { (*out(a)).resolve(targets, clone) };
        }
        // Nothing writes the port: its readers never become active (the run report says so).
        (None, None) => {}
    }
}

/// The port table of a graph being built (used by the builder and the tuple traits).
pub struct Wiring {
    graph: u32,
    pub(crate) ports: Vec<PortShape>,
    links: Vec<Links>,
    outputs: Vec<Option<Box<dyn Any + Send>>>,
}

// SAFETY: the addresses in `links` point into the builder's own arena, whose objects are
// `Send`; moving the builder moves them all together.
unsafe impl Send for Wiring {}

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
            links: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Room for `ports` more ports.
    pub(crate) fn reserve(&mut self, ports: usize) {
        self.ports.reserve(ports);
        self.links.reserve(ports);
    }

    pub(crate) fn new_port<T: Send + 'static>(&mut self) -> (Tx<T>, Rx<T>) {
        let id = PortId(u32::try_from(self.ports.len()).expect("more than 2^32 ports"));
        self.ports.push(PortShape {
            producer: None,
            consumers: SmallVec::new(),
            initial: false,
        });
        self.links.push(Links {
            type_id: TypeId::of::<T>(),
            source: None,
            seed: None,
            readers: SmallVec::new(),
            clone: None,
            resolve: resolve_port::<T>,
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

    /// Panics unless the handle belongs to this builder.
    pub(crate) fn check(&self, graph: u32, port: PortId) {
        assert!(
            graph == self.graph,
            "ontime-dataflow: {port} belongs to another graph builder"
        );
    }

    /// The links of a port of this builder, checked to carry `T`.
    fn links<T: 'static>(&mut self, port: PortId) -> &mut Links {
        let l = &mut self.links[port.index()];
        assert!(
            l.type_id == TypeId::of::<T>(),
            "ontime-dataflow: port handle of the wrong type"
        );
        l
    }

    /// Adds a reader of `rx`'s port.
    fn attach_reader<T: Send + 'static>(&mut self, rx: Rx<T>, reader: Reader, who: Consumer) {
        let l = self.links::<T>(rx.port);
        l.readers.push(reader);
        if l.clone.is_none() {
            l.clone = rx.clone.map(|f| f as *const ());
        }
        self.ports[rx.port.index()].consumers.push(who);
    }

    /// `rx` (checked) feeds `node` through `cell`, an input cell inside that node.
    pub(crate) fn consume<T: Send + 'static>(
        &mut self,
        rx: Rx<T>,
        node: NodeId,
        cell: NonNull<InputCell<T>>,
    ) {
        self.attach_reader(rx, Reader::Cell(cell.cast(), node), Consumer::Node(node));
    }

    /// `tx` (checked) is written by `node` through `out`, an output port inside that node.
    pub(crate) fn produce<T: Send + 'static>(
        &mut self,
        tx: Tx<T>,
        node: NodeId,
        out: NonNull<OutPort<T>>,
    ) {
        self.links::<T>(tx.port).source = Some(out.cast());
        self.ports[tx.port.index()].producer = Some(node);
    }

    /// `rx` is read by the program after a run.
    pub(crate) fn output<T: Send + 'static>(&mut self, rx: Rx<T>) -> PortReceiver<T> {
        self.check(rx.graph, rx.port);
        let (tx, out) = Port::split();
        self.outputs.push(Some(Box::new(tx)));
        let i = self.outputs.len() - 1;
        self.attach_reader(rx, Reader::Output(i), Consumer::Output);
        out
    }

    /// `out` (an initial value's output port, in the arena) also writes `port`.
    ///
    /// # Panics
    /// If the port belongs to another builder or already has an initial value.
    pub(crate) fn check_seed(&self, graph: u32, port: PortId) {
        self.check(graph, port);
        assert!(
            !self.ports[port.index()].initial,
            "ontime-dataflow: {port} already has an initial value"
        );
    }

    /// Records `out` (after `check_seed`) as the output port of `port`'s initial value.
    pub(crate) fn seed<T: Send + 'static>(&mut self, port: PortId, out: NonNull<OutPort<T>>) {
        self.links::<T>(port).seed = Some(out.cast());
        self.ports[port.index()].initial = true;
    }

    pub(crate) fn graph_id(&self) -> u32 {
        self.graph
    }

    /// Connects every port's output ports to its readers, once, and hands over the shape.
    ///
    /// # Safety
    /// Nobody holds a reference into the builder's arena (no run, no task, during a build).
    pub(crate) unsafe fn resolve(mut self) -> Vec<PortShape> {
        for l in &self.links {
            // SAFETY: `resolve` was set by `new_port::<T>` with the links' `T`, the addresses
            // are live in the arena and unaliased (the contract), and `self` is consumed.
            unsafe { (l.resolve)(l, &mut self.outputs) };
        }
        self.ports
    }
}
