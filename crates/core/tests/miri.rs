//! Small versions of the runtime's unsafe protocols, sized for Miri (`cargo xtask miri`
//! runs this file under Miri with tree borrows; `cargo test` runs it natively too):
//! stolen and promoted forks on stack frames, borrowing scopes, a job slot that re-queues
//! itself, cross-pool latches, a handle's latch on a waiting worker, a contained hook panic.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ontime_core::{
    JobSlot, Request, Scope, ShareView, SlotTask, StealPolicy, ThreadPool, ThreadPoolBuilder,
};

fn pool(n: usize) -> ThreadPool {
    // A short heartbeat, so forks get promoted and stolen even in a short run.
    ThreadPoolBuilder::new()
        .num_threads(n)
        .heartbeat(Duration::from_micros(1))
        .build()
        .unwrap()
}

use common::fib;

#[test]
fn joins_with_promotions_and_steals_borrow_their_frames_soundly() {
    let p = pool(2);
    assert_eq!(p.install(|| fib(10)), 55);
    let mut v = vec![0u64; 64];
    p.install(|| common::fill(&mut v, 0, 4));
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
}

#[test]
fn scopes_borrow_and_nest() {
    let p = pool(2);
    let mut cells = vec![0usize; 16];
    let total = AtomicUsize::new(0);
    p.scope(|s| {
        for (i, c) in cells.iter_mut().enumerate() {
            let total = &total;
            s.spawn(move |s| {
                *c = i;
                s.spawn(move |_| {
                    total.fetch_add(i, Ordering::Relaxed);
                });
            });
        }
    });
    assert_eq!(cells, (0..16).collect::<Vec<_>>());
    assert_eq!(total.into_inner(), (0..16).sum());
}

struct Again {
    runs: AtomicUsize,
    me: AtomicUsize,
}

impl SlotTask for Again {
    fn run(&self, scope: &Scope<'_>) {
        if self.runs.fetch_add(1, Ordering::Relaxed) + 1 < 20 {
            // SAFETY: `me` holds the address of the slot this task lives in, which outlives
            // the scope (it is borrowed by `spawn_slot` below for the scope's lifetime).
            let slot = unsafe { &*(self.me.load(Ordering::Relaxed) as *const JobSlot<Again>) };
            scope.spawn_slot(slot);
        }
    }
}

#[test]
fn a_job_slot_requeues_itself() {
    let p = pool(2);
    let slot = JobSlot::new(Again {
        runs: AtomicUsize::new(0),
        me: AtomicUsize::new(0),
    });
    slot.task()
        .me
        .store(&slot as *const JobSlot<Again> as usize, Ordering::Relaxed);
    p.scope(|s| s.spawn_slot(&slot));
    assert_eq!(slot.task().runs.load(Ordering::Relaxed), 20);
}

#[test]
fn cross_pool_latches_and_handle_latches() {
    let a = Arc::new(pool(1));
    let b = Arc::new(pool(1));
    let (a2, b2) = (a.clone(), b.clone());
    let v = a.install(move || {
        let a3 = a2.clone();
        b2.install(move || a3.install(|| fib(6)))
    });
    assert_eq!(v, 8);
    let a2 = a.clone();
    let w = a.install(move || a2.submit(Request::new(|| fib(7))).wait().unwrap().value);
    assert_eq!(w, 13);
}

#[derive(Debug)]
struct PanickyShare;
impl StealPolicy for PanickyShare {
    fn name(&self) -> &str {
        "panicky-share"
    }
    fn may_share(&self, _: &ShareView) -> bool {
        panic!("may_share")
    }
}

#[test]
fn a_panicking_hook_is_contained_without_unsoundness() {
    let p = ThreadPoolBuilder::new()
        .num_threads(2)
        .heartbeat(Duration::from_micros(1))
        .policy(PanickyShare)
        .panic_handler(|_| {})
        .build()
        .unwrap();
    assert_eq!(p.install(|| fib(9)), 34);
}
