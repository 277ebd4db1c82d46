//! The global pool (built on first use with default settings), and how code that names no
//! pool finds its pool: the current worker's, or the global one.

use crate::registry::Registry;
use crate::sync::Arc;
use crate::worker::WorkerThread;

static GLOBAL: std::sync::OnceLock<Arc<Registry>> = std::sync::OnceLock::new();

/// The global pool, built on first use with default settings (sized by
/// `ONTIME_NUM_THREADS` if set) unless `ThreadPoolBuilder::build_global` built it first.
///
/// # Panics
/// If the default pool cannot be built (a bad `ONTIME_NUM_THREADS`, or the system refused a
/// thread), with the reason: code that names no pool has no other way to report it.
pub(crate) fn global_registry() -> &'static Arc<Registry> {
    GLOBAL.get_or_init(|| {
        let pool = crate::ThreadPoolBuilder::new()
            .thread_name(|i| format!("ontime-global-{i}"))
            .build()
            .unwrap_or_else(|e| panic!("ontime: cannot start the global pool: {e}"));
        pool.into_detached_registry()
    })
}

pub(crate) fn global_is_built() -> bool {
    GLOBAL.get().is_some()
}

/// Makes `pool` the global pool, unless there already is one (then `pool` comes back).
pub(crate) fn set_global(pool: crate::ThreadPool) -> Result<(), crate::ThreadPool> {
    let mut offered = Some(pool);
    GLOBAL.get_or_init(|| {
        offered
            .take()
            .expect("initialised at most once")
            .into_detached_registry()
    });
    match offered {
        None => Ok(()),
        Some(pool) => Err(pool),
    }
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
