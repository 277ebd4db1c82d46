//! Every synchronisation primitive the runtime uses, from one place.
//!
//! Under `cfg(loom)` these are loom's model-checked versions, so `cargo xtask loom` explores
//! the interleavings of the latches, the sleep protocol and the promotion hand-off with the
//! very code that ships. Nothing in the crate may import `std::sync` directly.

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    mpsc, Arc, Condvar, Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    mpsc, Arc, Condvar, Mutex, MutexGuard,
};

/// Locks `m`, ignoring poisoning: the runtime's own critical sections never panic, and a
/// poisoned flag set by a user panic elsewhere must not take a worker down.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Waits on `cv`, ignoring poisoning (see [`lock`]).
pub(crate) fn wait<'a, T>(cv: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    match cv.wait(g) {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
