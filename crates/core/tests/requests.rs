//! Requests end to end: values, outcomes, panics, counters, context on every fork, shutdown.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;

use ontime_core::{ManualClock, Request, ThreadPool, ThreadPoolBuilder};

#[test]
fn many_requests_with_nested_parallelism_all_complete_with_outcomes() {
    let pool = ThreadPool::new(2).unwrap();
    let handles: Vec<_> = (0..200u64)
        .map(|i| {
            pool.submit(
                Request::new(move || {
                    let sum = AtomicU64::new(0);
                    ontime_core::forall(0..(i as usize * 10), |j| {
                        sum.fetch_add(j as u64, Ordering::Relaxed);
                    });
                    let (a, b) = ontime_core::join(|| i, || i * 2);
                    sum.into_inner() + a + b
                })
                .target(Duration::from_secs(60)),
            )
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let n = i as u64 * 10;
        let done = h.wait().unwrap();
        assert_eq!(done.value, n * n.saturating_sub(1) / 2 + 3 * i as u64);
        let o = done.outcome;
        assert!(o.arrival <= o.start && o.start <= o.finish);
        assert!(o.met());
    }
    let s = pool.stats();
    assert_eq!((s.submitted, s.admitted, s.completed), (200, 200, 200));
    assert_eq!(s.met + s.missed, 200);
}

#[test]
fn a_panicking_request_returns_an_error_and_the_pool_keeps_serving() {
    let pool = ThreadPool::new(2).unwrap();
    for _ in 0..10 {
        let err = pool
            .submit(Request::new(|| {
                ontime_core::forall(0..1000, |i| {
                    if i == 777 {
                        panic!("bad index {i}");
                    }
                })
            }))
            .wait()
            .unwrap_err();
        assert!(err.to_string().contains("bad index 777"), "{err}");
        assert_eq!(pool.submit(Request::new(|| 5)).wait().unwrap().value, 5);
    }
    assert_eq!(pool.stats().completed, 20);
}

#[test]
fn outcomes_use_the_pool_clock_and_set_arrivals() {
    let clock = Arc::new(ManualClock::new());
    clock.set(Duration::from_millis(50));
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .clock(clock.clone())
        .build()
        .unwrap();
    let done = pool
        .submit(
            Request::new(|| ())
                .arrival(Duration::from_millis(10))
                .target(Duration::from_millis(30)),
        )
        .wait()
        .unwrap();
    let o = done.outcome;
    assert_eq!((o.arrival, o.start, o.finish), (10, 50, 50).map_ms());
    assert_eq!(o.latency(), Duration::from_millis(40));
    assert!(!o.met());
    assert_eq!(pool.stats().missed, 1);
}

trait MapMs {
    fn map_ms(self) -> (Duration, Duration, Duration);
}
impl MapMs for (u64, u64, u64) {
    fn map_ms(self) -> (Duration, Duration, Duration) {
        let ms = Duration::from_millis;
        (ms(self.0), ms(self.1), ms(self.2))
    }
}

#[test]
fn spawned_work_of_a_request_outlives_its_root_and_still_runs() {
    let pool = ThreadPool::new(2).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    pool.submit(Request::new(move || {
        for i in 0..100 {
            let tx = tx.clone();
            ontime_core::spawn(move || tx.send(i).unwrap());
        }
    }))
    .wait()
    .unwrap();
    let mut got: Vec<i32> = rx.iter().take(100).collect();
    got.sort_unstable();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn dropping_the_pool_runs_every_queued_request_and_late_submits_are_refused() {
    let pool = ThreadPool::new(1).unwrap();
    let handles: Vec<_> = (0..50)
        .map(|i| pool.submit(Request::new(move || i)))
        .collect();
    pool.shutdown();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.wait().unwrap().value, i);
    }
    let late = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.submit(Request::new(|| 99))
    }));
    let msg = late.expect_err("a shut-down pool refuses new requests");
    let msg = ontime_core::panic_message(&*msg).to_string();
    assert!(msg.contains(&format!("pool #{}", pool.id())), "{msg}");
}

#[test]
fn waiting_on_a_handle_inside_its_own_pool_runs_the_request_there() {
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let p = pool.clone();
    let v = pool.install(move || {
        let h = p.submit(Request::new(|| ontime_core::join(|| 20, || 22)));
        h.wait().unwrap().value
    });
    assert_eq!(v, (20, 22));
}

