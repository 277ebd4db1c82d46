//! Cancellation: queued requests never run, running ones stop at loop boundaries, the handle
//! resolves `Cancelled` once, counters and the queue bound follow, and nothing reaches the
//! panic handler.

mod common;

use common::block_worker;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ontime_core::prelude::*;
use ontime_core::{ManualClock, Request, RequestHandle, ThreadPool, ThreadPoolBuilder};

/// A pool whose panic handler counts what reaches it.
fn pool_counting_panics(threads: usize) -> (ThreadPool, Arc<AtomicUsize>) {
    let panics = Arc::new(AtomicUsize::new(0));
    let p = panics.clone();
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .panic_handler(move |_| {
            p.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    (pool, panics)
}

/// Runs `f` again and again for at most 30 seconds: work that only a cancellation should end,
/// bounded so that a broken cancellation fails the test instead of hanging it.
fn for_a_while(mut f: impl FnMut()) {
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < end {
        f();
    }
}

/// Submits `f` as a request that signals once it runs, and waits for the signal.
fn submit_started<R: Send + 'static>(
    pool: &ThreadPool,
    f: impl FnOnce(Sender<()>) -> R + Send + 'static,
) -> RequestHandle<R> {
    let (tx, rx): (Sender<()>, Receiver<()>) = channel();
    let h = pool.submit(Request::new(move || f(tx)));
    rx.recv().unwrap();
    h
}

#[test]
fn a_queued_request_resolves_cancelled_at_once_and_never_runs() {
    let clock = Arc::new(ManualClock::new());
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .clock(clock.clone())
        .build()
        .unwrap();
    let (release, busy) = block_worker(&pool);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let h = pool.submit(Request::new(move || r.store(true, Ordering::SeqCst)));
    assert_eq!(pool.stats().queued, 1);
    clock.advance(Duration::from_millis(5));
    assert!(h.cancel());
    assert!(h.cancel(), "cancelling again is harmless");
    assert!(h.is_finished(), "resolved by the cancel itself");
    assert_eq!(pool.stats().queued, 0, "uncounted at once");
    let err = h.wait().unwrap_err();
    assert!(err.is_cancelled() && !err.is_panic());
    assert_eq!(err.to_string(), "request 1 was cancelled");
    let o = err.outcome();
    assert_eq!(
        (o.start, o.finish),
        (Duration::from_millis(5), Duration::from_millis(5))
    );
    assert!(err.into_panic().is_none());
    release.send(()).unwrap();
    busy.wait().unwrap();
    // The tombstone is popped and runs nothing; the pool goes on.
    assert_eq!(pool.submit(Request::new(|| 3)).wait().unwrap().value, 3);
    assert!(!ran.load(Ordering::SeqCst));
    let s = pool.stats();
    assert_eq!((s.cancelled, s.admitted, s.completed), (1, 2, 2));
    assert_eq!(s.met + s.missed, 2);
}

#[test]
fn cancelling_a_queued_request_frees_its_place_under_max_queued() {
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .max_queued(1)
        .build()
        .unwrap();
    let (release, busy) = block_worker(&pool);
    let first = pool.try_submit(Request::new(|| 1)).expect("room for one");
    assert!(pool.try_submit(Request::new(|| 2)).is_err(), "full");
    first.cancel();
    let second = pool
        .try_submit(Request::new(|| 2))
        .expect("the cancel freed a place");
    release.send(()).unwrap();
    busy.wait().unwrap();
    assert_eq!(second.wait().unwrap().value, 2);
    assert!(first.wait().unwrap_err().is_cancelled());
}

#[test]
fn a_running_loop_stops_at_a_block_boundary_and_the_handle_resolves_cancelled() {
    let (pool, panics) = pool_counting_panics(2);
    let after_loop = Arc::new(AtomicBool::new(false));
    let blocks = Arc::new(AtomicUsize::new(0));
    let (a, b) = (after_loop.clone(), blocks.clone());
    let h = submit_started(&pool, move |started| {
        let once = std::sync::Once::new();
        for_a_while(|| {
            ontime_core::forall_chunked(0..1 << 16, 64, |_| {
                once.call_once(|| started.send(()).unwrap());
                b.fetch_add(1, Ordering::Relaxed);
                std::thread::yield_now();
            })
        });
        a.store(true, Ordering::SeqCst);
        7
    });
    assert!(h.cancel());
    let err = h.wait().unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert!(
        !after_loop.load(Ordering::SeqCst),
        "the loop unwound; code after it never ran"
    );
    assert!(blocks.load(Ordering::Relaxed) > 0);
    // The pool is intact and nothing was reported as a panic.
    assert_eq!(
        pool.install(|| (0..100u64).into_par_iter().sum::<u64>()),
        4950
    );
    assert_eq!(panics.load(Ordering::SeqCst), 0);
    let s = pool.stats();
    assert_eq!((s.cancelled, s.completed, s.met, s.missed), (1, 1, 0, 0));
}

/// Runs `work` (which must not finish by itself) as a request, cancels it once it has
/// started, and checks that it resolves `Cancelled` with nothing reported.
fn cancelled_while_running(work: impl FnOnce(&(dyn Fn() + Sync)) + Send + 'static) {
    let (pool, panics) = pool_counting_panics(2);
    let h = submit_started(&pool, move |started| {
        let once = std::sync::Once::new();
        let signal = move || once.call_once(|| started.send(()).unwrap());
        work(&signal);
    });
    h.cancel();
    assert!(h.wait().unwrap_err().is_cancelled());
    assert_eq!(panics.load(Ordering::SeqCst), 0);
    assert_eq!(pool.install(|| ontime_core::join(|| 1, || 2)), (1, 2));
}

#[test]
fn parallel_iterators_stop_when_their_request_is_cancelled() {
    cancelled_while_running(|signal| {
        for_a_while(|| {
            let s: u64 = (0..1u64 << 20)
                .into_par_iter()
                .map(|i| {
                    signal();
                    std::hint::black_box(i)
                })
                .sum();
            std::hint::black_box(s);
        })
    });
    cancelled_while_running(|signal| {
        for_a_while(|| {
            let v: Vec<u64> = (0..1u64 << 20)
                .into_par_iter()
                .map(|i| {
                    signal();
                    std::thread::yield_now();
                    i
                })
                .collect();
            std::hint::black_box(v);
        })
    });
}

#[test]
fn sorts_stop_when_their_request_is_cancelled() {
    cancelled_while_running(|signal| {
        let mut v: Vec<u64> = (0..1u64 << 16).rev().collect();
        for_a_while(|| {
            v.par_sort_unstable_by(|a, b| {
                signal();
                a.cmp(b).reverse()
            });
            v.par_sort_by_key(|&x| {
                signal();
                x
            });
        })
    });
}

#[test]
fn serial_code_sees_is_cancelled_and_can_stop_at_a_cancellation_point() {
    cancelled_while_running(|signal| {
        signal();
        let end = std::time::Instant::now() + Duration::from_secs(30);
        // Returns once told: the handle resolves `Cancelled` whatever the closure returns.
        while !ontime_core::is_cancelled() && std::time::Instant::now() < end {
            std::thread::yield_now();
        }
    });
    cancelled_while_running(|signal| {
        fn walk(depth: u32) -> u64 {
            ontime_core::cancellation_point();
            if depth == 0 {
                return 1;
            }
            let (a, b) = ontime_core::join(|| walk(depth - 1), || walk(depth - 1));
            a + b
        }
        signal();
        for_a_while(|| {
            std::hint::black_box(walk(10));
        })
    });
}

#[test]
fn a_cancel_after_the_request_finished_changes_nothing() {
    let pool = ThreadPool::new(2).unwrap();
    let mut h = pool.submit(Request::new(|| 5));
    let r = loop {
        if let Some(r) = h.try_wait() {
            break r;
        }
        std::thread::yield_now();
    };
    assert_eq!(r.unwrap().value, 5);
    assert!(!h.cancel(), "too late");
    let h = pool.submit(Request::new(|| 6));
    while !h.is_finished() {
        std::thread::yield_now();
    }
    assert!(!h.cancel());
    assert_eq!(h.wait().unwrap().value, 6);
    assert_eq!(pool.stats().cancelled, 0);
}

#[test]
fn a_real_panic_in_a_cancelled_request_is_still_reported_as_a_panic() {
    let pool = ThreadPool::new(2).unwrap();
    let h = submit_started(&pool, |started| {
        started.send(()).unwrap();
        for_a_while(|| {
            if ontime_core::is_cancelled() {
                panic!("cleanup failed");
            }
        });
    });
    h.cancel();
    let err = h.wait().unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.to_string(), "request 0 panicked: cleanup failed");
}

