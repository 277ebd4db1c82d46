//! Run control: an activation bound ends a runaway cycle, `stop_on_error` ends a run at its
//! first panic, a `RunCancel` ends it from another thread, and `RunReport::pending` names the
//! nodes a run left holding inputs. The same graphs on every engine give the same outcome.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};

use common::pool;
use ontime_dataflow::common::FnTask;
use ontime_dataflow::{
    multiple_uses, single_use, In, Out, ReceiverOnce, RunCancel, RunErrorKind, RunOptions,
    Scheduler, SenderOnce,
};

/// A counter in a cycle with no exit condition; `on_run` is called with each count.
fn runaway(on_run: impl Fn(u64) + Send + Sync + 'static) -> multiple_uses::Graph {
    let mut g = multiple_uses::GraphBuilder::new();
    let (n_tx, n_rx) = g.port::<u64>();
    g.initial(&n_tx, 0);
    g.task(
        FnTask::new(
            move |_: &dyn Scheduler, (n,): (In<u64>,), (next,): (Out<'_, u64>,)| {
                let n = n.recv_once().unwrap();
                on_run(n);
                next.send_once(n + 1).unwrap();
            },
        ),
        (n_rx,),
        (n_tx,),
    );
    g.name(ontime_dataflow::NodeId::from_index(0), "counter");
    g.build().unwrap()
}

#[test]
fn an_activation_limit_ends_a_runaway_cycle_on_both_multiple_use_engines() {
    let pool = pool(2);
    let mut graph = runaway(|_| {});
    let opts = RunOptions::new().max_activations(500);
    let seq = graph.run_sequential_with(&opts).unwrap_err();
    let par = graph.run_parallel_with(&pool, &opts).unwrap_err();
    for err in [&seq, &par] {
        assert_eq!(err.kind(), RunErrorKind::ActivationLimit);
        assert_eq!(err.report().executed, 500, "exactly the limit ran");
        assert_eq!(err.node().name.as_deref(), Some("counter"));
        assert_eq!(
            err.report().pending.len(),
            1,
            "the skipped node holds its input"
        );
        assert!(err.to_string().contains("limit of 500 task runs"), "{err}");
    }
    // The graph runs again afterwards, with a higher bound.
    let err = graph
        .run_parallel_with(&pool, &RunOptions::new().max_activations(2000))
        .unwrap_err();
    assert_eq!(err.report().executed, 2000);
}

#[test]
fn a_cancel_from_another_thread_ends_a_run() {
    let pool = pool(2);
    for parallel in [false, true] {
        let (tx, rx) = channel();
        let tx = Mutex::new(tx);
        let mut graph = runaway(move |n| {
            if n == 10 {
                let _ = tx.lock().unwrap().send(());
            }
        });
        let cancel = RunCancel::new();
        let c = cancel.clone();
        let canceller = std::thread::spawn(move || {
            rx.recv().unwrap();
            c.cancel();
        });
        // Bounded too, so a broken cancel fails instead of hanging.
        let opts = RunOptions::new()
            .cancel(&cancel)
            .max_activations(100_000_000);
        let err = if parallel {
            graph.run_parallel_with(&pool, &opts)
        } else {
            graph.run_sequential_with(&opts)
        }
        .unwrap_err();
        canceller.join().unwrap();
        assert_eq!(err.kind(), RunErrorKind::Cancelled, "{err}");
        assert!(err.report().executed > 10);
        assert!(err.to_string().contains("cancelled"));
    }
}

/// Ten independent nodes, the third of which panics; returns how many ran.
fn ten_with_a_panic_single() -> (single_use::Graph, Arc<AtomicUsize>) {
    let ran = Arc::new(AtomicUsize::new(0));
    let mut g = single_use::GraphBuilder::new();
    for k in 0..10 {
        let r = ran.clone();
        let x = g.input(k);
        g.task(
            FnTask::new(move |_: &dyn Scheduler, (x,): (In<u32>,), ()| {
                let v = x.recv_once().unwrap();
                r.fetch_add(1, Ordering::SeqCst);
                assert!(v != 2, "node {v} fails");
            }),
            (x,),
            (),
        );
    }
    (g.build().unwrap(), ran)
}

