//! Dropping a single-use graph that ran skips the nodes whose drop is a no-op
//! (`engine/README.md`, "Dropping a single-use graph"). This proves nothing is leaked or
//! dropped twice: a global allocator counts the live allocations of this thread, and
//! `Arc`-counted values count drops. The graph mixes everything a node can own after it ran:
//! ports with three readers (targets on the heap), graph outputs, a gather node, a node that
//! never runs, and a task that panics.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::single_use::GraphBuilder;
use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler};

/// Forwards to the system allocator and counts this thread's live allocations.
struct Live;

static LIVE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

fn count(d: isize) {
    if TRACKED.try_with(Cell::get).unwrap_or(false) {
        LIVE.fetch_add(d, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(1);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-1);
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Live = Live;

/// Builds and runs (or only builds, when `run` is false) the mixed graph; returns the token
/// count the nodes held.
fn build_and_maybe_run(token: &Arc<()>, run: bool) {
    let mut g = GraphBuilder::new();
    // A source fanned out to three readers: its port's targets spill to the heap.
    let (tx, rx) = g.port::<u64>();
    g.task(StrictTask::new(|| (7u64,)), (), (tx,));
    let mut parts = Vec::new();
    for k in 0..3u64 {
        let (t, r) = g.port::<u64>();
        let held = token.clone();
        g.task(
            StrictTask::new(move |x: u64| {
                let _ = &held;
                (x + k,)
            }),
            (rx.clone(),),
            (t,),
        );
        parts.push(r);
    }
    // A gather node (boxed cells) feeding a graph output (a sender the port owns).
    let all = g.gather(parts);
    let _out = g.output(all);
    // A node that never runs: its input never comes; its closure holds a token.
    let (_never_tx, never_rx) = g.port::<u64>();
    let held = token.clone();
    g.task(
        FnTask::new(move |_: &dyn Scheduler, (x,): (In<u64>,), ()| {
            let _ = (&held, x.recv_once());
        }),
        (never_rx,),
        (),
    );
    // A task that panics, holding a token (dropped as it unwinds).
    let held = token.clone();
    let (dead_tx, _dead_rx) = g.port::<u64>();
    g.task(
        FnTask::new(move |_: &dyn Scheduler, (), (_o,): (Out<'_, u64>,)| {
            let _ = &held;
            panic!("boom");
        }),
        (),
        (dead_tx,),
    );
    let graph = g.build().unwrap();
    if run {
        let err = graph.run_sequential().unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
    }
}

/// Builds and runs a graph where every node runs and some own nothing after: the path that
/// skips their drop.
fn all_run(token: &Arc<()>) {
    let mut g = GraphBuilder::new();
    let (tx, rx) = g.port::<u64>();
    g.task(StrictTask::new(|| (1u64,)), (), (tx,));
    let mut last = rx;
    for _ in 0..50 {
        let (t, r) = g.port::<u64>();
        let held = token.clone();
        g.task(
            StrictTask::new(move |x: u64| {
                let _ = &held;
                (x + 1,)
            }),
            (last.clone(),),
            (t,),
        );
        // A side node fanned out to three task readers (its targets on the heap, no graph
        // output), and one fanned out to graph outputs.
        let (s, sr) = g.port::<u64>();
        g.task(StrictTask::new(|x: u64| (x,)), (last.clone(),), (s,));
        for _ in 0..3 {
            g.task(StrictTask::new(|_x: u64| ()), (sr.clone(),), ());
        }
        let (o, or) = g.port::<u64>();
        g.task(StrictTask::new(|x: u64| (x,)), (last,), (o,));
        let _o1 = g.output(or.clone());
        let _o2 = g.output(or);
        last = r;
    }
    let out = g.output(last);
    let report = g.build().unwrap().run_sequential().unwrap();
    assert!(report.is_complete());
    assert_eq!(out.take(), Ok(51));
}

#[test]
fn dropping_a_single_use_graph_frees_everything_and_drops_every_value_once() {
    TRACKED.with(|t| t.set(true));
    let token = Arc::new(());
    // Warm up: the first graph leaves its arena and tables to the next one on this thread.
    build_and_maybe_run(&token, true);
    all_run(&token);
    build_and_maybe_run(&token, false);
    let before = LIVE.load(Ordering::Relaxed);
    for _ in 0..5 {
        build_and_maybe_run(&token, true);
        build_and_maybe_run(&token, false);
        all_run(&token);
    }
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "every value a node held was dropped"
    );
    assert_eq!(after, before, "no allocation outlives its graph");
}
