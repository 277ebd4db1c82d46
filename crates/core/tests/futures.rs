//! Futures as requests: polled on workers, re-queued as follow-ups when woken, never polled
//! twice at once, cancelled or resolved when the pool is gone, panics contained.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

mod common;

use common::block_worker;
use ontime_core::{
    AdmissionQueue, FifoQueue, Queued, Request, StealPolicy, ThreadPool, ThreadPoolBuilder,
};

/// A one-shot value a test sets from outside; the future waits for it.
#[derive(Clone, Default)]
struct Gate(Arc<Mutex<(Option<u64>, Option<Waker>)>>);

impl Gate {
    fn open(&self, v: u64) {
        let w = {
            let mut g = self.0.lock().unwrap();
            g.0 = Some(v);
            g.1.take()
        };
        if let Some(w) = w {
            w.wake();
        }
    }
    /// Drops the stored waker without waking it.
    fn forget_waker(&self) {
        drop(self.0.lock().unwrap().1.take());
    }
    fn has_waker(&self) -> bool {
        self.0.lock().unwrap().1.is_some()
    }
}

impl Future for Gate {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let mut g = self.0.lock().unwrap();
        match g.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                g.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Spins until `cond` holds.
fn until(cond: impl Fn() -> bool) {
    while !cond() {
        std::thread::yield_now();
    }
}

#[test]
fn a_ready_future_resolves_with_its_value() {
    let pool = ThreadPool::new(2).unwrap();
    let h = pool.spawn_future(async { 7 });
    assert_eq!(h.wait().unwrap().value, 7);
    let s = pool.stats();
    assert_eq!((s.submitted, s.admitted, s.completed), (1, 1, 1));
}

#[test]
fn a_pending_future_rests_and_a_wake_from_outside_polls_it_again() {
    let pool = ThreadPool::new(2).unwrap();
    let gate = Gate::default();
    let g = gate.clone();
    let polled_on_worker = Arc::new(AtomicBool::new(true));
    let p = polled_on_worker.clone();
    let h = pool.submit_future(
        Request::from_future(async move {
            let v = g.await;
            p.fetch_and(
                ontime_core::current_thread_index().is_some(),
                Ordering::SeqCst,
            );
            // A loop inside poll runs on the pool, for the request.
            let sum = AtomicUsize::new(0);
            ontime_core::forall(0..1000, |i| {
                sum.fetch_add(i, Ordering::Relaxed);
            });
            v + sum.into_inner() as u64
        })
        .target(Duration::from_secs(60)),
    );
    until(|| gate.has_waker());
    assert!(!h.is_finished());
    gate.open(1);
    let done = h.wait().unwrap();
    assert_eq!(done.value, 1 + 499_500);
    assert!(polled_on_worker.load(Ordering::SeqCst));
    let s = pool.stats();
    assert_eq!((s.submitted, s.admitted, s.completed, s.met), (1, 1, 1, 1));
}

/// A future that wakes itself `n` times, checking that no two polls overlap.
struct SelfWaking {
    left: usize,
    polls: Arc<AtomicUsize>,
    busy: Arc<AtomicBool>,
}

impl Future for SelfWaking {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        assert!(
            !self.busy.swap(true, Ordering::SeqCst),
            "polled twice at once"
        );
        self.polls.fetch_add(1, Ordering::SeqCst);
        // Woken while still being polled, several times: each counts as one more poll.
        let r = if self.left == 0 {
            Poll::Ready(self.polls.load(Ordering::SeqCst))
        } else {
            self.left -= 1;
            cx.waker().wake_by_ref();
            cx.waker().wake_by_ref();
            Poll::Pending
        };
        self.busy.store(false, Ordering::SeqCst);
        r
    }
}

