//! Where a graph keeps its nodes and initial values: one bump arena per graph.
//!
//! Building a graph used to allocate several small blocks per task (the boxed node, one
//! reference-counted block per input cell and per output port, wiring vectors). Taskflow
//! creates a task in about 60 ns; a handful of `malloc`/`free` pairs alone costs more. A
//! graph now puts every node (its task, its input cells and its output ports, inline) and
//! every initial value in a [`bumpalo`] arena: allocating is a pointer bump, freeing is a few
//! large blocks when the graph is dropped.
//!
//! # Invariant
//! An object allocated here stays at its address until the arena is dropped (bumpalo never
//! moves what it allocated, and moving the [`Arena`] value moves only its header), so the
//! raw pointers the wiring keeps (to input cells and output ports inside nodes) stay valid
//! for the graph's whole life. Each object is dropped exactly once, by the arena's `Drop`,
//! in reverse allocation order; none of their `Drop` impls follows a pointer to another.

use std::ptr::NonNull;

use bumpalo::Bump;

/// A drop glue entry: the object and its `drop_in_place`.
struct Owned {
    ptr: NonNull<u8>,
    drop: unsafe fn(NonNull<u8>),
}

/// A bump arena that drops what it holds.
pub(crate) struct Arena {
    bump: Bump,
    owned: Vec<Owned>,
}

// SAFETY: the arena hands out raw pointers only; the objects it holds are `Send` (checked by
// `alloc`'s bound), and the bump allocator itself is used only through `&mut self`, so moving
// the arena to another thread moves sole ownership of all of it.
unsafe impl Send for Arena {}
// SAFETY: no method takes `&self`: sharing `&Arena` between threads gives access to nothing.
unsafe impl Sync for Arena {}

/// Drops a `T` in place.
///
/// # Safety
/// `ptr` points to a live `T` that nobody uses again.
unsafe fn drop_glue<T>(ptr: NonNull<u8>) {
    // SAFETY: forwarded contract.
    unsafe { std::ptr::drop_in_place(ptr.cast::<T>().as_ptr()) }
}

impl Arena {
    pub(crate) fn new() -> Self {
        Arena {
            bump: Bump::new(),
            owned: Vec::new(),
        }
    }

    /// Room for about `nodes` more nodes in the drop list.
    pub(crate) fn reserve(&mut self, nodes: usize) {
        self.owned.reserve(nodes);
    }

    /// Moves `value` into the arena; it lives (at this address) until the arena is dropped.
    pub(crate) fn alloc<T: Send + 'static>(&mut self, value: T) -> NonNull<T> {
        let ptr = NonNull::from(self.bump.alloc(value));
        if std::mem::needs_drop::<T>() {
            self.owned.push(Owned {
                ptr: ptr.cast(),
                drop: drop_glue::<T>,
            });
        }
        ptr
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for o in self.owned.drain(..).rev() {
            // SAFETY: each entry is a live object allocated by `alloc`, listed once, and
            // nothing uses it after the arena is dropped.
            unsafe { (o.drop)(o.ptr) };
        }
    }
}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena")
            .field("bytes", &self.bump.allocated_bytes())
            .field("objects", &self.owned.len())
            .finish()
    }
}
