//! Port handles ([`Tx`], [`Rx`]) and the table that turns them into cells and output ports.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use super::spare;

use crate::port::ring::{OwnedRing, Ring};
use crate::port::{InputCell, OutPort, Port, PortId, PortReceiver, PortSender, Target};
use crate::scheduler::NodeId;

/// The sending end of a port while a graph is built: give it to exactly one task as an
/// output (it is not `Clone`, so a port has at most one producer).
pub struct Tx<T> {
    pub(crate) port: PortId,
    pub(crate) graph: u64,
    marker: PhantomData<fn(T)>,
}

/// The receiving end of a port while a graph is built: give it to a task as an input, or to
/// `output`. Clone it to fan one output out to several consumers (each gets its own copy of
/// every value, so `T: Clone`).
pub struct Rx<T> {
    pub(crate) port: PortId,
    pub(crate) graph: u64,
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

/// A port's producer, as the shape sees it (no types, no addresses); its readers are in the
/// shape's flat consumer list. Plain data (no drop glue): the table is emptied and reused
/// without touching each entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PortShape {
    pub(crate) producer: Option<NodeId>,
    pub(crate) initial: bool,
    /// A bounded port's capacity (`GraphBuilder::bounded_port`, at least 1), or 0 for a
    /// plain port (a `u32`, not an `Option`: it fits beside `initial`, so the port table is
    /// no bigger than before bounded ports).
    pub(crate) capacity: u32,
}

/// Where a reader of a port gets its values.
#[derive(Clone, Copy)]
enum Reader {
    /// An `InputCell<T>` inside a node, in the builder's arena.
    Cell(NonNull<()>, NodeId),
    /// The `Ring<T>` of a bounded port's reader, boxed in its input cell.
    Ring(NonNull<()>),
    /// A graph output: the `PortSender<T>` at this index of `Wiring::outputs`.
    Output(usize),
}

/// A port's typed half, erased: the addresses of the output ports that write it, and its
/// readers: a list threaded through `Wiring::readers` (`first` to `last`, by `next`), so
/// a port allocates nothing and the table holds plain data.
///
/// # Linking
/// A port is connected as it is wired, not in a pass at the end: a new reader's target goes
/// straight into the output ports already attached (its producer's, its initial value's),
/// and a producer or initial value attached later gets the targets of every reader so far.
/// Each side knows `T` when it attaches (the handles are typed), so no erased code runs.
/// The clone function comes with any cloned `Rx`; a port can only have two readers if one of
/// their handles is a clone (`port()` makes one `Rx`), so a port with fan-out always has it.
struct Links {
    /// The producer's `OutPort<T>`, inside its node.
    source: Option<NonNull<()>>,
    /// The `OutPort<T>` of the port's initial value.
    seed: Option<NonNull<()>>,
    /// The port's first and last reader in `Wiring::readers` (`NONE`: none yet).
    first: u32,
    last: u32,
    /// `<T as Clone>::clone`, as `*const ()`, once a reader brought a cloned handle.
    clone: Option<*const ()>,
}

/// No reader (an index into `Wiring::readers`).
const NONE: u32 = u32::MAX;

/// One reader of a port, and the port's next reader (`NONE` after the last).
#[derive(Clone, Copy)]
struct ReaderEntry {
    reader: Reader,
    next: u32,
}

impl Links {
    /// The clone function, typed.
    ///
    /// # Safety
    /// The port carries `T`.
    unsafe fn clone_fn<T>(&self) -> Option<fn(&T) -> T> {
        // SAFETY: `clone` was made from a `fn(&T) -> T` of this port's `T` (the contract).
        self.clone
            .map(|f| unsafe { std::mem::transmute::<*const (), fn(&T) -> T>(f) })
    }
}

/// Adds `target` to the `OutPort<T>` at `out`.
///
/// # Safety
/// `out` is a live `OutPort<T>` in the builder's arena, and nobody holds a reference to it.
/// Returns whether that port now owns something to drop (`OutPort::link`).
unsafe fn link<T>(out: NonNull<()>, target: Target<T>, clone: Option<fn(&T) -> T>) -> bool {
    // SAFETY: the contract.
    unsafe { (*out.cast::<OutPort<T>>().as_ptr()).link(target, clone) }
}

