//! Hostile and careless uses: each one once hung, crashed, lost work or ran work twice.
//! Each test names the use it checks; `docs/reliability.md` lists them with their outcomes.
//!
//! Tests that used to hang run under `within`, which fails the test instead of hanging CI.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use ontime_core::{
    join, AdmissionQueue, Clock, FifoQueue, IdleOrder, IdleView, Queued, Request, RequestAction,
    RequestView, ShareView, StealPolicy, ThreadPool, ThreadPoolBuilder,
};

/// Runs `f` on its own thread and fails the test if it has not finished after a minute
/// (the uses below used to hang; a hang must be a failure, not a stuck CI run).
fn within<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(r)) => r,
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("{what}: did not finish within a minute (hang)"),
    }
}

fn msg(p: &(dyn std::any::Any + Send)) -> String {
    ontime_core::panic_message(p).to_string()
}

/// Counts every leaf of a binary join tree; each leaf must run exactly once.
fn tree(depth: u32, leaves: &AtomicUsize) {
    if depth == 0 {
        leaves.fetch_add(1, Ordering::Relaxed);
        std::hint::black_box((0..50).sum::<u64>());
        return;
    }
    join(|| tree(depth - 1, leaves), || tree(depth - 1, leaves));
}

/// A policy whose chosen hooks panic (every call, or every `period`-th call).
#[derive(Debug, Default)]
struct Hostile {
    may_share: bool,
    idle_order: bool,
    review_on_timer: bool,
    review_at_admission: bool,
    /// Steering: every third `urgency` panics, every third answers NaN, the rest 1.
    urgency: bool,
    urgency_calls: Arc<AtomicUsize>,
    calls: AtomicUsize,
    timer_reviews: Arc<AtomicUsize>,
    #[allow(dead_code)] // held for its Drop
    dropped: DropFlag,
    queue: Option<fn() -> Box<dyn AdmissionQueue>>,
}

/// Raises its flag when dropped (with the policy that holds it).
#[derive(Debug, Default)]
struct DropFlag(Option<Arc<AtomicBool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            d.store(true, Ordering::SeqCst);
        }
    }
}

impl StealPolicy for Hostile {
    fn name(&self) -> &str {
        "hostile"
    }
    fn idle_order(&self, _: &IdleView) -> IdleOrder {
        if self.idle_order && self.calls.fetch_add(1, Ordering::Relaxed) % 3 == 0 {
            panic!("hostile idle_order");
        }
        IdleOrder::StealFirst
    }
    fn may_share(&self, _: &ShareView) -> bool {
        if self.may_share {
            panic!("hostile may_share");
        }
        true
    }
    fn review(&self, _: &RequestView) -> RequestAction {
        let on_timer = std::thread::current().name() == Some("ontime-timer");
        if on_timer {
            let n = self.timer_reviews.fetch_add(1, Ordering::SeqCst);
            if self.review_on_timer && n == 0 {
                panic!("hostile review on the timer");
            }
        } else if self.review_at_admission {
            panic!("hostile review at admission");
        }
        RequestAction::Continue
    }
    fn urgency(&self, _: &RequestView) -> Option<f64> {
        match self.urgency_calls.fetch_add(1, Ordering::SeqCst) % 3 {
            0 => panic!("hostile urgency"),
            1 => Some(f64::NAN),
            _ => Some(1.0),
        }
    }
    fn reviews_running(&self) -> bool {
        self.review_on_timer || self.urgency
    }
    fn admission_queue(&self, _: usize) -> Box<dyn AdmissionQueue> {
        match self.queue {
            Some(make) => make(),
            None => Box::new(FifoQueue::new()),
        }
    }
}

/// A pool with `policy`, counting its workers' start and exit handler calls, and the hook
/// panics reported to its panic handler.
struct Counted {
    pool: ThreadPool,
    started: Arc<AtomicUsize>,
    exited: Arc<AtomicUsize>,
    reported: Arc<AtomicUsize>,
}

