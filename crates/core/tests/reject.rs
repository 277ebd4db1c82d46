//! Opt-in rejection: a request that can no longer meet its target when a worker comes to it
//! resolves rejected, unrun, if it (or the policy) asked; otherwise it runs late as before.
//! All on a manual clock: no timing is asserted.

mod common;

use common::block_worker;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ontime_core::{ManualClock, Request, StealPolicy, ThreadPool, ThreadPoolBuilder};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn manual_pool(policy: Option<Box<dyn StealPolicy>>) -> (ThreadPool, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let mut b = ThreadPoolBuilder::new().num_threads(1).clock(clock.clone());
    if let Some(p) = policy {
        b = b.policy_boxed(p);
    }
    (b.build().unwrap(), clock)
}

#[test]
fn a_late_request_that_asked_is_rejected_unrun_and_the_others_run() {
    let (pool, clock) = manual_pool(None);
    let ran = Arc::new(AtomicUsize::new(0));
    let (release, busy) = block_worker(&pool);
    let mk = |reject: bool, target: Duration| {
        let r = ran.clone();
        let req = Request::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .target(target);
        pool.submit(if reject { req.reject_when_late() } else { req })
    };
    let late_rejecting = mk(true, ms(2));
    let late_running = mk(false, ms(2));
    let in_time = mk(true, ms(100));
    // The worker is busy until 10 ms on the pool's clock: two of them are late by then.
    clock.set(ms(10));
    release.send(()).unwrap();
    busy.wait().unwrap();
    let err = late_rejecting.wait().unwrap_err();
    assert!(err.is_rejected() && !err.is_cancelled() && !err.is_panic());
    assert_eq!(err.outcome().start, err.outcome().finish);
    assert!(err.to_string().contains("was rejected"), "{err}");
    assert!(err.into_panic().is_none());
    assert!(!late_running.wait().unwrap().outcome.met(), "ran, late");
    assert!(in_time.wait().unwrap().outcome.met());
    assert_eq!(ran.load(Ordering::SeqCst), 2);
    let s = pool.stats();
    assert_eq!((s.rejected, s.completed, s.missed, s.queued), (1, 3, 1, 0));
}

#[test]
fn a_cost_hint_that_no_longer_fits_rejects_before_the_deadline() {
    let (pool, clock) = manual_pool(None);
    let (release, busy) = block_worker(&pool);
    let h = pool.submit(
        Request::new(|| 1)
            .target(ms(10))
            .cost_hint(ms(6))
            .reject_when_late(),
    );
    clock.set(ms(5)); // 5 + 6 > 10 on one worker
    release.send(()).unwrap();
    busy.wait().unwrap();
    assert!(h.wait().unwrap_err().is_rejected());
}

#[test]
fn a_request_without_a_target_is_never_rejected() {
    let (pool, clock) = manual_pool(None);
    let (release, busy) = block_worker(&pool);
    let h = pool.submit(Request::new(|| 2).reject_when_late());
    clock.set(ms(1_000_000));
    release.send(()).unwrap();
    busy.wait().unwrap();
    assert_eq!(h.wait().unwrap().value, 2);
    assert_eq!(pool.stats().rejected, 0);
}

#[derive(Debug)]
struct RejectsLate;
impl StealPolicy for RejectsLate {
    fn name(&self) -> &str {
        "rejects-late"
    }
    fn rejects_late(&self) -> bool {
        true
    }
}

#[test]
fn a_policy_can_reject_every_late_request() {
    let (pool, clock) = manual_pool(Some(Box::new(RejectsLate)));
    let (release, busy) = block_worker(&pool);
    let late = pool.submit(Request::new(|| 3).target(ms(1)));
    let fine = pool.submit(Request::new(|| 4).target(ms(50)));
    clock.set(ms(5));
    release.send(()).unwrap();
    busy.wait().unwrap();
    let err = late.wait().unwrap_err();
    assert!(err.is_rejected());
    assert_eq!(fine.wait().unwrap().value, 4);
    assert_eq!(pool.stats().rejected, 1);
}

#[test]
fn cancelling_a_rejected_request_changes_nothing() {
    let (pool, clock) = manual_pool(None);
    let (release, busy) = block_worker(&pool);
    let h = pool.submit(Request::new(|| 5).target(ms(1)).reject_when_late());
    clock.set(ms(5));
    release.send(()).unwrap();
    busy.wait().unwrap();
    while !h.is_finished() {
        std::thread::yield_now();
    }
    assert!(!h.cancel(), "it is finished (rejected)");
    assert!(h.wait().unwrap_err().is_rejected());
    assert_eq!(pool.stats().cancelled, 0);
}
