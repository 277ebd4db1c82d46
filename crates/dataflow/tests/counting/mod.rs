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
