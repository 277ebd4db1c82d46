//! Scheduled and periodic requests on a manual clock: nothing runs before its instant, order
//! follows instants, cancels and shutdown resolve what waits, series tick, wait and skip.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ontime_core::{ManualClock, Request, ThreadPool, ThreadPoolBuilder};

fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn manual_pool(threads: usize) -> (ThreadPool, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .clock(clock.clone())
        .build()
        .unwrap();
    (pool, clock)
}

/// Spins until `cond` holds (the timer thread acts on its own schedule; no timing is asserted).
fn until(cond: impl Fn() -> bool) {
    while !cond() {
        std::thread::yield_now();
    }
}

#[test]
fn a_request_waits_for_its_instant_and_arrives_then() {
    let (pool, clock) = manual_pool(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let h = pool.submit_at(
        s(5),
        Request::new(move || r.fetch_add(1, Ordering::SeqCst)).target(Duration::from_millis(1)),
    );
    // Whatever the timer does meanwhile, the manual clock has not reached the instant.
    for _ in 0..50 {
        pool.install(std::thread::yield_now);
    }
    clock.set(s(4));
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    let st = pool.stats();
    assert_eq!((st.scheduled, st.queued), (1, 0));
    clock.set(s(5));
    let done = h.wait().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(done.outcome.arrival, s(5));
    assert!(done.outcome.met(), "its target counts from its instant");
    assert_eq!(pool.stats().scheduled, 0);
}

#[test]
fn requests_are_released_in_the_order_of_their_instants() {
    let (pool, clock) = manual_pool(1);
    let order = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = [3u64, 1, 2, 1]
        .iter()
        .enumerate()
        .map(|(i, &at)| {
            let o = order.clone();
            pool.submit_at(s(at), Request::new(move || o.lock().unwrap().push(i)))
        })
        .collect();
    clock.set(s(3));
    for h in handles {
        h.wait().unwrap();
    }
    // Instant order; equal instants in submission order (one worker, FIFO admission).
    assert_eq!(*order.lock().unwrap(), [1, 3, 2, 0]);
}

#[test]
fn an_instant_already_past_queues_at_once() {
    let (pool, clock) = manual_pool(1);
    clock.set(s(10));
    let done = pool.submit_at(s(2), Request::new(|| 9)).wait().unwrap();
    assert_eq!((done.value, done.outcome.arrival), (9, s(2)));
}

#[test]
fn a_request_cancelled_before_its_instant_never_runs() {
    let (pool, clock) = manual_pool(1);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let h = pool.submit_at(s(3), Request::new(move || r.fetch_add(1, Ordering::SeqCst)));
    clock.set(s(1));
    assert!(h.cancel());
    assert!(h.is_finished(), "resolved by the cancel");
    let st = pool.stats();
    assert_eq!((st.scheduled, st.queued, st.cancelled), (0, 0, 1));
    clock.set(s(3));
    // A later request is released after the cancelled one's instant passed.
    let later = pool.submit_at(s(3), Request::new(|| 2));
    assert_eq!(later.wait().unwrap().value, 2);
    assert_eq!(pool.submit(Request::new(|| 1)).wait().unwrap().value, 1);
    assert!(h.wait().unwrap_err().is_cancelled());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(pool.stats().queued, 0);
}

#[test]
fn shutdown_resolves_waiting_requests_cancelled() {
    let (pool, _clock) = manual_pool(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let h = pool.submit_at(
        s(100),
        Request::new(move || r.fetch_add(1, Ordering::SeqCst)),
    );
    let soon = pool.submit(Request::new(|| 2));
    drop(pool);
    assert_eq!(
        soon.wait().unwrap().value,
        2,
        "queued work is still drained"
    );
    let err = h.wait().unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn an_awaited_scheduled_request_is_woken_at_its_instant() {
    use std::future::Future;
    use std::task::{Context, Wake, Waker};
    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (pool, clock) = manual_pool(1);
    let mut h = std::pin::pin!(pool.submit_at(s(1), Request::new(|| 4)));
    let woken = Arc::new(Count(AtomicUsize::new(0)));
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    assert!(h.as_mut().poll(&mut cx).is_pending());
    clock.set(s(1));
    until(|| woken.0.load(Ordering::SeqCst) > 0);
    match h.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => assert_eq!(r.unwrap().value, 4),
        std::task::Poll::Pending => panic!("woken, so ready"),
    }
}

#[test]
fn a_series_runs_once_per_period_and_stops_when_cancelled() {
    let (pool, clock) = manual_pool(2);
    let ticks = Arc::new(AtomicU64::new(0));
    let t = ticks.clone();
    let series = pool.every(s(2), move || {
        t.fetch_add(1, Ordering::SeqCst);
    });
    clock.set(s(1));
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        0,
        "the first run is one period from now"
    );
    for k in 1..=4u64 {
        clock.set(s(2 * k));
        until(|| ticks.load(Ordering::SeqCst) == k);
    }
    series.cancel();
    clock.set(s(100));
    std::thread::sleep(Duration::from_millis(5));
    pool.install(|| {});
    assert_eq!((series.runs(), series.skipped()), (4, 0));
    assert!(series.is_stopped());
    drop(pool);
    assert_eq!(ticks.load(Ordering::SeqCst), 4);
}

#[test]
fn a_tick_waits_for_an_unfinished_run_and_is_skipped_if_the_next_comes_first() {
    let (pool, clock) = manual_pool(2);
    let (release_tx, release_rx) = channel::<()>();
    let release = Mutex::new(release_rx);
    let started = Arc::new(AtomicU64::new(0));
    let st = started.clone();
    let series = pool.every(s(1), move || {
        st.fetch_add(1, Ordering::SeqCst);
        release.lock().unwrap().recv().unwrap();
    });
    clock.set(s(1));
    until(|| started.load(Ordering::SeqCst) == 1);
    // Tick 2 comes while run 1 blocks: it waits. Tick 3 comes too: tick 2 is skipped.
    clock.set(s(2));
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(series.runs(), 1);
    clock.set(s(3));
    until(|| series.skipped() == 1);
    assert_eq!(series.runs(), 1, "runs never pile up");
    release_tx.send(()).unwrap();
    // Run 1 finishes; the waiting tick (3) runs now.
    until(|| started.load(Ordering::SeqCst) == 2);
    release_tx.send(()).unwrap();
    series.cancel();
    assert_eq!((series.runs(), series.skipped()), (2, 1));
}

#[test]
fn a_panicking_run_goes_to_the_panic_handler_and_the_series_goes_on() {
    let clock = Arc::new(ManualClock::new());
    let panics = Arc::new(AtomicUsize::new(0));
    let p = panics.clone();
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .clock(clock.clone())
        .panic_handler(move |_| {
            p.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let runs = Arc::new(AtomicU64::new(0));
    let r = runs.clone();
    let series = pool.every(s(1), move || {
        let n = r.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(n % 2 == 0, "odd run {n} fails");
    });
    for k in 1..=4u64 {
        clock.set(s(k));
        until(|| runs.load(Ordering::SeqCst) == k);
    }
    series.cancel();
    drop(pool);
    assert_eq!(panics.load(Ordering::SeqCst), 2);
}

#[test]
fn cancelling_a_series_cancels_its_running_run() {
    let (pool, clock) = manual_pool(2);
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let series = pool.every(s(1), move || {
        let _ = tx.lock().unwrap().send(());
        let end = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < end {
            ontime_core::forall(0..1 << 12, |_| std::thread::yield_now());
        }
    });
    clock.set(s(1));
    rx.recv().unwrap();
    series.cancel();
    until(|| pool.stats().cancelled == 1);
    assert_eq!(series.runs(), 1);
}

#[test]
fn shutdown_stops_a_series() {
    let (pool, clock) = manual_pool(1);
    let series = pool.every(s(1), || {});
    clock.set(s(1));
    until(|| series.runs() == 1);
    drop(pool);
    assert!(series.is_stopped());
    assert_eq!(series.runs(), 1);
}

#[test]
#[should_panic(expected = "ThreadPool::every needs a period longer than zero")]
fn a_zero_period_is_refused() {
    let pool = ThreadPool::new(1).unwrap();
    let _ = pool.every(Duration::ZERO, || {});
}

#[test]
fn scheduled_requests_on_the_system_clock_run_in_order() {
    let pool = ThreadPool::new(2).unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = [4u64, 1, 3]
        .iter()
        .map(|&ms| {
            let o = order.clone();
            pool.submit_after(
                Duration::from_millis(ms),
                Request::new(move || o.lock().unwrap().push(ms)),
            )
        })
        .collect();
    for h in handles {
        let o = h.wait().unwrap().outcome;
        assert!(o.start >= o.arrival);
    }
    assert_eq!(order.lock().unwrap().len(), 3);
}