/// The port table of a graph being built (used by the builder and the tuple traits).
pub struct Wiring {
    graph: u64,
    pub(crate) ports: Vec<PortShape>,
    /// Every port's readers, in wiring order, as the shape sees them.
    pub(crate) consumers: Vec<(PortId, Consumer)>,
    links: Vec<Links>,
    readers: Vec<ReaderEntry>,
    outputs: Vec<Box<dyn Any + Send>>,
    /// The rings of bounded ports' readers, with their ports.
    pub(crate) rings: Vec<(OwnedRing, PortId)>,
    /// Nodes whose output ports own something to drop (a graph output's sender, targets on
    /// the heap); listed when that happens, possibly more than once.
    pub(crate) owning: Vec<u32>,
    /// Whether some edge goes from a node to itself or to an earlier node. Without one, node
    /// order is a topological order and the graph is acyclic.
    pub(crate) backward: bool,
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

/// `Wiring::check`'s failure, out of line.
#[cold]
#[inline(never)]
#[track_caller]
fn foreign_handle(port: PortId) -> ! {
    panic!("ontime-dataflow: {port} belongs to another graph builder")
}

/// Builder ids: 64 bits, never reused, so a handle of one builder is never taken for a handle
/// of another (which would mistake its value type).
static NEXT_GRAPH: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static SPARE_PORTS: Cell<Option<Vec<PortShape>>> = const { Cell::new(None) };
    static SPARE_LINKS: Cell<Option<Vec<Links>>> = const { Cell::new(None) };
    static SPARE_CONSUMERS: Cell<Option<Vec<(PortId, Consumer)>>> = const { Cell::new(None) };
    static SPARE_READERS: Cell<Option<Vec<ReaderEntry>>> = const { Cell::new(None) };
}

/// Leaves a shape's port table to the next builder on this thread (see `spare.rs`).
pub(crate) fn recycle_ports(ports: Vec<PortShape>, consumers: Vec<(PortId, Consumer)>) {
    spare::keep_vec(&SPARE_PORTS, ports);
    spare::keep_vec(&SPARE_CONSUMERS, consumers);
}

impl Wiring {
    pub(crate) fn new() -> Self {
        Wiring {
            graph: NEXT_GRAPH.fetch_add(1, Ordering::Relaxed),
            ports: spare::take_vec(&SPARE_PORTS),
            consumers: spare::take_vec(&SPARE_CONSUMERS),
            links: spare::take_vec(&SPARE_LINKS),
            readers: spare::take_vec(&SPARE_READERS),
            outputs: Vec::new(),
            rings: Vec::new(),
            owning: Vec::new(),
            backward: false,
        }
    }

    /// Room for `ports` more ports.
    pub(crate) fn reserve(&mut self, ports: usize) {
        self.ports.reserve(ports);
        self.links.reserve(ports);
        self.consumers.reserve(ports);
        self.readers.reserve(ports);
    }

    /// A new port; `capacity`: a bounded port's (at least 1).
    pub(crate) fn new_port<T: Send + 'static>(&mut self, capacity: Option<u32>) -> (Tx<T>, Rx<T>) {
        let id = PortId(u32::try_from(self.ports.len()).expect("more than 2^32 ports"));
        self.ports.push(PortShape {
            producer: None,
            initial: false,
            capacity: capacity.unwrap_or(0),
        });
        self.links.push(Links {
            source: None,
            seed: None,
            first: NONE,
            last: NONE,
            clone: None,
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

    /// Panics unless the handle belongs to this builder (then its `T` is the port's).
    #[track_caller]
    #[inline(always)]
    pub(crate) fn check(&self, graph: u64, port: PortId) {
        if graph != self.graph {
            foreign_handle(port);
        }
    }

    /// The target of `reader`, for a port carrying `T`.
    #[inline(always)]
    fn target<T: Send + 'static>(&self, reader: Reader) -> Target<T> {
        match reader {
            Reader::Cell(cell, node) => Target::Node {
                cell: cell.cast(),
                node,
            },
            Reader::Ring(ring) => Target::Ring(ring.cast()),
            Reader::Output(i) => Target::Output(
                self.outputs[i]
                    .downcast_ref::<PortSender<T>>()
                    .expect("ontime-dataflow: a graph output has its port's type")
                    .clone(),
            ),
        }
    }

    /// Adds a reader of `rx`'s port (checked) and links it to the port's writers so far.
    // Inlined: on the hot path (`consume`) the reader's kind is then known, and the match on
    // it in `target` folds away (callgrind: about 40 instructions a task on the linear chain).
    #[inline(always)]
    fn attach_reader<T: Send + 'static>(&mut self, rx: Rx<T>, reader: Reader, who: Consumer) {
        let target = self.target::<T>(reader);
        let idx = u32::try_from(self.readers.len()).expect("more than 2^32 - 1 port readers");
        self.readers.push(ReaderEntry { reader, next: NONE });
        let l = &mut self.links[rx.port.index()];
        if l.last == NONE {
            l.first = idx;
        } else {
            self.readers[l.last as usize].next = idx;
        }
        l.last = idx;
        if let Some(f) = rx.clone {
            l.clone = Some(f as *const ());
        }
        // SAFETY: the handle is checked, so the port carries `T`.
        let clone = unsafe { l.clone_fn::<T>() };
        let (source, seed) = (l.source, l.seed);
        if let Some(out) = seed {
            // SAFETY: the port's `OutPort<T>`s, in the arena; the builder is the only user now.
            unsafe { link(out, target.clone(), clone) };
        }
        if let Some(out) = source {
            // SAFETY: as above.
            if unsafe { link(out, target, clone) } {
                if let Some(p) = self.ports[rx.port.index()].producer {
                    self.owning.push(p.0);
                }
            }
        }
        self.consumers.push((rx.port, who));
    }

