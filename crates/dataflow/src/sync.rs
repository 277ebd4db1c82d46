//! The atomics the engines' protocols use, from one place: loom's model-checked versions
//! under `cfg(loom)`, std's otherwise, so `cargo xtask loom` checks the code that ships.
//! Locks that guard no protocol (panic slots, graph outputs) use `std::sync::Mutex` directly.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// Locks `m`, ignoring poisoning: a user panic elsewhere must not poison the engine.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