fn counted(threads: usize, policy: Hostile, clock: Option<Arc<dyn Clock>>) -> Counted {
    let started = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(AtomicUsize::new(0));
    let reported = Arc::new(AtomicUsize::new(0));
    let (s, e, r) = (started.clone(), exited.clone(), reported.clone());
    let mut b = ThreadPoolBuilder::new()
        .num_threads(threads)
        .heartbeat(Duration::from_micros(20))
        .policy(policy)
        .start_handler(move |_| {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .exit_handler(move |_| {
            e.fetch_add(1, Ordering::SeqCst);
        })
        .panic_handler(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
        });
    if let Some(c) = clock {
        b = b.clock(c);
    }
    Counted {
        pool: b.build().unwrap(),
        started,
        exited,
        reported,
    }
}

impl Counted {
    /// Drops the pool and checks that every worker was alive to run its exit handler.
    fn every_worker_survived(self, threads: usize) {
        assert_eq!(self.pool.install(|| join(|| 1, || 2)), (1, 2));
        drop(self.pool);
        assert_eq!(self.started.load(Ordering::SeqCst), threads);
        assert_eq!(
            self.exited.load(Ordering::SeqCst),
            threads,
            "a worker thread died"
        );
    }
}

#[test]
fn a_panicking_may_share_during_nested_joins_runs_every_fork_exactly_once() {
    within("may_share panics", || {
        let c = counted(
            2,
            Hostile {
                may_share: true,
                ..Hostile::default()
            },
            None,
        );
        for _ in 0..20 {
            let leaves = AtomicUsize::new(0);
            c.pool.install(|| tree(12, &leaves));
            assert_eq!(
                leaves.load(Ordering::Relaxed),
                1 << 12,
                "a fork ran twice or never"
            );
        }
        assert!(
            c.reported.load(Ordering::SeqCst) > 0,
            "the panics were reported"
        );
        c.every_worker_survived(2);
    });
}

#[test]
fn a_panicking_idle_order_while_waiting_for_a_stolen_fork_is_contained() {
    within("idle_order panics", || {
        let c = counted(
            2,
            Hostile {
                idle_order: true,
                ..Hostile::default()
            },
            None,
        );
        for _ in 0..50 {
            let leaves = AtomicUsize::new(0);
            c.pool.install(|| tree(10, &leaves));
            assert_eq!(leaves.load(Ordering::Relaxed), 1 << 10);
        }
        assert!(c.reported.load(Ordering::SeqCst) > 0);
        c.every_worker_survived(2);
    });
}

/// A queue whose `pop` panics every other call (and otherwise works).
#[derive(Debug, Default)]
struct FlakyPop {
    inner: FifoQueue,
    calls: AtomicUsize,
}

impl AdmissionQueue for FlakyPop {
    fn push(&self, item: Queued) {
        self.inner.push(item)
    }
    fn pop(&self, worker: usize, now: Duration) -> Option<Queued> {
        if self.calls.fetch_add(1, Ordering::Relaxed) % 2 == 0 {
            panic!("hostile pop");
        }
        self.inner.pop(worker, now)
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
}

#[test]
fn a_panicking_admission_queue_pop_kills_no_worker_and_loses_no_request() {
    within("pop panics", || {
        let c = counted(
            2,
            Hostile {
                queue: Some(|| Box::new(FlakyPop::default())),
                ..Hostile::default()
            },
            None,
        );
        let handles: Vec<_> = (0..200u64)
            .map(|i| c.pool.submit(Request::new(move || i * 2)))
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.wait().unwrap().value, i as u64 * 2);
        }
        assert!(c.reported.load(Ordering::SeqCst) > 0);
        c.every_worker_survived(2);
    });
}

/// A clock that panics on every third reading.
#[derive(Debug, Default)]
struct FlakyClock(AtomicUsize);

impl Clock for FlakyClock {
    fn now(&self) -> Duration {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        if n % 3 == 1 {
            panic!("hostile clock");
        }
        Duration::from_micros(n as u64)
    }
}

#[test]
fn a_panicking_clock_kills_no_worker_and_resolves_every_handle() {
    within("Clock::now panics", || {
        let c = counted(2, Hostile::default(), Some(Arc::new(FlakyClock::default())));
        let handles: Vec<_> = (0..100u64)
            .map(|i| c.pool.submit(Request::new(move || i)))
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            let done = h.wait().unwrap();
            assert_eq!(done.value, i as u64);
            assert!(
                done.outcome.finish >= done.outcome.start,
                "readings stay monotonic"
            );
        }
        assert!(c.reported.load(Ordering::SeqCst) > 0);
        c.every_worker_survived(2);
    });
}

