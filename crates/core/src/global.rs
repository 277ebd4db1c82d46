//! The global pool (built on first use with default settings), and how code that names no
//! pool finds its pool: the current worker's, or the global one.

use crate::registry::Registry;
use crate::sync::Arc;
use crate::worker::WorkerThread;

/// The global pool, built on first use with default settings.
pub(crate) fn global_registry() -> &'static Arc<Registry> {
    static GLOBAL: std::sync::OnceLock<Arc<Registry>> = std::sync::OnceLock::new();
    GLOBAL.get_or_init(|| {
        let pool = crate::ThreadPoolBuilder::new()
            .thread_name(|i| format!("ontime-global-{i}"))
            .build()
            .unwrap_or_else(|e| panic!("ontime: cannot start the global pool: {e}"));
        pool.into_detached_registry()
    })
}

/// The pool of the current worker, or the global pool.
pub(crate) fn current_registry() -> Arc<Registry> {
    let wt = WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    match unsafe { wt.as_ref() } {
        Some(wt) => Arc::clone(wt.registry_arc()),
        None => Arc::clone(global_registry()),
    }
}

/// Runs `op` on the current worker, or on the global pool (blocking the caller).
#[inline]
pub(crate) fn in_worker<OP, R>(op: OP) -> R
where
    OP: FnOnce(&WorkerThread) -> R + Send,
    R: Send,
{
    let wt = WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    match unsafe { wt.as_ref() } {
        Some(wt) => op(wt),
        None => global_registry().install(op),
    }
}

/// Calls `f` with the current worker's pool, or the global pool.
#[inline]
pub(crate) fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> R {
    let wt = WorkerThread::current();
    // SAFETY: a non-null current worker pointer is valid on its own thread.
    match unsafe { wt.as_ref() } {
        Some(wt) => f(wt.registry()),
        None => f(global_registry()),
    }
}