#[test]
fn stop_on_error_ends_a_run_at_its_first_panic() {
    // Without the option every other node still runs.
    let (graph, ran) = ten_with_a_panic_single();
    let err = graph.run_sequential().unwrap_err();
    assert_eq!(
        (err.kind(), ran.load(Ordering::SeqCst)),
        (RunErrorKind::TaskPanicked, 10)
    );
    // With it, no task starts after the panic (sequentially: exactly the ones before it).
    let (graph, ran) = ten_with_a_panic_single();
    let err = graph
        .run_sequential_with(&RunOptions::new().stop_on_error(true))
        .unwrap_err();
    assert_eq!(err.kind(), RunErrorKind::TaskPanicked);
    assert_eq!(err.message(), "node 2 fails");
    let ran_seq = ran.load(Ordering::SeqCst);
    assert!(ran_seq < 10, "ran {ran_seq}");
    assert_eq!(
        err.report().pending.len(),
        10 - ran_seq,
        "the skipped nodes hold their inputs"
    );
    // In parallel, the panic is still the error and the report adds up.
    let (graph, ran) = ten_with_a_panic_single();
    let err = graph
        .run_parallel_with(&pool(2), &RunOptions::new().stop_on_error(true))
        .unwrap_err();
    assert_eq!(err.kind(), RunErrorKind::TaskPanicked);
    let r = err.report();
    assert_eq!(r.executed as usize + r.pending.len(), 10);
    assert_eq!(r.executed as usize, ran.load(Ordering::SeqCst));
}

/// A node with two inputs whose second producer never writes: the run stalls there.
macro_rules! stalled {
    ($module:ident, |$g:ident, $v:ident| $input:expr) => {{
        let mut $g = $module::GraphBuilder::new();
        let $v = 5u32;
        let a_in = $input;
        let (a_tx, a_rx) = $g.port::<u32>();
        let (b_tx, b_rx) = $g.port::<u32>();
        let a = $g.task(
            FnTask::new(
                |_: &dyn Scheduler, (x,): (In<u32>,), (out,): (Out<'_, u32>,)| {
                    out.send_once(x.recv_once().unwrap()).unwrap();
                },
            ),
            (a_in,),
            (a_tx,),
        );
        let $v = 6u32;
        let b_in = $input;
        let b = $g.task(
            // Reads its input and writes nothing: a forgotten send.
            FnTask::new(
                |_: &dyn Scheduler, (x,): (In<u32>,), (_out,): (Out<'_, u32>,)| {
                    let _ = x.recv_once();
                },
            ),
            (b_in,),
            (b_tx,),
        );
        let c = $g.task(
            FnTask::new(|_: &dyn Scheduler, (x, y): (In<u32>, In<u32>), ()| {
                let _ = (x.recv_once(), y.recv_once());
            }),
            (a_rx, b_rx),
            (),
        );
        $g.name(a, "a");
        $g.name(b, "b");
        $g.name(c, "join");
        $g.build().unwrap()
    }};
}

#[test]
fn a_stalled_run_names_the_node_left_holding_inputs_on_every_engine() {
    let pool = pool(2);
    let names = |r: &ontime_dataflow::RunReport| -> (Vec<String>, Vec<String>) {
        let n = |v: &Vec<ontime_dataflow::NodeRef>| v.iter().map(|n| n.to_string()).collect();
        (n(&r.pending), n(&r.never_ran))
    };
    let mut reports = Vec::new();
    reports.push(
        stalled!(single_use, |g, v| g.input(v))
            .run_sequential()
            .unwrap(),
    );
    reports.push(
        stalled!(single_use, |g, v| g.input(v))
            .run_parallel(&pool)
            .unwrap(),
    );
    let mut multi = stalled!(multiple_uses, |g, v| g.input(v).1);
    reports.push(multi.run_sequential().unwrap());
    reports.push(multi.run_parallel(&pool).unwrap());
    for r in &reports {
        let (pending, never) = names(r);
        assert_eq!(pending, ["join (node #2)"], "{r}");
        assert_eq!(never, ["join (node #2)"], "{r}");
        assert_eq!(r.executed, 2);
        assert!(
            r.to_string()
                .contains("left holding inputs: join (node #2)"),
            "{r}"
        );
    }
}

#[test]
fn default_options_change_nothing() {
    let pool = pool(2);
    let mut graph = runaway(|_| {});
    let opts = RunOptions::default();
    assert!(opts.max_activations_limit().is_none());
    let (g2, ran) = ten_with_a_panic_single();
    let err = g2.run_parallel_with(&pool, &opts).unwrap_err();
    assert_eq!(
        (err.kind(), ran.load(Ordering::SeqCst)),
        (RunErrorKind::TaskPanicked, 10)
    );
    assert!(err.report().pending.is_empty());
    let err = graph
        .run_sequential_with(&RunOptions::new().max_activations(3))
        .unwrap_err();
    assert_eq!(err.report().executed, 3);
}
