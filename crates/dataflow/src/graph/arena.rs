//! Where a graph keeps its nodes and initial values: one bump arena per graph, recycled.
//!
//! Building a graph used to allocate several small blocks per task (the boxed node, one
//! reference-counted block per input cell and per output port, wiring vectors). Taskflow
//! creates a task in about 60 ns; a handful of `malloc`/`free` pairs alone costs more. A
//! graph now puts every node (its task, its input cells and its output ports, inline) and
//! every initial value in a [`bumpalo`] arena: allocating is a pointer bump.
//!
//! Fresh memory costs too: the kernel faults in and zeroes every new page, and `free` hands
//! large blocks straight back, so a 65,536-task graph built from fresh memory spent about
//! three quarters of its build time in page faults (measured with `perf` on the 2-core
//! development VM). A dropped graph therefore leaves its arena, emptied, to the next builder
//! on the same thread ([`spare`](super::spare)): building a graph of a similar size again
//! touches warm memory only.
//!
//! # Invariant
//! An object allocated here stays at its address until the arena drops it (bumpalo never
//! moves what it allocated, and moving the [`Arena`] value moves only its header), so the
//! raw pointers the wiring keeps (to input cells and output ports inside nodes) stay valid
//! for the graph's whole life. Each object is dropped exactly once, through the node or
//! initial-value list that owns it, when the arena is dropped (or recycled); none of their
//! `Drop` impls follows a pointer to another object.

use std::cell::Cell;
use std::ptr::NonNull;

use bumpalo::Bump;

use super::spare;
use crate::engine::Initial;
use crate::node::EngineNode;

/// A bump arena that owns and drops the nodes and initial values of one graph.
pub(crate) struct Arena {
    bump: Bump,
    /// Every node, in the order added (its index is its `NodeId`).
    pub(crate) nodes: Vec<NonNull<dyn EngineNode>>,
    /// Every initial value, in the order added.
    pub(crate) initials: Vec<NonNull<dyn Initial>>,
}

// SAFETY: the arena hands out raw pointers only; the objects it holds are `Send`
// (`EngineNode: Send`, `Initial: Send`), and the bump allocator is used only through
// `&mut self`, so moving the arena to another thread moves sole ownership of all of it.
unsafe impl Send for Arena {}
// SAFETY: through `&Arena` only the pointer lists are read; what they point to is used
// under the engines' own rules (see `engine/core.rs`).
unsafe impl Sync for Arena {}

/// What a dropped arena leaves for the next one on its thread.
struct Spare {
    bump: Bump,
    nodes: Vec<NonNull<dyn EngineNode>>,
}

thread_local! {
    static SPARE: Cell<Option<Spare>> = const { Cell::new(None) };
}

impl Arena {
    /// An empty arena (this thread's spare one, if a graph left one).
    pub(crate) fn new() -> Self {
        let (bump, nodes) = match spare::take(&SPARE) {
            Some(s) => (s.bump, s.nodes),
            None => (Bump::new(), Vec::new()),
        };
        Arena {
            bump,
            nodes,
            initials: Vec::new(),
        }
    }

    /// Room for `nodes` more nodes in the node list.
    pub(crate) fn reserve(&mut self, nodes: usize) {
        self.nodes.reserve(nodes);
    }

    /// Moves `node` into the arena and appends it to the node list.
    pub(crate) fn alloc_node<N: EngineNode + 'static>(&mut self, node: N) -> NonNull<N> {
        let ptr = NonNull::from(self.bump.alloc(node));
        self.nodes.push(ptr);
        ptr
    }

    /// Moves `init` into the arena and appends it to the initial-value list.
    pub(crate) fn alloc_initial<I: Initial + 'static>(&mut self, init: I) -> NonNull<I> {
        let ptr = NonNull::from(self.bump.alloc(init));
        self.initials.push(ptr);
        ptr
    }
}

impl Arena {
    /// Drops only the nodes listed in `owning` (sorted indices, each once) and forgets the
    /// others, whose drop the caller knows to be a no-op (a single-use node that ran:
    /// `engine/README.md`, "Dropping a single-use graph"); their memory goes with the arena.
    ///
    /// # Safety
    /// Every node not in `owning` has nothing to drop, and no node is used afterwards.
    pub(crate) unsafe fn drop_only(&mut self, owning: &[u32]) {
        for &i in owning {
            // SAFETY: a live node of this arena (the caller's list), dropped once: the list
            // is cleared below, so `Drop` does not see it again.
            unsafe { std::ptr::drop_in_place(self.nodes[i as usize].as_ptr()) };
        }
        self.nodes.clear();
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for p in self.nodes.drain(..) {
            // SAFETY: a live node allocated by `alloc_node`, listed once, unused from now on.
            unsafe { std::ptr::drop_in_place(p.as_ptr()) };
        }
        for p in self.initials.drain(..) {
            // SAFETY: as above, for initial values.
            unsafe { std::ptr::drop_in_place(p.as_ptr()) };
        }
        let mut bump = std::mem::take(&mut self.bump);
        if bump.allocated_bytes() <= spare::MAX_BYTES {
            // Everything in it was dropped above.
            bump.reset();
            let nodes = std::mem::take(&mut self.nodes);
            spare::keep(&SPARE, Spare { bump, nodes });
        }
    }
}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena")
            .field("bytes", &self.bump.allocated_bytes())
            .field("nodes", &self.nodes.len())
            .field("initials", &self.initials.len())
            .finish()
    }
}
