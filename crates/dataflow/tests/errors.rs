//! Bad input: cycles, double writes, panics, nodes that never become active, foreign handles.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::pool;
use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::{
    multiple_uses, single_use, BuildError, Out, PortError, Scheduler, SenderOnce,
};

#[test]
fn a_cycle_in_a_single_use_graph_is_a_build_error_naming_the_cycle() {
    let mut g = single_use::GraphBuilder::new();
    let (a_tx, a_rx) = g.port::<u32>();
    let (b_tx, b_rx) = g.port::<u32>();
    let x = g.input(1u32);
    let head = g.task(StrictTask::new(|_x: u32| ()), (x,), ());
    let a = g.task(StrictTask::new(|x: u32| (x,)), (b_rx,), (a_tx,));
    let b = g.task(StrictTask::new(|x: u32| (x,)), (a_rx,), (b_tx,));
    g.name(a, "ping").name(b, "pong").name(head, "head");
    let err = g.build().unwrap_err();
    let BuildError::Cycle { nodes, path } = &err;
    assert_eq!(nodes.len(), 2);
    assert!(nodes.contains(&a) && nodes.contains(&b));
    assert!(path.contains("ping") && path.contains("pong"), "{path}");
    assert!(err.to_string().contains("may not have cycles"), "{err}");
}

#[test]
fn a_control_self_loop_is_a_cycle_too() {
    let mut g = single_use::GraphBuilder::new();
    let a = g.task(StrictTask::new(|| ()), (), ());
    g.precede(a, a);
    assert!(matches!(g.build(), Err(BuildError::Cycle { .. })));
}

#[test]
fn a_second_write_before_the_reader_ran_fails_with_a_clear_message() {
    // `src` runs twice (two activations via a seeded self-loop) before `sink` can run,
    // because `sink` also waits for `gate`, which is written only at the very end.
    let mut g = multiple_uses::GraphBuilder::new();
    let (loop_tx, loop_rx) = g.port::<u32>();
    let (data_tx, data_rx) = g.port::<u32>();
    let (gate_tx, gate_rx) = g.port::<u32>();
    g.initial(&loop_tx, 0);
    let src = g.task(
        FnTask::new(
            |_s: &dyn Scheduler,
             (i,): (ontime_dataflow::In<u32>,),
             (again, data, gate): (Out<'_, u32>, Out<'_, u32>, Out<'_, u32>)| {
                use ontime_dataflow::ReceiverOnce;
                let i = i.recv_once().unwrap();
                if let Err(e) = data.send_once(i) {
                    panic!("{e}");
                }
                if i < 1 {
                    again.send_once(i + 1).unwrap();
                } else {
                    gate.send_once(0).unwrap();
                }
            },
        ),
        (loop_rx,),
        (loop_tx, data_tx, gate_tx),
    );
    g.name(src, "source");
    g.task(
        StrictTask::new(|_a: u32, _g: u32| ()),
        (data_rx, gate_rx),
        (),
    );
    let mut graph = g.build().unwrap();
    let err = graph.run_sequential().unwrap_err();
    assert_eq!(err.node().id, src);
    assert!(
        err.message()
            .contains("written twice before its reader ran"),
        "{}",
        err.message()
    );
    assert!(err.to_string().contains("source"), "{err}");
    // The graph runs again (cells are emptied at the start of a run) and fails the same way.
    let err = graph.run_parallel(&pool(2)).unwrap_err();
    assert!(err.message().contains("written twice"));
}

#[test]
fn reading_an_empty_port_is_a_clear_error() {
    let (_tx, rx) = ontime_dataflow::Port::<u8>::split();
    let e = rx.take().unwrap_err();
    assert_eq!(e, PortError::Empty(None));
    assert_eq!(e.to_string(), "port was read while empty");
}

