//! A graph with bounded ports allocates nothing when it runs again (its rings are built with
//! the graph). Its own test binary: the allocation counter is global to a binary, so a test
//! running beside it would be counted too.

mod common;
mod counting;

use counting::{assert_reruns_allocate_nothing, Counting};

use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::{multiple_uses, In, Out, ReceiverOnce, Scheduler, SenderOnce};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A pipeline over bounded ports (`bounded_port`): its rings are built with the graph, so
/// running it again allocates nothing either.
#[test]
fn rerunning_a_graph_with_bounded_ports_allocates_nothing() {
    let mut g = multiple_uses::GraphBuilder::new();
    let (next_tx, next_rx) = g.port::<u64>();
    let (item_tx, item_rx) = g.bounded_port::<u64>(2);
    let (mid_tx, mid_rx) = g.bounded_port::<u64>(1);
    let (sum_tx, sum_rx) = g.port::<u64>();
    g.initial(&next_tx, 0);
    g.task(
        FnTask::new(
            |_s: &dyn Scheduler, (i,): (In<u64>,), (next, item): (Out<'_, u64>, Out<'_, u64>)| {
                let i = i.recv_once().unwrap();
                item.send_once(i).unwrap();
                if i + 1 < 1000 {
                    next.send_once(i + 1).unwrap();
                }
            },
        ),
        (next_rx,),
        (next_tx, item_tx),
    );
    g.task(StrictTask::new(|x: u64| (x * 3,)), (item_rx,), (mid_tx,));
    let mut total = 0;
    let mut seen = 0;
    g.task(
        FnTask::new(
            move |_s: &dyn Scheduler, (x,): (In<u64>,), (sum,): (Out<'_, u64>,)| {
                total += x.recv_once().unwrap();
                seen += 1;
                if seen % 1000 == 0 {
                    sum.send_once(std::mem::take(&mut total)).unwrap();
                }
            },
        ),
        (mid_rx,),
        (sum_tx,),
    );
    let out = g.output(sum_rx);
    let mut g = g.build().unwrap();
    assert_reruns_allocate_nothing(&mut g, 3000, || {
        assert_eq!(out.take(), Ok(3 * 999 * 1000 / 2))
    });
}
