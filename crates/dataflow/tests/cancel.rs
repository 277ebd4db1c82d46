//! A graph run inside a cancelled request: a loop in a task unwinds, and the run goes on
//! unwinding to the request's root (the handle resolves `Cancelled`, not as a task's panic).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ontime_core::{Request, ThreadPoolBuilder};
use ontime_dataflow::common::FnTask;
use ontime_dataflow::multiple_uses::GraphBuilder;
use ontime_dataflow::{In, ReceiverOnce, Scheduler};

#[test]
fn a_graph_in_a_cancelled_request_unwinds_to_the_request() {
    let panics = Arc::new(AtomicUsize::new(0));
    let p = panics.clone();
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(2)
            .panic_handler(move |_| {
                p.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap(),
    );
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let mut g = GraphBuilder::new();
    let (_x, x_rx) = g.input(1u64);
    g.task(
        FnTask::new(move |_: &dyn Scheduler, (x,): (In<u64>,), ()| {
            let _ = x.recv_once();
            let _ = tx.lock().unwrap().send(());
            // Only the cancellation should end this (bounded, so a broken one fails).
            let end = Instant::now() + Duration::from_secs(30);
            while Instant::now() < end {
                ontime_core::forall(0..1 << 12, |_| std::thread::yield_now());
            }
        }),
        (x_rx,),
        (),
    );
    let mut graph = g.build().unwrap();
    let inner = pool.clone();
    let h = pool.submit(Request::new(move || {
        let r = graph.run_parallel(&inner);
        // Never reached: the run unwinds.
        r.is_ok()
    }));
    rx.recv().unwrap();
    assert!(h.cancel());
    let err = h.wait().unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(panics.load(Ordering::SeqCst), 0);
}