#[test]
fn a_panicking_task_fails_the_run_runs_nothing_twice_and_leaves_the_pool_usable() {
    let p = pool(2);
    let runs = Arc::new(AtomicUsize::new(0));
    let build = |runs: &Arc<AtomicUsize>| {
        let mut g = single_use::GraphBuilder::new();
        let x = g.input(1u32);
        let (a_tx, a_rx) = g.port::<u32>();
        let (b_tx, b_rx) = g.port::<u32>();
        let r = Arc::clone(runs);
        g.task(
            StrictTask::new(move |x: u32| {
                r.fetch_add(1, Ordering::Relaxed);
                (x + 1,)
            }),
            (x.clone(),),
            (a_tx,),
        );
        let bad = g.task(
            StrictTask::new(|_x: u32| -> (u32,) { panic!("boom in task") }),
            (x,),
            (b_tx,),
        );
        g.name(bad, "bad");
        let r = Arc::clone(runs);
        let after = g.task(
            StrictTask::new(move |a: u32, b: u32| {
                r.fetch_add(1, Ordering::Relaxed);
                std::hint::black_box(a + b);
            }),
            (a_rx, b_rx),
            (),
        );
        (g.build().unwrap(), bad, after)
    };
    for parallel in [false, true] {
        let (g, bad, after) = build(&runs);
        let err = if parallel {
            g.run_parallel(&p)
        } else {
            g.run_sequential()
        }
        .unwrap_err();
        assert_eq!(err.node().id, bad);
        assert_eq!(err.message(), "boom in task");
        assert_eq!(err.report().executed, 2);
        assert_eq!(err.report().never_ran.len(), 1);
        assert_eq!(err.report().never_ran[0].id, after);
        assert_eq!(runs.swap(0, Ordering::Relaxed), 1, "the good task ran once");
    }
    assert_eq!(p.install(|| 40 + 2), 42);
}

#[test]
fn nodes_that_never_become_active_are_reported_by_name() {
    let mut g = single_use::GraphBuilder::new();
    let (_never_tx, never_rx) = g.port::<u32>();
    let x = g.input(5u32);
    let (y_tx, y_rx) = g.port::<u32>();
    g.task(StrictTask::new(|x: u32| (x * 2,)), (x,), (y_tx,));
    let stuck = g.task(StrictTask::new(|_a: u32, _b: u32| ()), (y_rx, never_rx), ());
    g.name(stuck, "stuck");
    let report = g.build().unwrap().run_parallel(&pool(2)).unwrap();
    assert!(!report.is_complete());
    assert_eq!(report.executed, 1);
    assert_eq!(report.never_ran.len(), 1);
    assert_eq!(report.never_ran[0].id, stuck);
    assert!(report.to_string().contains("stuck"), "{report}");
}

#[test]
#[should_panic(expected = "belongs to another graph builder")]
fn a_handle_from_another_builder_is_refused() {
    let mut g1 = single_use::GraphBuilder::new();
    let mut g2 = single_use::GraphBuilder::new();
    let x = g1.input(1u32);
    g2.task(StrictTask::new(|_x: u32| ()), (x,), ());
}

#[test]
fn to_dot_shows_names_ports_and_control_edges() {
    let mut g = single_use::GraphBuilder::new();
    let x = g.input(1u32);
    let (y_tx, y_rx) = g.port::<u32>();
    let a = g.task(StrictTask::new(|x: u32| (x,)), (x,), (y_tx,));
    let b = g.task(StrictTask::new(|_y: u32| ()), (y_rx,), ());
    let c = g.task(StrictTask::new(|| ()), (), ());
    g.name(a, "double \"it\"").name(b, "sink");
    g.precede(b, c);
    let dot = g.build().unwrap().to_dot();
    assert!(dot.starts_with("digraph dataflow {"), "{dot}");
    assert!(dot.contains("n0 [label=\"double \\\"it\\\"\"]"), "{dot}");
    assert!(dot.contains("n1 [label=\"sink\"]"), "{dot}");
    assert!(dot.contains("n0 -> n1 [label=\"p1\"]"), "{dot}");
    assert!(dot.contains("n1 -> n2 [style=dashed]"), "{dot}");
    assert!(dot.contains("in0 -> n0"), "{dot}");
}

