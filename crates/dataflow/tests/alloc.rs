//! A counting global allocator proves that running a multiple-use graph again allocates
//! nothing: not per run, not per node execution (a cycle re-runs nodes many times per run).

mod common;
mod counting;

use counting::{assert_reruns_allocate_nothing, Counting};

use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::{multiple_uses, In, Out, ReceiverOnce, Scheduler, SenderOnce};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A cycle of `laps` laps: `source` emits the lap number to a diamond (fan-out to two tasks,
/// joined), and the join sends the next lap back to `source`, so each lap waits for the last.
fn graph(laps: u32) -> (multiple_uses::Graph, ontime_dataflow::PortReceiver<u64>) {
    let mut g = multiple_uses::GraphBuilder::new();
    let (back_tx, back_rx) = g.port::<u32>();
    let (x_tx, x_rx) = g.port::<u64>();
    let (a_tx, a_rx) = g.port::<u64>();
    let (b_tx, b_rx) = g.port::<u64>();
    let (s_tx, s_rx) = g.port::<u64>();
    g.initial(&back_tx, 0);
    g.task(
        StrictTask::new(|i: u32| (u64::from(i),)),
        (back_rx,),
        (x_tx,),
    );
    g.task(StrictTask::new(|x: u64| (x + 1,)), (x_rx.clone(),), (a_tx,));
    g.task(StrictTask::new(|x: u64| (x * 2,)), (x_rx,), (b_tx,));
    let mut total = 0u64;
    g.task(
        FnTask::new(
            move |_s: &dyn Scheduler,
                  (a, b): (In<u64>, In<u64>),
                  (back, sum): (Out<'_, u32>, Out<'_, u64>)| {
                let (a, b) = (a.recv_once().unwrap(), b.recv_once().unwrap());
                total += a + b;
                let lap = (a - 1) as u32;
                if lap + 1 < laps {
                    back.send_once(lap + 1).unwrap();
                } else {
                    sum.send_once(total).unwrap();
                }
            },
        ),
        (a_rx, b_rx),
        (back_tx, s_tx),
    );
    let out = g.output(s_rx);
    (g.build().unwrap(), out)
}

#[test]
fn rerunning_a_multiple_use_graph_allocates_nothing() {
    let (mut g, out) = graph(1000);
    assert_reruns_allocate_nothing(&mut g, 4000, || assert!(out.take().is_ok()));
}
