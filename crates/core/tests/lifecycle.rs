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