/// A multiple-use graph whose only node, while running, schedules itself `times` times and
/// counts how many of its runs overlap.
fn self_scheduler(times: usize, overlap: Arc<AtomicUsize>) -> multiple_uses::Graph {
    let running = Arc::new(AtomicUsize::new(0));
    let mut g = multiple_uses::GraphBuilder::new();
    let me = g.task(
        FnTask::new(move |s: &dyn Scheduler, (): (), (): ()| {
            if running.fetch_add(1, Ordering::SeqCst) > 0 {
                overlap.fetch_add(1, Ordering::SeqCst);
            }
            for _ in 0..times {
                s.schedule(ontime_dataflow::NodeId::from_index(0));
            }
            // Long enough for a thief to start a second copy, if one were queued.
            std::thread::sleep(std::time::Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
        }),
        (),
        (),
    );
    assert_eq!(me.index(), 0);
    g.build().unwrap()
}

#[test]
fn a_task_that_schedules_a_running_node_gets_a_run_error_and_no_second_copy_runs() {
    let p = pool(2);
    for parallel in [false, true] {
        let overlap = Arc::new(AtomicUsize::new(0));
        let mut g = self_scheduler(2, overlap.clone());
        let err = if parallel {
            g.run_parallel(&p)
        } else {
            g.run_sequential()
        }
        .unwrap_err();
        assert!(
            err.message()
                .contains("was scheduled while it was queued or running"),
            "{}",
            err.message()
        );
        assert_eq!(
            err.node().id.index(),
            0,
            "blames the node whose task called schedule"
        );
        assert_eq!(
            err.report().executed,
            1,
            "the refused schedules ran nothing"
        );
        assert_eq!(
            overlap.load(Ordering::SeqCst),
            0,
            "the node never ran alongside itself"
        );
    }
    assert_eq!(p.install(|| 40 + 2), 42);
}

#[test]
fn a_bad_node_id_from_a_task_is_a_run_error_not_a_panic() {
    let p = pool(2);
    type Misuse = fn(&dyn Scheduler);
    let misuses: [(&str, Misuse); 2] = [
        ("schedule", |s| {
            s.schedule(ontime_dataflow::NodeId::from_index(999))
        }),
        ("activator", |s| {
            s.activator(ontime_dataflow::NodeId::from_index(999))
                .notify(s);
        }),
    ];
    for (what, misuse) in misuses {
        for parallel in [false, true] {
            let mut g = single_use::GraphBuilder::new();
            g.task(
                FnTask::new(move |s: &dyn Scheduler, (): (), (): ()| misuse(s)),
                (),
                (),
            );
            let g = g.build().unwrap();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if parallel {
                    g.run_parallel(&p)
                } else {
                    g.run_sequential()
                }
            }));
            let err = r
                .unwrap_or_else(|_| panic!("{what}: the run itself panicked"))
                .unwrap_err();
            assert!(
                err.message()
                    .contains("there is no node #999 in this graph (it has 1 nodes)"),
                "{what}: {}",
                err.message()
            );
        }
    }
}

#[test]
fn a_port_error_names_the_port_and_the_nodes_on_it() {
    use ontime_dataflow::{In, Out, ReceiverOnce, SenderOnce};
    let mut g = ontime_dataflow::multiple_uses::GraphBuilder::new();
    let (loop_tx, loop_rx) = g.port::<u32>();
    let (c_tx, c_rx) = g.port::<u32>();
    let (never_tx, never_rx) = g.port::<u32>();
    g.name_port(c_tx.port(), "carry");
    g.initial(&loop_tx, 0);
    // Writes `carry` every lap, but its reader also waits for a port nobody writes: the
    // second lap's write finds the first value still there.
    let adder = g.task(
        FnTask::new(
            |_: &dyn Scheduler, (n,): (In<u32>,), (again, c): (Out<'_, u32>, Out<'_, u32>)| {
                let n = n.recv_once().unwrap();
                if n < 3 {
                    again.send_once(n + 1).unwrap();
                }
                c.send_once(n).unwrap();
            },
        ),
        (loop_rx,),
        (loop_tx, c_tx),
    );
    let join = g.task(StrictTask::new(|_c: u32, _n: u32| ()), (c_rx, never_rx), ());
    g.name(adder, "adder");
    g.name(join, "join");
    let _ = never_tx; // no producer: `join` never gets its second input
    let dot = g.to_dot();
    assert!(dot.contains("p1 carry"), "{dot}");
    let mut graph = g.build().unwrap();
    for err in [
        graph.run_sequential().unwrap_err(),
        graph.run_parallel(&pool(2)).unwrap_err(),
    ] {
        assert!(
            err.message()
                .contains("port #1 (carry: adder (node #0) → join (node #1))"),
            "{}",
            err.message()
        );
        assert!(err.message().contains("written twice"), "{}", err.message());
    }
}
