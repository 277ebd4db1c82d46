//! Close modes: drain runs what is queued, cancel resolves requests not yet started (except
//! those that complete on close), the `Closed` handle waits or is awaited, nothing is lost.

mod common;

use common::block_worker;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ontime_core::{CloseMode, Request, ThreadPool, ThreadPoolBuilder};

#[test]
fn drain_runs_everything_queued_then_the_workers_exit() {
    let pool = ThreadPool::new(1).unwrap();
    let (release, busy) = block_worker(&pool);
    let ran = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let r = ran.clone();
            pool.submit(Request::new(move || {
                r.fetch_add(1, Ordering::SeqCst);
                i
            }))
        })
        .collect();
    let r = ran.clone();
    pool.spawn(move || {
        r.fetch_add(1, Ordering::SeqCst);
    });
    let closed = pool.close(CloseMode::Drain);
    assert!(!closed.is_done(), "a worker is still busy");
    release.send(()).unwrap();
    closed.wait();
    assert_eq!(ran.load(Ordering::SeqCst), 21);
    busy.wait().unwrap();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.wait().unwrap().value, i);
    }
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.submit(Request::new(|| 1))
    }));
    assert!(
        refused.is_err(),
        "a closed pool takes no new work from outside"
    );
}

#[test]
fn cancel_resolves_requests_not_started_and_lets_the_rest_finish() {
    let pool = ThreadPoolBuilder::new()
        .num_threads(1)
        .complete_on_close_class(3)
        .build()
        .unwrap();
    let (release, busy) = block_worker(&pool);
    let ran = Arc::new(AtomicUsize::new(0));
    let plain: Vec<_> = (0..10)
        .map(|_| {
            let r = ran.clone();
            pool.submit(Request::new(move || r.fetch_add(1, Ordering::SeqCst)))
        })
        .collect();
    let kept = pool.submit(Request::new(|| "kept").complete_on_close());
    let by_class = pool.submit(Request::new(|| "class").class(3));
    let spawned = Arc::new(AtomicUsize::new(0));
    let s = spawned.clone();
    pool.spawn(move || {
        s.fetch_add(1, Ordering::SeqCst);
    });
    let closed = pool.close(CloseMode::Cancel);
    release.send(()).unwrap();
    closed.wait();
    busy.wait().expect("a running request finishes");
    for h in plain {
        assert!(h.wait().unwrap_err().is_cancelled());
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(kept.wait().unwrap().value, "kept");
    assert_eq!(by_class.wait().unwrap().value, "class");
    assert_eq!(
        spawned.load(Ordering::SeqCst),
        1,
        "other queued jobs still run"
    );
    let st = pool.stats();
    assert_eq!((st.cancelled, st.queued), (10, 0));
}

#[test]
fn closing_twice_keeps_the_first_mode() {
    let pool = ThreadPool::new(1).unwrap();
    let (release, busy) = block_worker(&pool);
    let h = pool.submit(Request::new(|| 5));
    let first = pool.close(CloseMode::Drain);
    let second = pool.close(CloseMode::Cancel);
    release.send(()).unwrap();
    first.wait();
    assert!(second.is_done());
    busy.wait().unwrap();
    assert_eq!(h.wait().unwrap().value, 5, "drained, not cancelled");
}

#[test]
fn scheduled_requests_resolve_cancelled_at_close() {
    let pool = ThreadPool::new(2).unwrap();
    let later = pool.submit_after(Duration::from_secs(3600), Request::new(|| 1));
    pool.close(CloseMode::Drain).wait();
    assert!(later.wait().unwrap_err().is_cancelled());
}

struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn an_awaiting_task_is_woken_when_the_last_worker_exits() {
    let pool = ThreadPool::new(2).unwrap();
    let (release, busy) = block_worker(&pool);
    let mut closed = std::pin::pin!(pool.close(CloseMode::Drain));
    let woken = Arc::new(Count(AtomicUsize::new(0)));
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    assert!(closed.as_mut().poll(&mut cx).is_pending());
    release.send(()).unwrap();
    busy.wait().unwrap();
    while woken.0.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    assert_eq!(closed.as_mut().poll(&mut cx), Poll::Ready(()));
}

#[test]
fn waiting_on_close_from_a_worker_of_the_pool_is_refused() {
    let pool = ThreadPool::new(1).unwrap();
    let pool = Arc::new(pool);
    let inner = pool.clone();
    let r = pool
        .submit(Request::new(move || inner.close(CloseMode::Drain).wait()))
        .wait();
    let err = r.unwrap_err();
    assert!(
        err.to_string().contains("Closed::wait on a worker"),
        "{err}"
    );
}

#[test]
fn dropping_a_closed_pool_joins_its_workers() {
    let pool = ThreadPool::new(2).unwrap();
    let h = pool.submit(Request::new(|| 3));
    let closed = pool.close(CloseMode::Drain);
    drop(pool);
    assert!(closed.is_done());
    assert_eq!(h.wait().unwrap().value, 3);
}
