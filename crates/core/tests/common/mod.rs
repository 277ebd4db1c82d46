//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod inputs;

use ontime_core::join;

/// Fills `s` with `base, base + 1, ...` by splitting it with `join` down to `leaf` elements:
/// each half is a mutable borrow of the caller's buffer, on whichever worker runs it.
pub fn fill(s: &mut [u64], base: u64, leaf: usize) {
    if s.len() <= leaf {
        for (i, x) in s.iter_mut().enumerate() {
            *x = base + i as u64;
        }
        return;
    }
    let mid = s.len() / 2;
    let (l, r) = s.split_at_mut(mid);
    join(|| fill(l, base, leaf), || fill(r, base + mid as u64, leaf));
}

/// Fibonacci with a `join` per call: the fork-join smoke test.
pub fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = join(|| fib(n - 1), || fib(n - 2));
    a + b
}

/// Occupies a pool's only worker (one request blocked on a channel) until the returned sender
/// is used; the handle resolves once it is.
pub fn block_worker(
    pool: &ontime_core::ThreadPool,
) -> (std::sync::mpsc::Sender<()>, ontime_core::RequestHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = std::sync::mpsc::channel();
    let h = pool.submit(ontime_core::Request::new(move || {
        started_tx.send(()).unwrap();
        rx.recv().unwrap()
    }));
    started.recv().unwrap();
    (tx, h)
}
