//! A counting global allocator proves that building a single-use graph again on the same
//! thread allocates nothing per task: the nodes go into the arena the previous graph left
//! behind, the port table and the slots reuse its buffers (`graph/spare.rs`).

mod common;
mod counting;

use std::sync::atomic::Ordering;

use counting::{track_this_thread, Counting, ALLOCS};

use ontime_dataflow::common::StrictTask;
use ontime_dataflow::single_use;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Builds and runs a chain of `n` tasks, each also fanning its value out to a side task
/// (two readers per port); returns the chain's last value.
fn chain(n: u64) -> u64 {
    let mut g = single_use::GraphBuilder::new();
    let (tx, mut rx) = g.port::<u64>();
    g.task(StrictTask::new(|| (0u64,)), (), (tx,));
    for i in 1..n {
        let (tx, next) = g.port::<u64>();
        g.task(
            StrictTask::new(move |x: u64| (x + i,)),
            (rx.clone(),),
            (tx,),
        );
        g.task(StrictTask::new(|x: u64| assert!(x < u64::MAX)), (rx,), ());
        rx = next;
    }
    let out = g.output(rx);
    let report = g.build().unwrap().run_sequential().unwrap();
    assert!(report.is_complete());
    out.take().unwrap()
}

#[test]
fn building_the_same_shape_again_allocates_nothing_per_task() {
    track_this_thread();
    let n = 2000;
    let want = n * (n - 1) / 2;
    // The first graph on this thread allocates its buffers; it leaves them behind.
    assert_eq!(chain(n), want);
    assert_eq!(chain(n), want);
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..10 {
        assert_eq!(chain(n), want);
    }
    let per_graph = (ALLOCS.load(Ordering::Relaxed) - before) / 10;
    // 4000 tasks and 2000 ports per graph: what remains is a handful of per-graph blocks
    // (the graph output, the roots, the ready stack, the input counts), not per task.
    assert!(
        per_graph < 40,
        "{per_graph} allocations per graph of {} tasks",
        2 * n - 1
    );
}
