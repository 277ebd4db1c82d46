//! A reactive stopwatch on a multiple-use graph, with signals instead of ports for control: a
//! clock emits `tick` once per instant; `tenths` awaits `tick` and counts; on every tenth tick
//! it emits `second`, which `seconds` awaits. The instant ends when the reaction has run: the
//! last node to react (`tenths`, or `seconds` on a whole second) emits `ack`, which the clock
//! awaits before its next tick (seeded for the first), as in a synchronous reactive language
//! where the next instant starts once every reaction to this one is done. The clock stops
//! after a set number of ticks.
//!
//! `cargo run --release -p ontime-dataflow --example stopwatch`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ontime_dataflow::common::FnTask;
use ontime_dataflow::multiple_uses::GraphBuilder;
use ontime_dataflow::{In, Out, PortReceiver, ReceiverOnce, Scheduler, SenderOnce};

/// Tenths of a second the watch runs for.
const TICKS: u64 = 1234;

/// The stopwatch: the graph, the tick count it reports at the end, and its two counters.
fn stopwatch(
    ticks: u64,
) -> (
    ontime_dataflow::multiple_uses::Graph,
    PortReceiver<u64>,
    Arc<AtomicU64>,
    Arc<AtomicU64>,
) {
    let mut g = GraphBuilder::new();
    let tick = g.signal();
    let second = g.signal();
    let ack = g.signal();
    let (lap_tx, lap_rx) = g.port::<u64>();
    let (done_tx, done_rx) = g.port::<u64>();
    g.initial(&lap_tx, 0);
    // The clock: one tick per instant, until `ticks` of them.
    let emit_tick = g.emitter(tick);
    let clock = g.task(
        FnTask::new(
            move |s: &dyn Scheduler,
                  (lap,): (In<u64>,),
                  (next, done): (Out<'_, u64>, Out<'_, u64>)| {
                let lap = lap.recv_once().unwrap() + 1;
                emit_tick.emit(s);
                if lap < ticks {
                    next.send_once(lap).unwrap();
                } else {
                    done.send_once(lap).unwrap();
                }
            },
        ),
        (lap_rx,),
        (lap_tx, done_tx),
    );
    g.on_seeded(ack, clock);
    // Tenths: counts ticks; a whole second goes on to `seconds`, which acknowledges it.
    let tenths = Arc::new(AtomicU64::new(0));
    let (t, emit_second, emit_ack) = (tenths.clone(), g.emitter(second), g.emitter(ack));
    let tenths_node = g.task(
        FnTask::new(move |s: &dyn Scheduler, (), ()| {
            let n = t.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 10 == 0 {
                emit_second.emit(s);
            } else if n < ticks {
                emit_ack.emit(s);
            }
        }),
        (),
        (),
    );
    g.on(tick, tenths_node);
    // Seconds: counts whole seconds and ends the instant.
    let seconds = Arc::new(AtomicU64::new(0));
    let (sc, t2, emit_ack) = (seconds.clone(), tenths.clone(), g.emitter(ack));
    let seconds_node = g.task(
        FnTask::new(move |s: &dyn Scheduler, (), ()| {
            sc.fetch_add(1, Ordering::Relaxed);
            if t2.load(Ordering::Relaxed) < ticks {
                emit_ack.emit(s);
            }
        }),
        (),
        (),
    );
    g.on(second, seconds_node);
    g.name(clock, "clock")
        .name(tenths_node, "tenths")
        .name(seconds_node, "seconds");
    let done = g.output(done_rx);
    (g.build().unwrap(), done, tenths, seconds)
}

/// Runs the stopwatch on both multiple-use engines and checks the counts.
fn check() {
    let pool = ontime_core::ThreadPool::new(2).unwrap();
    let (mut graph, done, tenths, seconds) = stopwatch(TICKS);
    for parallel in [false, true] {
        tenths.store(0, Ordering::Relaxed);
        seconds.store(0, Ordering::Relaxed);
        let report = if parallel {
            graph.run_parallel(&pool)
        } else {
            graph.run_sequential()
        }
        .unwrap();
        assert_eq!(done.take(), Ok(TICKS));
        assert_eq!(tenths.load(Ordering::Relaxed), TICKS);
        assert_eq!(seconds.load(Ordering::Relaxed), TICKS / 10);
        assert!(report.pending.is_empty(), "{report}");
        // Every tick ran the clock and the tenths; every tenth tick the seconds too.
        assert_eq!(report.executed, 2 * TICKS + TICKS / 10);
        assert!(report.never_ran.is_empty());
    }
}

fn main() {
    check();
    println!(
        "stopwatch: {TICKS} ticks = {}.{} s, the same on the sequential and the parallel engine",
        TICKS / 10,
        TICKS % 10
    );
}

#[test]
fn stopwatch_counts_ticks_and_seconds_on_both_engines() {
    check();
}
