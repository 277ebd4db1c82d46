//! `Scope::spawn_slot`: allocation-free spawns of owner-stored tasks.

use std::sync::atomic::{AtomicUsize, Ordering};

use ontime_core::{JobSlot, Scope, SlotTask, ThreadPoolBuilder};

/// Re-queues its own slot until it has run `limit` times.
struct Again {
    runs: AtomicUsize,
    limit: usize,
    me: AtomicUsize,
}

impl SlotTask for Again {
    fn run(&self, scope: &Scope<'_>) {
        let n = self.runs.fetch_add(1, Ordering::Relaxed) + 1;
        if n < self.limit {
            let me = self.me.load(Ordering::Relaxed) as *const JobSlot<Again>;
            // SAFETY: the slot lives in the test's frame, which outlives the scope.
            let me: &'static JobSlot<Again> = unsafe { &*me };
            scope.spawn_slot(me);
        }
    }
}

#[test]
fn a_slot_may_requeue_itself_and_the_scope_waits_for_every_run() {
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let slot = JobSlot::new(Again {
        runs: AtomicUsize::new(0),
        limit: 1000,
        me: AtomicUsize::new(0),
    });
    slot.task()
        .me
        .store(&slot as *const JobSlot<Again> as usize, Ordering::Relaxed);
    pool.scope(|s| s.spawn_slot(&slot));
    assert_eq!(slot.task().runs.load(Ordering::Relaxed), 1000);
    assert!(!slot.is_queued());
}

struct Nothing;
impl SlotTask for Nothing {
    fn run(&self, _scope: &Scope<'_>) {}
}

#[test]
fn spawning_a_queued_slot_twice_panics_and_the_first_spawn_still_runs() {
    let pool = ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let slot = JobSlot::new(Nothing);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            s.spawn_slot(&slot);
            s.spawn_slot(&slot);
        })
    }));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<&str>().copied().unwrap_or("");
    assert!(msg.contains("still queued"), "{msg}");
    assert!(!slot.is_queued());
    // The pool still works.
    assert_eq!(pool.install(|| 6 * 7), 42);
}

struct Boom;
impl SlotTask for Boom {
    fn run(&self, _scope: &Scope<'_>) {
        panic!("slot task failed");
    }
}

#[test]
fn a_panicking_slot_task_is_reraised_by_its_scope() {
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let slot = JobSlot::new(Boom);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| s.spawn_slot(&slot))
    }));
    assert!(r.is_err());
    assert!(!slot.is_queued());
    assert_eq!(pool.install(|| 1 + 1), 2);
}