#[test]
fn cancel_on_drop_stops_a_running_request_whose_handle_is_dropped() {
    let (pool, panics) = pool_counting_panics(2);
    let after_loop = Arc::new(AtomicBool::new(false));
    let a = after_loop.clone();
    let (tx, rx) = channel();
    let h = pool.submit(
        Request::new(move || {
            let once = std::sync::Once::new();
            for_a_while(|| {
                ontime_core::forall(0..1 << 16, |_| {
                    once.call_once(|| tx.send(()).unwrap());
                    std::thread::yield_now();
                })
            });
            a.store(true, Ordering::SeqCst);
        })
        .cancel_on_drop(),
    );
    rx.recv().unwrap();
    drop(h);
    // Nothing to wait on: watch the pool's counters until the request has ended.
    while pool.stats().completed == 0 {
        std::thread::yield_now();
    }
    assert_eq!(pool.stats().cancelled, 1);
    assert!(!after_loop.load(Ordering::SeqCst));
    assert_eq!(panics.load(Ordering::SeqCst), 0);
}

#[test]
fn a_dropped_handle_without_cancel_on_drop_lets_the_request_finish() {
    let pool = ThreadPool::new(1).unwrap();
    let (release, busy) = block_worker(&pool);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    drop(pool.submit(Request::new(move || r.store(true, Ordering::SeqCst))));
    release.send(()).unwrap();
    busy.wait().unwrap();
    pool.install(|| {});
    while pool.stats().completed < 2 {
        std::thread::yield_now();
    }
    assert!(ran.load(Ordering::SeqCst));
    assert_eq!(pool.stats().cancelled, 0);
}

