//! A global allocator that counts allocations (and reallocations), for the allocation tests.
//! A test binary installs it with `#[global_allocator] static GLOBAL: Counting = Counting;`.
//!
//! Only threads that called [`track_this_thread`] are counted: the test harness's own threads
//! allocate now and then while a test runs (about 4 allocations, in about half the runs), and
//! those are not the code under test.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to the system allocator and counts.
pub struct Counting;

/// Allocations and reallocations so far by the tracked threads of this test binary.
pub static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const`-initialised: reading it never allocates, so the allocator may use it.
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

/// Counts this thread's allocations from now on (the test thread, and pool workers through a
/// start handler).
pub fn track_this_thread() {
    TRACKED.with(|t| t.set(true));
}

fn count() {
    if TRACKED.try_with(Cell::get).unwrap_or(false) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `graph` 20 times sequentially, then 20 times on a 2-worker pool from inside it (a
/// call from outside goes through the pool's injector, whose blocks are allocated as it
/// fills), after warming each up; asserts that each run executed `executed` tasks and that
/// no tracked thread allocated, and calls `check` after each of the two series (outside the
/// counted runs). The calling thread is tracked from here on.
pub fn assert_reruns_allocate_nothing(
    graph: &mut ontime_dataflow::multiple_uses::Graph,
    executed: u64,
    check: impl Fn(),
) {
    track_this_thread();
    // Warm up (first-use lazy state anywhere in std).
    graph.run_sequential().unwrap();
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..20 {
        assert_eq!(graph.run_sequential().unwrap().executed, executed);
    }
    let seq = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(
        seq, 0,
        "sequential: {seq} allocations over 20 runs of {executed} node executions"
    );
    check();
    let pool = ontime_core::ThreadPoolBuilder::new()
        .num_threads(2)
        .start_handler(|_| track_this_thread())
        .build()
        .expect("pool");
    pool.install(|| {
        // Workers' deques are warm after the first runs.
        for _ in 0..3 {
            graph.run_parallel(&pool).unwrap();
        }
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..20 {
            assert_eq!(graph.run_parallel(&pool).unwrap().executed, executed);
        }
        let par = ALLOCS.load(Ordering::Relaxed) - before;
        assert_eq!(
            par, 0,
            "parallel: {par} allocations over 20 runs of {executed} node executions"
        );
    });
    check();
}
