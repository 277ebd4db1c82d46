//! Panics in every position: re-raised at the owner, workers survive, the pool still works.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ontime_core::{join, ThreadPool, ThreadPoolBuilder};

fn pool(n: usize) -> ThreadPool {
    ThreadPoolBuilder::new().num_threads(n).build().unwrap()
}

use common::fib;

fn msg(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn assert_pool_works(p: &ThreadPool) {
    assert_eq!(p.install(|| fib(20)), 6765);
}

#[test]
fn panic_in_first_half_of_join_propagates_after_second_ran() {
    let p = pool(2);
    let ran_b = AtomicUsize::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.install(|| join(|| panic!("boom-a"), || ran_b.fetch_add(1, Ordering::SeqCst)))
    }));
    assert_eq!(msg(r.unwrap_err()), "boom-a");
    assert_eq!(ran_b.load(Ordering::SeqCst), 1);
    assert_pool_works(&p);
}

#[test]
fn panic_in_second_half_of_join_propagates() {
    let p = pool(2);
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.install(|| join(|| 1, || -> u32 { panic!("boom-b") }))
    }));
    assert_eq!(msg(r.unwrap_err()), "boom-b");
    assert_pool_works(&p);
}

#[test]
fn panic_deep_in_recursion_with_steals() {
    let p = pool(2);
    fn rec(n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        if n == 3 {
            // Burn a little time so stealing happens around the panic.
            let _ = fib(12);
            panic!("deep");
        }
        let (a, b) = join(|| rec(n - 1), || fib(16));
        a + b
    }
    for _ in 0..20 {
        let r = catch_unwind(AssertUnwindSafe(|| p.install(|| rec(12))));
        assert_eq!(msg(r.unwrap_err()), "deep");
    }
    assert_pool_works(&p);
}

#[test]
fn both_halves_panic_first_wins() {
    let p = pool(2);
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.install(|| join(|| -> u8 { panic!("first") }, || -> u8 { panic!("second") }))
    }));
    assert_eq!(msg(r.unwrap_err()), "first");
    assert_pool_works(&p);
}

#[test]
fn panic_in_scope_job_waits_for_siblings_then_propagates() {
    let p = pool(2);
    let done = AtomicUsize::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.scope(|s| {
            for i in 0..16 {
                let done = &done;
                s.spawn(move |_| {
                    if i == 5 {
                        panic!("job-5");
                    }
                    let _ = fib(12);
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
        })
    }));
    assert_eq!(msg(r.unwrap_err()), "job-5");
    // Every sibling finished before the scope returned.
    assert_eq!(done.load(Ordering::SeqCst), 15);
    assert_pool_works(&p);
}

#[test]
fn panic_in_scope_body_waits_for_spawned_jobs() {
    let p = pool(2);
    let done = AtomicUsize::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.scope(|s| {
            for _ in 0..8 {
                s.spawn(|_| {
                    let _ = fib(14);
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
            panic!("body");
        })
    }));
    assert_eq!(msg(r.unwrap_err()), "body");
    assert_eq!(done.load(Ordering::SeqCst), 8);
    assert_pool_works(&p);
}

#[test]
fn spawn_panic_goes_to_handler_and_worker_survives() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let p = ThreadPoolBuilder::new()
        .num_threads(2)
        .panic_handler(move |p| seen2.lock().unwrap().push(msg(p)))
        .build()
        .unwrap();
    for i in 0..10 {
        p.spawn(move || panic!("spawned-{i}"));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    p.spawn(move || tx.send(fib(15)).unwrap());
    assert_eq!(rx.recv().unwrap(), 610);
    drop(p); // joins: every queued job has run
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen.len(), 10);
    assert!(seen.iter().all(|m| m.starts_with("spawned-")));
}

#[test]
fn default_panic_handler_does_not_abort() {
    let p = pool(1);
    p.spawn(|| panic!("reported, not fatal"));
    assert_pool_works(&p);
}

#[test]
fn panicking_handlers_do_not_kill_workers() {
    let p = ThreadPoolBuilder::new()
        .num_threads(2)
        .start_handler(|i| {
            if i == 0 {
                panic!("start handler")
            }
        })
        .panic_handler(|_| panic!("handler panics too"))
        .build()
        .unwrap();
    p.spawn(|| panic!("x"));
    assert_pool_works(&p);
    assert_eq!(p.install(|| 1), 1);
}

#[test]
fn panic_inside_forall_propagates() {
    let p = pool(2);
    let r = catch_unwind(AssertUnwindSafe(|| {
        p.forall(0..10_000, |i| {
            if i == 7777 {
                panic!("index 7777")
            }
        })
    }));
    assert_eq!(msg(r.unwrap_err()), "index 7777");
    assert_pool_works(&p);
}
