//! Per-thread spare buffers: what a dropped graph leaves for the next builder on its thread.
//!
//! Each owner of a large buffer (the arena, the port table, the engine's slots) keeps one
//! spare per thread in a `thread_local` cell: it takes the spare when it is created and puts
//! its own buffer back, emptied, when it is dropped. A program that builds and runs graphs of
//! a similar size again and again (a request server building one graph per request) then
//! reuses warm memory instead of faulting in fresh pages every time. A buffer larger than
//! [`MAX_BYTES`] is freed instead, so a thread keeps at most a few of these, each bounded.

use std::cell::Cell;
use std::thread::LocalKey;

/// The largest buffer a thread keeps as a spare.
pub(crate) const MAX_BYTES: usize = 64 << 20;

/// This thread's spare, if any.
pub(crate) fn take<T: 'static>(key: &'static LocalKey<Cell<Option<T>>>) -> Option<T> {
    key.try_with(Cell::take).ok().flatten()
}

/// Makes `value` this thread's spare (replacing an older one). During thread exit the value
/// is simply dropped.
pub(crate) fn keep<T: 'static>(key: &'static LocalKey<Cell<Option<T>>>, value: T) {
    let _ = key.try_with(|c| c.set(Some(value)));
}

/// A spare vector, emptied (or a new one).
pub(crate) fn take_vec<T: 'static>(key: &'static LocalKey<Cell<Option<Vec<T>>>>) -> Vec<T> {
    take(key).unwrap_or_default()
}

/// Keeps `v`'s buffer as this thread's spare, emptied, unless it is larger than [`MAX_BYTES`].
pub(crate) fn keep_vec<T: 'static>(key: &'static LocalKey<Cell<Option<Vec<T>>>>, mut v: Vec<T>) {
    if v.capacity().saturating_mul(std::mem::size_of::<T>()) <= MAX_BYTES {
        v.clear();
        keep(key, v);
    }
}
