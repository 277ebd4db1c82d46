//! Starting a pool's threads: the workers (optionally pinned to CPUs) and the timer.
//!
//! Invariant: `start` either returns every thread running, or stops and joins every thread it
//! started before it returns the error. A failure part-way (the OS refuses a thread, a worker
//! cannot be pinned, the user's `thread_name` panics) sets every worker's terminate latch, so
//! the workers already started leave their main loop at once (they have no work yet), run
//! their exit handler, and are joined here.

use std::io;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::deque::{self, LocalQueue, StealQueue};
use crate::hooks::{Hooks, NameHandler};
use crate::job::Task;
use crate::registry::{Registry, ThreadInfo};
use crate::sync::{mpsc, Arc};
use crate::worker::WorkerThread;
use crate::{timer, unwind};

/// Everything `ThreadPoolBuilder::build` hands over once the settings are checked.
pub(crate) struct Config {
    pub(crate) num_threads: usize,
    pub(crate) thread_name: Option<NameHandler>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) hooks: Hooks,
    pub(crate) heartbeat: Duration,
    pub(crate) min_work_size: usize,
    /// `ThreadPoolBuilder::max_queued` (`usize::MAX`: no bound).
    pub(crate) max_queued: usize,
    /// Pin worker `i` to `cpus[i % cpus.len()]` (`ThreadPoolBuilder::pin_workers`).
    pub(crate) cpus: Option<Vec<core_affinity::CoreId>>,
    /// `ThreadPoolBuilder::complete_on_close_class`.
    pub(crate) complete_on_close_classes: Vec<u32>,
}

/// Why `start` failed.
#[derive(Debug)]
pub(crate) enum StartError {
    /// The operating system refused to start a thread.
    Io(io::Error),
    /// A worker could not be pinned to its CPU.
    Pinning(String),
    /// The user's `thread_name` panicked (its message).
    ThreadName(String),
}

/// Pins the calling worker thread to `cpu` (`ThreadPoolBuilder::pin_workers`).
fn pin_current_worker(index: usize, cpu: core_affinity::CoreId) -> Result<(), String> {
    if core_affinity::set_for_current(cpu) {
        Ok(())
    } else {
        Err(format!(
            "the platform refused to pin worker {index} to CPU {}",
            cpu.id
        ))
    }
}

/// Builds the registry and starts its workers and its timer.
pub(crate) fn start(
    mut config: Config,
) -> Result<(Arc<Registry>, Vec<JoinHandle<()>>), StartError> {
    let n = config.num_threads;
    let (locals, stealers): (Vec<LocalQueue<Task>>, Vec<StealQueue<Task>>) =
        (0..n).map(|_| deque::new_local()).unzip();
    let infos = stealers.into_iter().map(ThreadInfo::new).collect();
    let registry = Arc::new(Registry::new(
        infos,
        config.hooks,
        config.heartbeat,
        config.min_work_size,
        config.max_queued,
        crate::worker::max_admit_depth(config.stack_size),
        config.complete_on_close_classes.into_boxed_slice(),
    ));

    let mut handles = Vec::with_capacity(n + 1);
    let stack_size = config.stack_size;
    let mut spawn_one = |name: String, body: Box<dyn FnOnce() + Send>| -> io::Result<()> {
        let mut b = thread::Builder::new().name(name);
        if let Some(size) = stack_size {
            b = b.stack_size(size);
        }
        handles.push(b.spawn(body)?);
        Ok(())
    };
    let mut result = Ok(());
    // Each pinned worker reports whether its pinning took, before it runs anything.
    let (pinned_tx, pinned_rx) = mpsc::channel::<Result<(), String>>();
    for (index, local) in locals.into_iter().enumerate() {
        let name = match config.thread_name.as_mut() {
            Some(f) => match unwind::catch(|| f(index)) {
                Ok(name) => name,
                Err(p) => {
                    result = Err(StartError::ThreadName(unwind::message(&*p).to_owned()));
                    break;
                }
            },
            None => format!("ontime-worker-{index}"),
        };
        let r = registry.clone();
        let cpu = config.cpus.as_ref().map(|c| c[index % c.len()]);
        let pinned_tx = pinned_tx.clone();
        result = spawn_one(
            name,
            Box::new(move || {
                if let Some(cpu) = cpu {
                    let _ = pinned_tx.send(pin_current_worker(index, cpu));
                }
                drop(pinned_tx);
                let exit = Arc::clone(&r.exit);
                WorkerThread::main_loop(r, index, local);
                // Last: `Closed` waiters may go on once every worker is out (`close.rs`).
                exit.worker_exited();
            }),
        )
        .map_err(StartError::Io);
        if result.is_err() {
            break;
        }
    }
    drop(pinned_tx);
    if result.is_ok() && config.cpus.is_some() {
        // All `n` workers started; each sends one report (a closed channel means one
        // exited before it could).
        result = (0..n)
            .try_for_each(|_| {
                pinned_rx
                    .recv()
                    .unwrap_or_else(|_| Err("a worker exited before it was pinned".into()))
            })
            .map_err(StartError::Pinning);
    }
    if result.is_ok() {
        let r = registry.clone();
        result = spawn_one("ontime-timer".into(), Box::new(move || timer::main_loop(r)))
            .map_err(StartError::Io);
    }
    match result {
        Ok(()) => Ok((registry, handles)),
        Err(e) => {
            registry.terminate();
            for h in handles {
                let _ = h.join();
            }
            Err(e)
        }
    }
}
