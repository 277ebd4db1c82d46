//! Nested joins, scopes that borrow, install from outside and inside.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use ontime_core::{join, scope, ThreadPool, ThreadPoolBuilder};

fn pool(n: usize) -> ThreadPool {
    ThreadPoolBuilder::new().num_threads(n).build().unwrap()
}

use common::fib;

#[test]
fn nested_join_computes_fib() {
    for threads in [1, 2, 4] {
        let p = pool(threads);
        assert_eq!(p.install(|| fib(24)), 46368, "threads = {threads}");
    }
}

#[test]
fn join_outside_any_pool_uses_global_pool() {
    assert_eq!(fib(18), 2584);
    let (a, b) = join(ontime_core::current_thread_index, || 7);
    assert!(a.is_some());
    assert_eq!(b, 7);
}

#[test]
fn join_borrows_mutably_from_the_stack() {
    let p = pool(2);
    let mut v = vec![0u64; 1 << 16];
    p.install(|| common::fill(&mut v, 0, 64));
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
}

#[test]
fn scope_spawns_borrow_and_nest() {
    let p = pool(2);
    let counter = AtomicUsize::new(0);
    let mut slots = vec![0usize; 100];
    p.scope(|s| {
        for (i, slot) in slots.iter_mut().enumerate() {
            let counter = &counter;
            s.spawn(move |s| {
                *slot = i * 2;
                counter.fetch_add(1, Ordering::Relaxed);
                s.spawn(move |_| {
                    counter.fetch_add(1, Ordering::Relaxed);
                });
            });
        }
    });
    assert_eq!(counter.load(Ordering::Relaxed), 200);
    assert!(slots.iter().enumerate().all(|(i, &x)| x == 2 * i));
}

#[test]
fn scope_returns_body_value_and_runs_outside_pool() {
    let x = scope(|s| {
        s.spawn(|_| ());
        41 + 1
    });
    assert_eq!(x, 42);
}

#[test]
fn join_inside_scope_inside_join() {
    let p = pool(3);
    let total = AtomicUsize::new(0);
    p.install(|| {
        join(
            || {
                scope(|s| {
                    for _ in 0..8 {
                        s.spawn(|_| {
                            let (a, b) = join(|| fib(12), || fib(11));
                            total.fetch_add((a + b) as usize, Ordering::Relaxed);
                        });
                    }
                })
            },
            || total.fetch_add(1, Ordering::Relaxed),
        )
    });
    assert_eq!(total.load(Ordering::Relaxed), 8 * 233 + 1);
}

#[test]
fn install_from_inside_runs_inline_and_nested_pools_work() {
    let outer = pool(2);
    let inner = pool(2);
    let r = outer.install(|| {
        let me = outer.current_thread_index();
        assert!(me.is_some());
        // Same pool: runs inline on this worker.
        assert_eq!(outer.install(|| outer.current_thread_index()), me);
        // Another pool: runs there.
        inner.install(|| {
            assert!(inner.current_thread_index().is_some());
            assert!(outer.current_thread_index().is_none());
            fib(15)
        })
    });
    assert_eq!(r, 610);
}

#[test]
fn many_external_threads_install_concurrently() {
    let p = std::sync::Arc::new(pool(2));
    let handles: Vec<_> = (0..8)
        .map(|k| {
            let p = p.clone();
            std::thread::spawn(move || (0..50).map(|i| p.install(|| fib(10) + i + k)).sum::<u64>())
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let expected: u64 = (0..8u64)
        .map(|k| (0..50u64).map(|i| 55 + i + k).sum::<u64>())
        .sum();
    assert_eq!(total, expected);
}

#[test]
fn thread_names_and_handlers_run() {
    let started = std::sync::Arc::new(AtomicUsize::new(0));
    let exited = std::sync::Arc::new(AtomicUsize::new(0));
    let (s2, e2) = (started.clone(), exited.clone());
    let p = ThreadPoolBuilder::new()
        .num_threads(3)
        .thread_name(|i| format!("tn-{i}"))
        .stack_size(1 << 20)
        .start_handler(move |_| {
            s2.fetch_add(1, Ordering::SeqCst);
        })
        .exit_handler(move |_| {
            e2.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let name = p
        .install(|| std::thread::current().name().map(str::to_owned))
        .unwrap();
    assert!(name.starts_with("tn-"), "{name}");
    drop(p);
    assert_eq!(started.load(Ordering::SeqCst), 3);
    assert_eq!(exited.load(Ordering::SeqCst), 3);
}

#[test]
fn stats_count_promotions_and_steals_under_load() {
    let p = pool(2);
    for _ in 0..20 {
        p.install(|| fib(25));
    }
    let s = p.stats();
    assert!(s.injected >= 20);
    // Twenty fib(25) runs last long enough for several heartbeats.
    assert!(s.promotions > 0, "{s:?}");
}
