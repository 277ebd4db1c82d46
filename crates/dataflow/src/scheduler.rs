//! The [`Scheduler`] trait: what an activator needs from whatever runs nodes.
//!
//! It is kept apart from the engines: the engines implement it, and so can control
//! structures that own their own lists of nodes to run (reactive signals, for instance) as
//! long as they can hand out the right activators.

use std::fmt;

use crate::activator::Activator;

/// Identifies a node of a graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The node's index in its graph (nodes are numbered in the order they were added).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node #{}", self.0)
    }
}

/// Runs nodes once their activators fire.
///
/// ```
/// use std::cell::RefCell;
/// use ontime_dataflow::{Activator, NodeId, Scheduler};
///
/// /// A scheduler that just records what it was asked to run.
/// struct Recorder {
///     activators: Vec<Activator>,
///     ran: RefCell<Vec<NodeId>>,
/// }
/// impl Scheduler for Recorder {
///     fn activator(&self, node: NodeId) -> &Activator {
///         &self.activators[node.index()]
///     }
///     fn schedule(&self, node: NodeId) {
///         self.ran.borrow_mut().push(node);
///     }
/// }
///
/// let r = Recorder {
///     activators: vec![Activator::new(NodeId::from_index(0), 2)],
///     ran: RefCell::new(Vec::new()),
/// };
/// let a = r.activator(NodeId::from_index(0));
/// assert!(!a.notify(&r)); // one input of two written
/// assert!(a.notify(&r)); // the second: scheduled
/// assert_eq!(*r.ran.borrow(), vec![NodeId::from_index(0)]);
/// ```
pub trait Scheduler {
    /// The activator of `node`.
    fn activator(&self, node: NodeId) -> &Activator;

    /// Queues `node` to run; its activator calls this when its count reaches zero.
    ///
    /// The engines accept it only for an existing node that is neither queued nor running:
    /// otherwise nothing is queued and the run ends with a
    /// [`RunError`](crate::RunError) naming the node whose task made the call. A task that
    /// calls this itself can therefore never make a node run twice at once.
    fn schedule(&self, node: NodeId);

    /// Whether this scheduler runs its graph on one thread (the sequential engines): every
    /// write to the graph's ports, and every call on this scheduler, then happens on the
    /// thread that runs the graph, one after the other (a task's ports and scheduler are
    /// neither `Send` nor `Sync`), so activators and input cells can use plain loads and
    /// stores instead of read-modify-writes. Engine internals; the default, `false`, is
    /// always correct.
    #[doc(hidden)]
    fn single_threaded(&self) -> bool {
        false
    }
}

impl NodeId {
    /// The id of the node at `index` (for schedulers and tests that number nodes themselves).
    pub fn from_index(index: usize) -> NodeId {
        NodeId(u32::try_from(index).expect("ontime-dataflow: more than 2^32 nodes"))
    }
}
