//! Reactive signals: listeners run once per emission, an emitter that outruns its listener
//! fails the run with a clear error (never a lost instant), and builder misuse is refused.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::pool;
use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::{
    multiple_uses, single_use, In, Out, ReceiverOnce, RunErrorKind, Scheduler, SenderOnce,
};

/// A clock that emits `tick` every lap for `laps` laps without waiting for its listener.
fn runaway_clock(laps: u64) -> (multiple_uses::Graph, Arc<AtomicU64>) {
    let mut g = multiple_uses::GraphBuilder::new();
    let tick = g.signal();
    let emit = g.emitter(tick);
    let (lap_tx, lap_rx) = g.port::<u64>();
    g.initial(&lap_tx, 0);
    g.task(
        FnTask::new(
            move |s: &dyn Scheduler, (lap,): (In<u64>,), (next,): (Out<'_, u64>,)| {
                let lap = lap.recv_once().unwrap() + 1;
                emit.emit(s);
                if lap < laps {
                    next.send_once(lap).unwrap();
                }
            },
        ),
        (lap_rx,),
        (lap_tx,),
    );
    let heard = Arc::new(AtomicU64::new(0));
    let h = heard.clone();
    let listener = g.task(
        FnTask::new(move |_: &dyn Scheduler, (), ()| {
            h.fetch_add(1, Ordering::SeqCst);
        }),
        (),
        (),
    );
    g.on(tick, listener);
    g.name(listener, "listener");
    (g.build().unwrap(), heard)
}

#[test]
fn an_emitter_that_outruns_its_listener_fails_the_run_instead_of_losing_instants() {
    // Sequentially the clock's loop runs first (the ready stack is last-in first-out): its
    // third tick finds the listener still queued with one tick in hand.
    let (mut graph, _heard) = runaway_clock(100);
    let err = graph.run_sequential().unwrap_err();
    assert_eq!(err.kind(), RunErrorKind::TaskPanicked);
    assert!(
        err.message()
            .contains("emitted again before node #1, which awaits it"),
        "{}",
        err.message()
    );
    // In parallel the listener may keep up or not: either every tick is heard, or the run
    // fails with the same error; never fewer ticks heard without an error.
    let (mut graph, heard) = runaway_clock(100);
    match graph.run_parallel(&pool(2)) {
        Ok(_) => assert_eq!(heard.load(Ordering::SeqCst), 100),
        Err(e) => assert!(e.message().contains("emitted again"), "{e}"),
    }
}

#[test]
fn one_emission_runs_every_listener_once_in_a_single_use_graph() {
    for parallel in [false, true] {
        let mut g = single_use::GraphBuilder::new();
        let go = g.signal();
        let emit = g.emitter(go);
        let emitter = g.task(
            FnTask::new(move |s: &dyn Scheduler, (), ()| emit.emit(s)),
            (),
            (),
        );
        let heard = Arc::new(AtomicU64::new(0));
        for _ in 0..5 {
            let h = heard.clone();
            let n = g.task(
                FnTask::new(move |_: &dyn Scheduler, (), ()| {
                    h.fetch_add(1, Ordering::SeqCst);
                }),
                (),
                (),
            );
            g.on(go, n);
        }
        assert_eq!(g.emitter(go).listeners(), 0, "known once built");
        let graph = g.build().unwrap();
        let report = if parallel {
            graph.run_parallel(&pool(2))
        } else {
            graph.run_sequential()
        }
        .unwrap();
        assert_eq!(heard.load(Ordering::SeqCst), 5);
        assert_eq!(report.executed, 6);
        let _ = emitter;
    }
}

#[test]
fn a_listener_with_a_data_input_runs_once_both_are_in() {
    let mut g = single_use::GraphBuilder::new();
    let go = g.signal();
    let emit = g.emitter(go);
    let x = g.input(20u32);
    let (y_tx, y_rx) = g.port::<u32>();
    g.task(
        FnTask::new(move |s: &dyn Scheduler, (), ()| emit.emit(s)),
        (),
        (),
    );
    let add = g.task(StrictTask::new(|x: u32| (x + 1,)), (x,), (y_tx,));
    g.on(go, add);
    let out = g.output(y_rx);
    g.build().unwrap().run_parallel(&pool(2)).unwrap();
    assert_eq!(out.take(), Ok(21));
}

#[test]
#[should_panic(expected = "belongs to another graph")]
fn a_signal_of_another_builder_is_refused() {
    let mut a = single_use::GraphBuilder::new();
    let s = a.signal();
    let mut b = single_use::GraphBuilder::new();
    let n = b.task(StrictTask::new(|| ()), (), ());
    b.on(s, n);
}
