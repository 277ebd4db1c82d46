//! Builder errors, drop with work in flight, idle behaviour.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ontime_core::{BuildError, ThreadPoolBuilder};

#[test]
fn absurd_settings_are_errors() {
    let e = ThreadPoolBuilder::new()
        .num_threads(1_000_000)
        .build()
        .unwrap_err();
    assert!(matches!(e, BuildError::TooManyThreads(1_000_000)));
    assert!(e.to_string().contains("num_threads"));

    let e = ThreadPoolBuilder::new()
        .stack_size(100)
        .build()
        .unwrap_err();
    assert!(matches!(e, BuildError::StackTooSmall(100)));

    let e = ThreadPoolBuilder::new()
        .heartbeat(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(e, BuildError::HeartbeatOutOfRange(_)));
    let e = ThreadPoolBuilder::new()
        .heartbeat(Duration::from_secs(5))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("heartbeat"));
}

#[test]
fn zero_threads_means_available_parallelism() {
    let p = ThreadPoolBuilder::new().num_threads(0).build().unwrap();
    let n = std::thread::available_parallelism().unwrap().get();
    assert_eq!(p.current_num_threads(), n);
}

#[test]
fn drop_runs_every_queued_spawn() {
    for threads in [1, 2, 4] {
        let count = Arc::new(AtomicUsize::new(0));
        let p = ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for _ in 0..1000 {
            let c = count.clone();
            p.spawn(move || {
                // Spawned jobs may spawn more while the pool shuts down.
                let c2 = c.clone();
                ontime_core::spawn(move || {
                    c2.fetch_add(1, Ordering::Relaxed);
                });
                c.fetch_add(1, Ordering::Relaxed);
            });
        }
        drop(p);
        assert_eq!(count.load(Ordering::Relaxed), 2000, "threads = {threads}");
    }
}

#[test]
fn shutdown_then_drop_is_fine() {
    let p = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let c = Arc::new(AtomicUsize::new(0));
    let c2 = c.clone();
    p.spawn(move || {
        c2.fetch_add(1, Ordering::SeqCst);
    });
    p.shutdown();
    assert_eq!(c.load(Ordering::SeqCst), 1);
    drop(p);
}

#[test]
fn pool_dropped_from_its_own_worker_does_not_deadlock() {
    let p = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let p = Arc::new(p);
    let p2 = p.clone();
    drop(p);
    // The last handle is dropped on a worker: it must not try to join itself.
    p2.clone().spawn(move || {
        drop(p2);
        tx.send(()).unwrap();
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("worker finished");
}

#[test]
fn idle_pool_wakes_for_new_work() {
    let p = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for _ in 0..5 {
        // Let every worker fall asleep, then make sure work still gets done.
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(p.install(|| 5), 5);
        let (tx, rx) = std::sync::mpsc::channel();
        p.spawn(move || tx.send(()).unwrap());
        rx.recv_timeout(Duration::from_secs(30))
            .expect("spawned job ran");
    }
}

/// The CPUs the calling thread may run on, as the kernel lists them (`0-1`, `3`, ...).
#[cfg(target_os = "linux")]
fn allowed_cpus_of_this_thread() -> String {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("procfs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list line")
        .trim()
        .to_string()
}

/// Builds a pool of `n` workers from `builder`; returns it with each worker's CPU mask as the
/// worker saw it when it started, by worker index.
#[cfg(target_os = "linux")]
fn masks_at_start(
    builder: ThreadPoolBuilder,
    n: usize,
) -> (ontime_core::ThreadPool, Vec<(usize, String)>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let pool = builder
        .num_threads(n)
        .start_handler(move |i| {
            let _ = tx.lock().unwrap().send((i, allowed_cpus_of_this_thread()));
        })
        .build()
        .expect("pinning is supported on Linux");
    let mut masks: Vec<(usize, String)> = (0..n).map(|_| rx.recv().unwrap()).collect();
    masks.sort();
    (pool, masks)
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_workers_each_run_on_one_cpu() {
    let (pool, masks) = masks_at_start(ThreadPoolBuilder::new().pin_workers(true), 2);
    for (i, mask) in &masks {
        assert!(
            mask.parse::<usize>().is_ok(),
            "worker {i} may run on {mask:?}, not on one CPU"
        );
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus >= 2 {
        assert_ne!(masks[0].1, masks[1].1, "two workers pinned to one CPU");
    }
    // Pinned workers still share work.
    let sum = AtomicUsize::new(0);
    pool.install(|| ontime_core::forall(0..10_000, |i| _ = sum.fetch_add(i, Ordering::Relaxed)));
    assert_eq!(sum.into_inner(), 9_999 * 10_000 / 2);
}

#[cfg(target_os = "linux")]
#[test]
fn workers_are_not_pinned_by_default() {
    let (_pool, masks) = masks_at_start(ThreadPoolBuilder::new(), 1);
    assert_eq!(masks[0].1, allowed_cpus_of_this_thread());
}