#[test]
fn a_flood_of_requests_on_small_stacks_does_not_nest_without_bound() {
    // Workers waiting inside a request (for a stolen half of its loop) admit queued requests
    // nested on their stack; with everything queued at once that nesting must stay bounded.
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .stack_size(128 * 1024)
        .build()
        .unwrap();
    let handles: Vec<_> = (0..3000u64)
        .map(|i| {
            pool.submit(Request::new(move || {
                let sum = AtomicU64::new(0);
                ontime_core::forall_chunked(0..400, 1, |r| {
                    // Some work per item, so a stolen half keeps its thief busy while the
                    // owner waits (and admits).
                    let mut x = r.start as u64 | 1;
                    for _ in 0..200 {
                        x = std::hint::black_box(x ^ (x << 7) ^ (x >> 9));
                    }
                    std::hint::black_box(x);
                    sum.fetch_add(r.start as u64 ^ i, Ordering::Relaxed);
                });
                sum.into_inner()
            }))
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let expect: u64 = (0..400u64).map(|j| j ^ i as u64).sum();
        assert_eq!(h.wait().unwrap().value, expect);
    }
}

/// Counts the reviews the timer thread makes.
#[derive(Debug, Default)]
struct TimerReviews(Arc<AtomicU64>);

impl ontime_core::StealPolicy for TimerReviews {
    fn name(&self) -> &str {
        "timer-reviews"
    }
    fn reviews_running(&self) -> bool {
        true
    }
    fn review(&self, _: &ontime_core::RequestView) -> ontime_core::RequestAction {
        if std::thread::current().name() == Some("ontime-timer") {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        ontime_core::RequestAction::Continue
    }
}

#[test]
fn a_request_that_starts_while_the_timer_rests_is_reviewed() {
    // One worker, a 1 s heartbeat: while the worker is busy the timer rests for up to 100 s,
    // so only the nudge of a starting request can bring a review within the bound below.
    let reviews = Arc::new(AtomicU64::new(0));
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .heartbeat(Duration::from_secs(1))
        .policy(TimerReviews(reviews.clone()))
        .build()
        .unwrap();
    let seen = pool.install(|| {
        // Busy, outside any request, for more than one interval: the timer, which was
        // sleeping an interval when the worker woke, goes to rest.
        let t = std::time::Instant::now();
        while t.elapsed() < Duration::from_millis(1300) {
            std::hint::spin_loop();
        }
        let r = reviews.clone();
        let h = pool.submit(Request::new(move || {
            // Liveness bound, not a timing assertion: without the nudge this waits 100 s.
            let t = std::time::Instant::now();
            while r.load(Ordering::SeqCst) == 0 && t.elapsed() < Duration::from_secs(30) {
                std::hint::spin_loop();
            }
            r.load(Ordering::SeqCst)
        }));
        h.wait().unwrap().value
    });
    assert!(
        seen > 0,
        "the resting timer never reviewed the running request"
    );
}

#[test]
fn a_request_submitted_to_a_sleeping_pool_is_reviewed() {
    // Every worker asleep: the timer waits on the idle gate with no timeout, and a pool
    // taken out of "all asleep" does not release it (`sleep/README.md`, "The pool wakes
    // without the timer"); only the starting request's release can bring a review.
    let reviews = Arc::new(AtomicU64::new(0));
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .policy(TimerReviews(reviews.clone()))
        .build()
        .unwrap();
    for round in 0..3 {
        // Long enough for both workers to sleep and the timer to park (tens of µs each).
        std::thread::sleep(Duration::from_millis(100));
        let before = reviews.load(Ordering::SeqCst);
        let r = reviews.clone();
        let h = pool.submit(Request::new(move || {
            // Liveness bound, not a timing assertion: without the release this waits 30 s.
            let t = std::time::Instant::now();
            while r.load(Ordering::SeqCst) == before && t.elapsed() < Duration::from_secs(30) {
                std::hint::spin_loop();
            }
            r.load(Ordering::SeqCst) - before
        }));
        let seen = h.wait().unwrap().value;
        assert!(
            seen > 0,
            "round {round}: the parked timer never reviewed the running request"
        );
    }
}

/// A waker that counts its wakes and unparks the polling thread.
struct CountingWaker {
    wakes: AtomicU64,
    thread: std::thread::Thread,
}

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

#[test]
fn an_awaited_handle_is_woken_by_the_completion_and_resolves_once() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let pool = ThreadPool::new(2).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<u32>();
    let mut h = pool.submit(Request::new(move || rx.recv().unwrap() * 2));
    let counter = Arc::new(CountingWaker {
        wakes: AtomicU64::new(0),
        thread: std::thread::current(),
    });
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    // Not finished: pending, and nobody wakes it yet.
    assert!(matches!(
        std::pin::Pin::new(&mut h).poll(&mut cx),
        Poll::Pending
    ));
    assert!(matches!(
        std::pin::Pin::new(&mut h).poll(&mut cx),
        Poll::Pending
    ));
    assert_eq!(counter.wakes.load(Ordering::SeqCst), 0);
    tx.send(21).unwrap();
    // The completion wakes the stored waker (once), then the poll is ready.
    while counter.wakes.load(Ordering::SeqCst) == 0 {
        std::thread::park_timeout(Duration::from_millis(100));
    }
    match std::pin::Pin::new(&mut h).poll(&mut cx) {
        Poll::Ready(r) => assert_eq!(r.unwrap().value, 42),
        Poll::Pending => panic!("woken but not ready"),
    }
    assert_eq!(counter.wakes.load(Ordering::SeqCst), 1);
    // A second poll after Ready is a bug in the caller, and says so.
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = std::pin::Pin::new(&mut h).poll(&mut cx);
    }));
    assert!(again.is_err());
}

