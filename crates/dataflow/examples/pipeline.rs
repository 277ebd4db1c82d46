//! A pipeline on a multiple-use graph: a source emits items 0..N; three stages transform
//! them; a sink folds a checksum. Stages work on different items at once. Every hop is a
//! bounded port of capacity `CAPACITY`, so a stage never runs more than that many items
//! ahead of the next one: the backpressure comes from the ports, with no credit ports.
//!
//! `cargo run --release -p ontime-dataflow --example pipeline`

use ontime_dataflow::common::FnTask;
use ontime_dataflow::multiple_uses::{Graph, GraphBuilder};
use ontime_dataflow::{In, Out, PortReceiver, ReceiverOnce, Rx, Scheduler, SenderOnce};

const ITEMS: u64 = 20_000;
/// Items in flight on each hop.
const CAPACITY: usize = 2;

fn stage_fn(k: u64) -> impl Fn(u64) -> u64 + Send + Copy {
    move |x| {
        x.wrapping_mul(6364136223846793005)
            .wrapping_add(k)
            .rotate_left(17)
    }
}

/// One stage: takes an item, sends the transformed item onward.
fn add_stage(
    g: &mut GraphBuilder,
    name: &str,
    item: Rx<u64>,
    f: impl Fn(u64) -> u64 + Send + 'static,
) -> Rx<u64> {
    let (out, next) = g.bounded_port::<u64>(CAPACITY);
    let id = g.task(
        FnTask::new(
            move |_s: &dyn Scheduler, (x,): (In<u64>,), (next,): (Out<'_, u64>,)| {
                let x = x.recv_once().expect("item");
                next.send_once(f(x)).expect("item onward");
            },
        ),
        (item,),
        (out,),
    );
    g.name(id, name);
    next
}

fn pipeline() -> (Graph, PortReceiver<(u64, u64)>) {
    let mut g = GraphBuilder::new();
    // Source: a self-loop counting items; it runs only while its output has room.
    let (count_tx, count_rx) = g.port::<u64>();
    let (item0_tx, item0_rx) = g.bounded_port::<u64>(CAPACITY);
    g.initial(&count_tx, 0);
    let src = g.task(
        FnTask::new(
            |_s: &dyn Scheduler, (i,): (In<u64>,), (again, item): (Out<'_, u64>, Out<'_, u64>)| {
                let i = i.recv_once().expect("count");
                item.send_once(i).expect("item");
                if i + 1 < ITEMS {
                    again.send_once(i + 1).expect("count");
                }
            },
        ),
        (count_rx,),
        (count_tx, item0_tx),
    );
    g.name(src, "source");
    // Stages 1..=3.
    let mut item = item0_rx;
    for k in 1..=3u64 {
        item = add_stage(&mut g, &format!("stage{k}"), item, stage_fn(k));
    }
    // Sink: folds the checksum; reports after the last item.
    let (res_tx, res_rx) = g.port::<(u64, u64)>();
    let mut seen = 0u64;
    let mut sum = 0u64;
    let sink = g.task(
        FnTask::new(
            move |_s: &dyn Scheduler, (x,): (In<u64>,), (res,): (Out<'_, (u64, u64)>,)| {
                sum = sum.wrapping_add(x.recv_once().expect("item"));
                seen += 1;
                if seen % ITEMS == 0 {
                    res.send_once((seen, sum)).expect("result");
                    (seen, sum) = (0, 0);
                }
            },
        ),
        (item,),
        (res_tx,),
    );
    g.name(sink, "sink");
    let out = g.output(res_rx);
    (g.build().expect("graph"), out)
}

fn main() {
    let want = (0..ITEMS).fold(0u64, |acc, i| {
        acc.wrapping_add(stage_fn(3)(stage_fn(2)(stage_fn(1)(i))))
    });
    let (mut graph, result) = pipeline();
    graph.run_sequential().expect("no stage panics");
    assert_eq!(result.take(), Ok((ITEMS, want)));
    let pool = ontime_core::ThreadPool::new(2).expect("pool");
    let report = graph.run_parallel(&pool).expect("no stage panics");
    assert_eq!(result.take(), Ok((ITEMS, want)));
    println!(
        "pipeline: {ITEMS} items through source, 3 stages and sink ({} task runs); \
         checksum {want:#018x}: checked (sequential and 2-thread parallel agree)",
        report.executed
    );
}

#[test]
fn example_runs_and_checks_its_result() {
    main();
}
