//! `run_parallel_n`: n whole runs in one entry into the pool.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ontime_dataflow::common::FnTask;
use ontime_dataflow::multiple_uses::GraphBuilder;
use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler, SenderOnce};

/// A one-node graph counting its runs in `runs`; it panics on run `fail_at` (1-based).
fn counter(runs: Arc<AtomicU64>, fail_at: u64) -> ontime_dataflow::multiple_uses::Graph {
    let mut g = GraphBuilder::new();
    let (_x, x_rx) = g.input(1u64);
    let (t_tx, _t_rx) = g.port::<u64>();
    g.task(
        FnTask::new(
            move |_: &dyn Scheduler, (x,): (In<u64>,), (t,): (Out<'_, u64>,)| {
                let n = runs.fetch_add(x.recv_once().unwrap(), Ordering::SeqCst) + 1;
                assert!(n != fail_at, "run {n} fails");
                t.send_once(n).unwrap();
            },
        ),
        (x_rx,),
        (t_tx,),
    );
    g.build().unwrap()
}

#[test]
fn n_runs_each_deliver_the_inputs_again_and_keep_node_state() {
    let pool = ontime_core::ThreadPool::new(2).unwrap();
    let runs = Arc::new(AtomicU64::new(0));
    let mut graph = counter(runs.clone(), u64::MAX);
    let report = graph.run_parallel_n(&pool, 0).unwrap();
    assert_eq!((report.executed, runs.load(Ordering::SeqCst)), (0, 0));
    let report = graph.run_parallel_n(&pool, 250).unwrap();
    assert_eq!((report.executed, runs.load(Ordering::SeqCst)), (1, 250));
    // From inside the pool too.
    pool.install(|| graph.run_parallel_n(&pool, 10)).unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 260);
}

#[test]
fn the_first_failing_run_stops_the_series_and_the_graph_runs_again() {
    let pool = ontime_core::ThreadPool::new(2).unwrap();
    let runs = Arc::new(AtomicU64::new(0));
    let mut graph = counter(runs.clone(), 3);
    let err = graph.run_parallel_n(&pool, 10).unwrap_err();
    assert!(err.to_string().contains("run 3 fails"), "{err}");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "no run after the failing one"
    );
    assert_eq!(graph.run_parallel_n(&pool, 2).unwrap().executed, 1);
    assert_eq!(runs.load(Ordering::SeqCst), 5);
}