#[test]
fn wakes_during_a_poll_give_exactly_one_more_poll_and_polls_never_overlap() {
    let pool = ThreadPool::new(2).unwrap();
    let handles: Vec<_> = (0..20)
        .map(|_| {
            pool.spawn_future(SelfWaking {
                left: 50,
                polls: Arc::new(AtomicUsize::new(0)),
                busy: Arc::new(AtomicBool::new(false)),
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.wait().unwrap().value, 51);
    }
}

/// A FIFO queue that records what it is given: (id, is_root, is_followup).
#[derive(Debug, Default)]
struct Recording {
    seen: Arc<Mutex<Vec<(u64, bool, bool)>>>,
}

#[derive(Debug)]
struct RecordingQueue {
    inner: FifoQueue,
    seen: Arc<Mutex<Vec<(u64, bool, bool)>>>,
}

impl AdmissionQueue for RecordingQueue {
    fn push(&self, item: Queued) {
        self.seen
            .lock()
            .unwrap()
            .push((item.id(), item.is_root(), item.is_followup()));
        self.inner.push(item)
    }
    fn pop(&self, worker: usize, now: Duration) -> Option<Queued> {
        self.inner.pop(worker, now)
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
}

impl StealPolicy for Recording {
    fn name(&self) -> &str {
        "recording"
    }
    fn admission_queue(&self, _: usize) -> Box<dyn AdmissionQueue> {
        Box::new(RecordingQueue {
            inner: FifoQueue::new(),
            seen: self.seen.clone(),
        })
    }
}

#[test]
fn a_woken_future_comes_back_as_a_followup_the_policy_can_see() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .policy(Recording { seen: seen.clone() })
        .build()
        .unwrap();
    let gate = Gate::default();
    let g = gate.clone();
    let h = pool.spawn_future(g);
    until(|| gate.has_waker());
    gate.open(3);
    assert_eq!(h.wait().unwrap().value, 3);
    assert_eq!(*seen.lock().unwrap(), [(0, true, false), (0, false, true)]);
}

#[test]
fn a_panicking_poll_resolves_as_a_panic_and_the_pool_goes_on() {
    let pool = ThreadPool::new(1).unwrap();
    let gate = Gate::default();
    let g = gate.clone();
    let h = pool.spawn_future(async move {
        let v = g.await;
        assert!(v > 10, "too small: {v}");
        v
    });
    until(|| gate.has_waker());
    gate.open(2);
    let err = h.wait().unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("too small: 2"), "{err}");
    assert_eq!(pool.spawn_future(async { 1 }).wait().unwrap().value, 1);
}

/// Sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn cancelling_a_resting_future_drops_it_and_resolves_cancelled() {
    let pool = ThreadPool::new(2).unwrap();
    let gate = Gate::default();
    let g = gate.clone();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(dropped.clone());
    let h = pool.spawn_future(async move {
        let _guard = guard;
        g.await
    });
    until(|| gate.has_waker());
    assert!(h.cancel());
    until(|| dropped.load(Ordering::SeqCst));
    assert!(h.wait().unwrap_err().is_cancelled());
    gate.open(1); // a late wake finds it done
    assert_eq!(pool.stats().cancelled, 1);
}

#[test]
fn a_future_whose_waker_is_dropped_resolves_cancelled() {
    let pool = ThreadPool::new(1).unwrap();
    let gate = Gate::default();
    let g = gate.clone();
    let mut h = pool.spawn_future(g);
    until(|| gate.has_waker());
    // Only the handle keeps the task now (to wake it on cancel); dropping the waker alone
    // does not end it ...
    gate.forget_waker();
    assert!(h.try_wait().is_none());
    // ... but dropping the handle too leaves nobody to poll it: it resolves (unread). The
    // worker that polled it may hold its own reference for a moment after the poll returned
    // (the waker was stored during the poll), so the last drop, and the resolution, can come
    // from there a little later. A bound on the wait, not a timing assertion.
    drop(h);
    drop(gate);
    let t = std::time::Instant::now();
    while pool.stats().cancelled == 0 && t.elapsed() < Duration::from_secs(20) {
        std::thread::yield_now();
    }
    assert_eq!(pool.stats().cancelled, 1);
}

#[test]
fn a_future_woken_after_its_pool_is_gone_resolves_cancelled() {
    let pool = ThreadPool::new(1).unwrap();
    let gate = Gate::default();
    let g = gate.clone();
    let h = pool.spawn_future(g);
    until(|| gate.has_waker());
    drop(pool);
    gate.open(5);
    assert!(h.wait().unwrap_err().is_cancelled());
}

#[test]
fn a_cancelled_future_request_stops_its_loop_inside_poll() {
    let pool = ThreadPool::new(2).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let h = pool.spawn_future(async move {
        let _ = tx.lock().unwrap().send(());
        let end = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < end {
            ontime_core::forall(0..1 << 12, |_| std::thread::yield_now());
        }
    });
    rx.recv().unwrap();
    assert!(h.cancel());
    assert!(h.wait().unwrap_err().is_cancelled());
}

#[test]
fn a_late_future_request_that_asked_is_rejected_unrun() {
    let clock = Arc::new(ontime_core::ManualClock::new());
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .clock(clock.clone())
        .build()
        .unwrap();
    let (tx, busy) = block_worker(&pool);
    let polled = Arc::new(AtomicBool::new(false));
    let p = polled.clone();
    let h = pool.submit_future(
        Request::from_future(async move {
            p.store(true, Ordering::SeqCst);
        })
        .target(Duration::from_millis(1))
        .reject_when_late(),
    );
    clock.set(Duration::from_millis(5));
    tx.send(()).unwrap();
    busy.wait().unwrap();
    assert!(h.wait().unwrap_err().is_rejected());
    assert!(!polled.load(Ordering::SeqCst), "never polled");
    assert_eq!(pool.stats().rejected, 1);
}

#[test]
fn closing_with_cancel_resolves_a_future_request_not_yet_polled() {
    let pool = ThreadPool::new(1).unwrap();
    let (tx, busy) = block_worker(&pool);
    let h = pool.spawn_future(async { 1 });
    let closed = pool.close(ontime_core::CloseMode::Cancel);
    tx.send(()).unwrap();
    closed.wait();
    busy.wait().unwrap();
    assert!(h.wait().unwrap_err().is_cancelled());
}