#[test]
fn an_awaited_request_that_panicked_gives_its_panic() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let pool = ThreadPool::new(1).unwrap();
    let mut h = pool.submit(Request::new(|| -> u32 { panic!("async boom") }));
    let counter = Arc::new(CountingWaker {
        wakes: AtomicU64::new(0),
        thread: std::thread::current(),
    });
    let waker = Waker::from(counter);
    let mut cx = Context::from_waker(&waker);
    let r = loop {
        match std::pin::Pin::new(&mut h).poll(&mut cx) {
            Poll::Ready(r) => break r,
            Poll::Pending => std::thread::park_timeout(Duration::from_millis(100)),
        }
    };
    let e = r.unwrap_err();
    assert!(e.to_string().contains("async boom"), "{e}");
    // The pool still serves.
    assert_eq!(pool.submit(Request::new(|| 3)).wait().unwrap().value, 3);
}

#[test]
fn wait_timeout_gives_up_then_gets_the_result_once() {
    let pool = ThreadPool::new(2).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut h = pool.submit(Request::new(move || rx.recv().map(|_| "late")));
    assert!(h.wait_timeout(Duration::from_millis(5)).is_none());
    assert!(h.wait_timeout(Duration::ZERO).is_none());
    tx.send(()).unwrap();
    let r = h.wait_timeout(Duration::from_secs(60)).expect("finished");
    assert_eq!(r.unwrap().value, Ok("late"));
    assert!(
        h.wait_timeout(Duration::from_secs(1)).is_none(),
        "returned once"
    );
    // On a worker: it keeps the pool going while it waits (one worker runs the request).
    let one = ThreadPool::new(1).unwrap();
    let v = one.install(|| {
        let mut h = one.submit(Request::new(|| 11));
        h.wait_timeout(Duration::from_secs(60))
            .expect("ran here")
            .unwrap()
            .value
    });
    assert_eq!(v, 11);
}

#[test]
fn the_panic_of_a_request_whose_handle_was_dropped_reaches_the_panic_handler_once() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let s = seen.clone();
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .panic_handler(move |p| {
            s.lock()
                .unwrap()
                .push(ontime_core::panic_message(&*p).to_owned())
        })
        .build()
        .unwrap();
    // Dropped first, panics later.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    drop(pool.submit(Request::new(move || {
        rx.recv().unwrap();
        panic!("orphan after drop")
    })));
    tx.send(()).unwrap();
    // Panicked first (finished, result not taken), dropped later.
    let h = pool.submit(Request::new(|| -> u32 { panic!("orphan before drop") }));
    while !h.is_finished() {
        std::thread::yield_now();
    }
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|m| m != "orphan before drop"));
    drop(h);
    // A handle that returned its result reports nothing when dropped.
    let taken = pool.submit(Request::new(|| -> u32 { panic!("seen by the caller") }));
    assert!(taken.wait().is_err());
    // A value nobody takes is just dropped.
    drop(pool.submit(Request::new(|| 5)));
    pool.shutdown();
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["orphan after drop", "orphan before drop"]);
}