#[test]
fn a_review_that_panics_on_the_timer_does_not_stop_the_timer() {
    within("review panics on the timer", || {
        let timer_reviews = Arc::new(AtomicUsize::new(0));
        let c = counted(
            2,
            Hostile {
                review_on_timer: true,
                timer_reviews: timer_reviews.clone(),
                ..Hostile::default()
            },
            None,
        );
        // A request that runs until the timer has reviewed it three times: the first review
        // panics; a dead timer would never review again.
        let seen = timer_reviews.clone();
        let h = c.pool.submit(Request::new(move || {
            while seen.load(Ordering::SeqCst) < 3 {
                std::thread::yield_now();
            }
        }));
        h.wait().unwrap();
        assert_eq!(c.reported.load(Ordering::SeqCst), 1, "reported once");
        c.every_worker_survived(2);
    });
}

#[test]
fn a_panicking_or_nan_urgency_steers_no_work_twice_and_kills_no_worker() {
    within("urgency panics", || {
        for threads in [4, 2] {
            let calls = Arc::new(AtomicUsize::new(0));
            let c = counted(
                threads,
                Hostile {
                    urgency: true,
                    urgency_calls: calls.clone(),
                    ..Hostile::default()
                },
                None,
            );
            // Requests with a target and a loop each, long enough for the timer to review
            // them (and to ask their urgency) many times while thieves steal their blocks.
            let items = 4_000usize;
            let ran: Arc<Vec<AtomicUsize>> =
                Arc::new((0..8 * items).map(|_| AtomicUsize::new(0)).collect());
            let handles: Vec<_> = (0..8)
                .map(|r| {
                    let ran = ran.clone();
                    c.pool.submit(
                        Request::new(move || {
                            ontime_core::forall(0..items, |i| {
                                std::hint::black_box((0..200u64).sum::<u64>());
                                ran[r * items + i].fetch_add(1, Ordering::Relaxed);
                            })
                        })
                        .target(Duration::from_millis(50)),
                    )
                })
                .collect();
            for h in handles {
                h.wait().unwrap();
            }
            assert!(
                ran.iter().all(|x| x.load(Ordering::Relaxed) == 1),
                "each item once"
            );
            let reported = c.reported.clone();
            c.every_worker_survived(threads);
            // Reports first: a pass still running can only add calls after them.
            let reported = reported.load(Ordering::SeqCst);
            let asked = calls.load(Ordering::SeqCst);
            if threads > 2 {
                assert!(
                    asked > 0,
                    "the timer asked for urgency on {threads} workers"
                );
                // Every third call panicked (the first one included), and went to the handler.
                assert!(
                    (1..=asked.div_ceil(3)).contains(&reported),
                    "{reported} reported, {asked} asked"
                );
            } else {
                assert_eq!(asked, 0, "a 2-worker pool never asks");
            }
        }
    });
}

#[test]
fn a_review_that_panics_at_admission_still_runs_the_request_and_resolves_its_handle() {
    within("review panics at admission", || {
        let c = counted(
            2,
            Hostile {
                review_at_admission: true,
                ..Hostile::default()
            },
            None,
        );
        for i in 0..20u32 {
            let h = c.pool.submit(Request::new(move || i + 1));
            assert_eq!(h.wait().unwrap().value, i + 1);
        }
        assert_eq!(c.reported.load(Ordering::SeqCst), 20);
        c.every_worker_survived(2);
    });
}

/// Runs `entry` on a shut-down pool from outside it and returns its panic message.
fn refused(entry: impl FnOnce(&ThreadPool) + Send + 'static) -> (u64, String) {
    within("entry after shutdown", move || {
        let pool = ThreadPool::new(2).unwrap();
        pool.shutdown();
        let r = catch_unwind(AssertUnwindSafe(|| entry(&pool)));
        (
            pool.id(),
            msg(&*r.expect_err("a shut-down pool must refuse")),
        )
    })
}

#[test]
fn every_entry_point_after_shutdown_panics_naming_the_pool() {
    type Entry = fn(&ThreadPool);
    let entries: [(&str, Entry); 8] = [
        ("install", |p| p.install(|| ())),
        ("join", |p| {
            p.join(|| (), || ());
        }),
        ("scope", |p| p.scope(|_| ())),
        ("forall", |p| p.forall(0..10, |_| ())),
        ("forall_chunked", |p| p.forall_chunked(0..10, 3, |_| ())),
        ("forall_2d", |p| p.forall_2d(0..3, 0..3, [1, 1], |_, _| ())),
        ("spawn", |p| p.spawn(|| ())),
        ("submit", |p| {
            p.submit(Request::new(|| ()));
        }),
    ];
    for (name, entry) in entries {
        let (id, m) = refused(entry);
        assert!(
            m.contains(&format!("pool #{id} was shut down")),
            "{name}: {m}"
        );
    }
}

