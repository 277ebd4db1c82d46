//! `spawn`: fire-and-forget `'static` jobs.

use crate::global::current_registry;
use crate::job::HeapJob;
use crate::registry::Registry;
use crate::unwind;
use crate::worker::WorkerThread;

/// Queues `f` to run on the current pool (the global pool outside any pool) and returns at
/// once. A panic in `f` goes to the pool's `panic_handler` (by default: reported on stderr);
/// the worker survives. Work queued when the pool is dropped still runs before its threads
/// exit.
///
/// # Panics
/// Called from outside a pool that was shut down (`ThreadPool::spawn`), see
/// [`ThreadPool::shutdown`](crate::ThreadPool::shutdown).
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

pub(crate) fn spawn_in<F>(registry: &Registry, f: F)
where
    F: FnOnce() + Send + 'static,
{
    // The job holds no reference to its pool (a job parked in an admission queue would keep
    // the pool alive, see `request/lifecycle.rs`): a spawned job runs on a worker of the pool
    // it was queued in, and reports a panic to that worker's pool.
    let job = HeapJob::into_job_ref(move || {
        if let Err(p) = unwind::catch(f) {
            let wt = WorkerThread::current();
            // SAFETY: a non-null current worker pointer is valid on its own thread.
            match unsafe { wt.as_ref() } {
                Some(wt) => wt.registry().hooks.report_panic(p),
                None => eprintln!(
                    "ontime: a spawned job panicked after its pool was gone: {}",
                    unwind::message(&*p)
                ),
            }
        }
    });
    registry.push_job(job);
}
