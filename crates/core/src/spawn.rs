//! `spawn`: fire-and-forget `'static` jobs.

use crate::job::HeapJob;
use crate::registry::{current_registry, Registry};
use crate::sync::Arc;
use crate::unwind;

/// Queues `f` to run on the current pool (the global pool outside any pool) and returns at
/// once. A panic in `f` goes to the pool's `panic_handler` (by default: reported on stderr);
/// the worker survives. Work queued when the pool is dropped still runs before its threads
/// exit.
///
/// ```
/// let (tx, rx) = std::sync::mpsc::channel();
/// ontime_core::spawn(move || tx.send(6 * 7).unwrap());
/// assert_eq!(rx.recv().unwrap(), 42);
/// ```
pub fn spawn<F>(f: F)
where
    F: FnOnce() + Send + 'static,
{
    spawn_in(&current_registry(), f)
}

pub(crate) fn spawn_in<F>(registry: &Arc<Registry>, f: F)
where
    F: FnOnce() + Send + 'static,
{
    let owner = Arc::clone(registry);
    let job = HeapJob::into_job_ref(move || {
        if let Err(p) = unwind::catch(f) {
            owner.handle_panic(p);
        }
    });
    registry.push_job(job);
}