#[test]
fn try_submit_keeps_the_queue_bounded_and_gives_back_what_it_refuses() {
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(1)
            .max_queued(5)
            .build()
            .unwrap(),
    );
    // Hold the only worker, so nothing leaves the queue while callers race.
    let (release, blocker) = common::block_worker(&pool);
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8u64)
            .map(|t| {
                let pool = &pool;
                s.spawn(move || {
                    (0..10u64)
                        .map(|i| pool.try_submit(Request::new(move || t * 100 + i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 5, "exactly the bound was let in");
    assert_eq!(pool.stats().queued, 5);
    assert_eq!(pool.stats().refused, 75);
    // `submit` still queues past the bound.
    let extra = pool.submit(Request::new(|| 7));
    assert_eq!(pool.stats().queued, 6);
    release.send(()).unwrap();
    blocker.wait().unwrap();
    // Every request is either run (accepted) or given back unrun (refused): none lost.
    let mut values = Vec::new();
    for r in results {
        match r {
            Ok(h) => values.push(h.wait().unwrap().value),
            Err(ontime_core::Rejected(req)) => values.push(pool.submit(req).wait().unwrap().value),
        }
    }
    values.sort_unstable();
    let mut want: Vec<u64> = (0..8)
        .flat_map(|t| (0..10).map(move |i| t * 100 + i))
        .collect();
    want.sort_unstable();
    assert_eq!(values, want);
    assert_eq!(extra.wait().unwrap().value, 7);
    assert_eq!(pool.stats().queued, 0);
}

#[test]
fn a_zero_queue_bound_is_refused_at_build() {
    let e = ThreadPoolBuilder::new().max_queued(0).build().unwrap_err();
    assert!(matches!(e, ontime_core::BuildError::ZeroMaxQueued), "{e:?}");
    assert!(e.to_string().contains("max_queued"));
}

/// Records the largest `queued` and `running` its timer reviews saw.
#[derive(Debug, Default)]
struct LoadSeen {
    queued: Arc<AtomicU64>,
    running: Arc<AtomicU64>,
}

impl ontime_core::StealPolicy for LoadSeen {
    fn name(&self) -> &str {
        "load-seen"
    }
    fn reviews_running(&self) -> bool {
        true
    }
    fn review(&self, v: &ontime_core::RequestView) -> ontime_core::RequestAction {
        self.queued.fetch_max(v.queued as u64, Ordering::SeqCst);
        self.running.fetch_max(v.running as u64, Ordering::SeqCst);
        ontime_core::RequestAction::Continue
    }
}

#[test]
fn reviews_see_the_queued_and_running_requests() {
    // One worker runs A, which holds until the reviews have seen B and C queued behind it.
    let policy = LoadSeen::default();
    let (queued, running) = (policy.queued.clone(), policy.running.clone());
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .policy(policy)
        .build()
        .unwrap();
    let q = queued.clone();
    let started = Arc::new(AtomicU64::new(0));
    let s = started.clone();
    let a = pool.submit(Request::new(move || {
        s.store(1, Ordering::SeqCst);
        // Liveness bound, not a timing assertion: the timer reviews A every heartbeat.
        let t = std::time::Instant::now();
        while q.load(Ordering::SeqCst) < 2 && t.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_micros(100));
        }
    }));
    while started.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    let b = pool.submit(Request::new(|| ()));
    let c = pool.submit(Request::new(|| ()));
    a.wait().unwrap();
    b.wait().unwrap();
    c.wait().unwrap();
    assert_eq!(queued.load(Ordering::SeqCst), 2, "B and C waited behind A");
    assert_eq!(
        running.load(Ordering::SeqCst),
        1,
        "one request ran at a time"
    );
}