#[test]
fn a_spawned_job_of_a_cancelled_request_stops_quietly() {
    let (pool, panics) = pool_counting_panics(2);
    let spawned_done = Arc::new(AtomicUsize::new(0));
    let d = spawned_done.clone();
    let h = submit_started(&pool, move |started| {
        // Fire-and-forget work of the request, still looping when the request is cancelled.
        ontime_core::spawn(move || {
            for_a_while(|| ontime_core::forall(0..1 << 16, |_| std::thread::yield_now()));
            d.fetch_add(1, Ordering::SeqCst);
        });
        started.send(()).unwrap();
        for_a_while(ontime_core::cancellation_point);
    });
    h.cancel();
    assert!(h.wait().unwrap_err().is_cancelled());
    drop(pool); // drains every job, the spawned one included
    assert_eq!(spawned_done.load(Ordering::SeqCst), 0, "its loop unwound");
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "a cancellation is not a panic"
    );
}

struct Flag(AtomicUsize);
impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn an_awaiting_task_is_woken_by_a_cancel() {
    let pool = ThreadPool::new(1).unwrap();
    let (release, busy) = block_worker(&pool);
    let h = pool.submit(Request::new(|| 1));
    let flag = Arc::new(Flag(AtomicUsize::new(0)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(h);
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    // `cancel` needs the handle; the pinned future is the handle.
    assert!(fut.as_ref().get_ref().cancel());
    assert_eq!(flag.0.load(Ordering::SeqCst), 1, "woken by the cancel");
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(r) => assert!(r.unwrap_err().is_cancelled()),
        Poll::Pending => panic!("resolved, so ready"),
    }
    release.send(()).unwrap();
    busy.wait().unwrap();
}

#[test]
fn cancelling_from_many_threads_resolves_once() {
    let pool = ThreadPool::new(2).unwrap();
    for _ in 0..50 {
        let h = Arc::new(pool.submit(Request::new(|| {
            ontime_core::forall(0..10_000, |i| {
                std::hint::black_box(i);
            });
            1
        })));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let h = h.clone();
                std::thread::spawn(move || h.cancel())
            })
            .collect();
        let said: Vec<bool> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let h = Arc::into_inner(h).unwrap();
        match h.wait() {
            Ok(f) => {
                assert_eq!(f.value, 1);
                assert!(
                    said.iter().all(|&c| !c),
                    "a cancel claimed success: {said:?}"
                );
            }
            Err(e) => {
                assert!(e.is_cancelled());
                assert!(said.iter().any(|&c| c));
            }
        }
    }
    let s = pool.stats();
    assert_eq!(s.queued, 0);
    assert_eq!(s.met + s.missed + s.cancelled, 50);
}