#[test]
fn work_created_by_the_pools_own_jobs_during_shutdown_still_runs() {
    within("own work during shutdown", || {
        let pool = Arc::new(ThreadPool::new(2).unwrap());
        let ran = Arc::new(AtomicUsize::new(0));
        let (p, r) = (pool.clone(), ran.clone());
        pool.spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            // The pool is shutting down by now; its own job may still use it.
            let r2 = r.clone();
            p.spawn(move || {
                r2.fetch_add(1, Ordering::SeqCst);
            });
            p.forall(0..100, |_| {
                r.fetch_add(1, Ordering::SeqCst);
            });
            drop(p.submit(Request::new(|| ())));
        });
        pool.shutdown();
        assert_eq!(ran.load(Ordering::SeqCst), 101);
    });
}

#[test]
fn cross_pool_install_a_b_a_completes_with_one_thread_per_pool() {
    within("A.install -> B.install -> A.install", || {
        let a = Arc::new(ThreadPool::new(1).unwrap());
        let b = Arc::new(ThreadPool::new(1).unwrap());
        let (a2, b2) = (a.clone(), b.clone());
        let v = a.install(move || {
            let a3 = a2.clone();
            b2.install(move || a3.install(|| join(|| 40, || 2)))
        });
        assert_eq!(v, (40, 2));
        // And the other way round, with loops.
        let (a2, b2) = (a.clone(), b.clone());
        let n = b.install(move || {
            let n = AtomicUsize::new(0);
            a2.forall(0..1000, |_| {
                b2.install(|| n.fetch_add(1, Ordering::Relaxed));
            });
            n.into_inner()
        });
        assert_eq!(n, 1000);
    });
}

#[test]
fn polling_try_wait_on_the_only_worker_completes() {
    within("try_wait loop on the only worker", || {
        let pool = Arc::new(ThreadPool::new(1).unwrap());
        let p = pool.clone();
        let v = pool.install(move || {
            let mut h = p.submit(Request::new(|| 5));
            loop {
                if let Some(r) = h.try_wait() {
                    break r.unwrap().value;
                }
            }
        });
        assert_eq!(v, 5);
    });
}

/// A queue that keeps every item and never hands one back.
#[derive(Debug, Default)]
struct BlackHole(Mutex<Vec<Queued>>);