    /// Links a new writer of `port` (`OutPort<T>` at `out`) to every reader so far.
    ///
    /// # Safety
    /// The port carries `T`, and `out` is a live `OutPort<T>` in the builder's arena.
    #[inline(always)]
    /// Returns whether the writer's port now owns something to drop (`OutPort::link`).
    unsafe fn attach_writer<T: Send + 'static>(&mut self, port: PortId, out: NonNull<()>) -> bool {
        let l = &self.links[port.index()];
        // SAFETY: the contract.
        let clone = unsafe { l.clone_fn::<T>() };
        let mut owns = false;
        let mut i = l.first;
        while i != NONE {
            let e = self.readers[i as usize];
            // SAFETY: the contract; the builder is the only user of the arena now.
            owns |= unsafe { link(out, self.target::<T>(e.reader), clone) };
            i = e.next;
        }
        owns
    }

    /// `rx` (checked) feeds `node` through `cell`, an input cell inside that node.
    #[inline(always)]
    pub(crate) fn consume<T: Send + 'static>(
        &mut self,
        rx: Rx<T>,
        node: NodeId,
        cell: NonNull<InputCell<T>>,
    ) {
        let shape = &self.ports[rx.port.index()];
        if shape.producer.is_none() {
            // Its producer, if any, is added later: an edge to an earlier node or a loop.
            self.backward = true;
        }
        match shape.capacity {
            0 => self.attach_reader(rx, Reader::Cell(cell.cast(), node), Consumer::Node(node)),
            k => self.attach_ring_reader(rx, k, node, cell),
        }
    }

    /// `consume` for a bounded port: `cell` reads through a new ring of `capacity`.
    #[cold]
    #[inline(never)]
    fn attach_ring_reader<T: Send + 'static>(
        &mut self,
        rx: Rx<T>,
        capacity: u32,
        node: NodeId,
        cell: NonNull<InputCell<T>>,
    ) {
        let port = rx.port;
        let ring = Ring::<T>::new(
            capacity as usize,
            port,
            node,
            cell.as_ptr().cast_const().cast(),
        );
        let (owned, ring) = OwnedRing::new(ring);
        self.rings.push((owned, port));
        self.attach_reader(rx, Reader::Ring(ring.cast()), Consumer::Node(node));
    }

    /// `tx` (checked) is written by `node` through `out`, an output port inside that node.
    #[inline(always)]
    pub(crate) fn produce<T: Send + 'static>(
        &mut self,
        tx: Tx<T>,
        node: NodeId,
        out: NonNull<OutPort<T>>,
    ) {
        let port = tx.port.index();
        // SAFETY: the handle is checked, so the port carries `T`; `out` is in the arena.
        if unsafe { self.attach_writer::<T>(tx.port, out.cast()) } {
            self.owning.push(node.0);
        }
        self.links[port].source = Some(out.cast());
        self.ports[port].producer = Some(node);
    }

    /// `rx` is read by the program after a run.
    #[track_caller]
    pub(crate) fn output<T: Send + 'static>(&mut self, rx: Rx<T>) -> PortReceiver<T> {
        self.check(rx.graph, rx.port);
        let (tx, out) = Port::split();
        self.outputs.push(Box::new(tx));
        let i = self.outputs.len() - 1;
        self.attach_reader(rx, Reader::Output(i), Consumer::Output);
        out
    }

    /// Panics if `port` belongs to another builder or already has an initial value.
    #[track_caller]
    pub(crate) fn check_seed(&self, graph: u64, port: PortId) {
        self.check(graph, port);
        assert!(
            !self.ports[port.index()].initial,
            "ontime-dataflow: {port} already has an initial value"
        );
    }

    /// Records `out` (after `check_seed`) as the output port of `port`'s initial value.
    pub(crate) fn seed<T: Send + 'static>(&mut self, port: PortId, out: NonNull<OutPort<T>>) {
        // SAFETY: checked by `check_seed`, so the port carries `T`; `out` is in the arena.
        // (An initial value is always dropped with its graph: what it owns does not matter.)
        let _ = unsafe { self.attach_writer::<T>(port, out.cast()) };
        self.links[port.index()].seed = Some(out.cast());
        self.ports[port.index()].initial = true;
    }

    pub(crate) fn graph_id(&self) -> u64 {
        self.graph
    }

    /// The shape of the ports (the links are no longer needed: every port is connected).
    pub(crate) fn into_ports(self) -> (Vec<PortShape>, Vec<(PortId, Consumer)>) {
        spare::keep_vec(&SPARE_LINKS, self.links);
        spare::keep_vec(&SPARE_READERS, self.readers);
        (self.ports, self.consumers)
    }
}