impl AdmissionQueue for BlackHole {
    fn push(&self, item: Queued) {
        self.0.lock().unwrap().push(item)
    }
    fn pop(&self, _: usize, _: Duration) -> Option<Queued> {
        None
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

#[test]
fn a_queue_that_never_returns_an_item_does_not_keep_the_pool_alive() {
    within("black-hole admission queue", || {
        let dropped = Arc::new(AtomicBool::new(false));
        let pool = ThreadPoolBuilder::new()
            .num_threads(2)
            .policy(Hostile {
                dropped: DropFlag(Some(dropped.clone())),
                queue: Some(|| Box::new(BlackHole::default())),
                ..Hostile::default()
            })
            .build()
            .unwrap();
        let h = pool.submit(Request::new(|| 7));
        assert!(!h.is_finished());
        drop(pool);
        assert!(
            dropped.load(Ordering::SeqCst),
            "the pool (and its policy) was freed"
        );
        // Dropping the queue with the pool ran the stuck request; its handle resolved.
        assert_eq!(h.wait().unwrap().value, 7);
    });
}

#[test]
fn a_panicking_thread_name_fails_build_and_stops_the_workers_started() {
    let started = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(AtomicUsize::new(0));
    let (s, e) = (started.clone(), exited.clone());
    let r = ThreadPoolBuilder::new()
        .num_threads(4)
        .thread_name(|i| {
            if i == 2 {
                panic!("no name for worker 2");
            }
            format!("named-{i}")
        })
        .start_handler(move |_| {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .exit_handler(move |_| {
            e.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    let err = r.expect_err("build must fail");
    assert!(matches!(err, ontime_core::BuildError::Handler(_)), "{err}");
    assert!(err.to_string().contains("no name for worker 2"), "{err}");
    // `build` returned only after the two workers it started had exited.
    assert_eq!(started.load(Ordering::SeqCst), 2);
    assert_eq!(exited.load(Ordering::SeqCst), 2);
}

#[test]
fn a_tile_of_usize_max_covers_every_cell() {
    let pool = ThreadPool::new(2).unwrap();
    let cells = AtomicUsize::new(0);
    pool.forall_2d(1..3, 0..1, [usize::MAX, 1], |r, c| {
        cells.fetch_add(r.len() * c.len(), Ordering::Relaxed);
    });
    assert_eq!(cells.into_inner(), 2);
    let cells = AtomicUsize::new(0);
    pool.forall_3d(
        [usize::MAX - 10..usize::MAX, 0..3, 5..9],
        [usize::MAX, 2, usize::MAX - 1],
        |t| {
            cells.fetch_add(t.iter().map(|r| r.len()).product(), Ordering::Relaxed);
        },
    );
    assert_eq!(cells.into_inner(), 10 * 3 * 4);
}

#[test]
fn a_4d_loop_whose_tile_count_overflows_panics_with_a_message() {
    let pool = ThreadPool::new(2).unwrap();
    let ran = AtomicUsize::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let big = 0..usize::MAX;
        pool.forall_4d([big.clone(), big.clone(), big.clone(), big], [1; 4], |_| {
            ran.fetch_add(1, Ordering::Relaxed);
        })
    }));
    let m = msg(&*r.expect_err("must panic, not return"));
    assert!(m.contains("more tiles than a usize can count"), "{m}");
    assert_eq!(ran.into_inner(), 0);
}

#[test]
fn a_loop_on_a_one_thread_pool_runs_in_that_pool_and_so_does_its_nested_work() {
    let pool = ThreadPool::new(1).unwrap();
    let outside = Mutex::new(HashSet::new());
    let inside = AtomicUsize::new(0);
    pool.forall(0..100, |_| {
        let here = pool.current_thread_index();
        let (a, b) = join(
            || pool.current_thread_index(),
            || pool.current_thread_index(),
        );
        for idx in [here, a, b] {
            match idx {
                Some(_) => inside.fetch_add(1, Ordering::Relaxed),
                None => {
                    outside.lock().unwrap().insert(std::thread::current().id());
                    0
                }
            };
        }
    });
    assert!(
        outside.into_inner().unwrap().is_empty(),
        "work left the pool"
    );
    assert_eq!(inside.into_inner(), 300);
}

#[test]
fn pools_have_distinct_ids_and_handles_carry_theirs() {
    let mut ids = HashSet::new();
    for _ in 0..8 {
        // Built and dropped in turn, so a new pool may reuse the old one's memory.
        let pool = ThreadPool::new(1).unwrap();
        let h = pool.submit(Request::new(|| ()));
        assert_eq!(h.pool_id(), pool.id());
        assert!(ids.insert(pool.id()), "pool ids are never reused");
        h.wait().unwrap();
    }
}

#[test]
fn waiting_on_a_handle_from_a_worker_of_another_pool_runs_that_pools_work() {
    within("wait on another pool's worker", || {
        let a = Arc::new(ThreadPool::new(1).unwrap());
        let b = ThreadPool::new(1).unwrap();
        let a2 = a.clone();
        // B's only worker waits for a request of A that installs back into B.
        let bb = Arc::new(b);
        let b2 = bb.clone();
        let v = bb.install(move || {
            let b3 = b2.clone();
            a2.submit(Request::new(move || b3.install(|| 3)))
                .wait()
                .unwrap()
                .value
        });
        assert_eq!(v, 3);
    });
}

#[test]
fn waiting_on_a_request_suspended_beneath_the_wait_panics_instead_of_hanging() {
    within("a request waits for itself", || {
        let pool = ThreadPool::new(1).unwrap();
        let cell: Arc<Mutex<Option<ontime_core::RequestHandle<()>>>> = Arc::default();
        let (tx, rx) = mpsc::channel();
        let c = cell.clone();
        let h = pool.submit(Request::new(move || loop {
            // Spin until the submitter has handed the request its own handle.
            let me = c.lock().unwrap().take();
            if let Some(me) = me {
                let r = catch_unwind(AssertUnwindSafe(|| me.wait()));
                tx.send(r.map(|_| ()).map_err(|p| msg(&*p))).unwrap();
                break;
            }
            std::thread::yield_now();
        }));
        *cell.lock().unwrap() = Some(h);
        let m = rx
            .recv()
            .unwrap()
            .expect_err("waiting on itself must panic, not hang");
        assert!(m.contains("would never finish"), "{m}");
        assert!(m.contains(&format!("pool #{}", pool.id())), "{m}");
    });
}
