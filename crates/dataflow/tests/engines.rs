//! Both engines, sequential and parallel, on the same graphs: identical results.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{pool, Rng};
use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::{multiple_uses, single_use, In, Out, ReceiverOnce, Scheduler, SenderOnce};

/// A diamond chain: each stage computes (x + 1, x * 2) on two nodes and joins them. The
/// same wiring for either builder; `$input` makes the graph input's `Rx` from `g` and `x0`.
macro_rules! diamond {
    ($module:ident, $stages:expr, $x0:expr, |$g:ident, $v:ident| $input:expr) => {{
        let mut $g = $module::GraphBuilder::new();
        let $v: u64 = $x0;
        let mut x = $input;
        for _ in 0..$stages {
            let (a_tx, a_rx) = $g.port();
            let (b_tx, b_rx) = $g.port();
            let (j_tx, j_rx) = $g.port();
            $g.task(
                StrictTask::new(|x: u64| (x.wrapping_add(1),)),
                (x.clone(),),
                (a_tx,),
            );
            $g.task(
                StrictTask::new(|x: u64| (x.wrapping_mul(2),)),
                (x,),
                (b_tx,),
            );
            $g.task(
                StrictTask::new(|a: u64, b: u64| (a ^ b,)),
                (a_rx, b_rx),
                (j_tx,),
            );
            x = j_rx;
        }
        let out = $g.output(x);
        ($g.build().unwrap(), out)
    }};
}

fn diamond_single(
    stages: usize,
    x0: u64,
) -> (single_use::Graph, ontime_dataflow::PortReceiver<u64>) {
    diamond!(single_use, stages, x0, |g, v| g.input(v))
}

fn diamond_multi(
    stages: usize,
    x0: u64,
) -> (multiple_uses::Graph, ontime_dataflow::PortReceiver<u64>) {
    diamond!(multiple_uses, stages, x0, |g, v| g.input(v).1)
}

fn diamond_reference(stages: usize, mut x: u64) -> u64 {
    for _ in 0..stages {
        x = x.wrapping_add(1) ^ x.wrapping_mul(2);
    }
    x
}

#[test]
fn four_engines_agree_on_a_diamond_chain() {
    let p = pool(2);
    let want = diamond_reference(200, 3);
    let (g, out) = diamond_single(200, 3);
    assert_eq!(g.run_sequential().unwrap().executed, 600);
    assert_eq!(out.take(), Ok(want));
    let (g, out) = diamond_single(200, 3);
    assert_eq!(g.run_parallel(&p).unwrap().executed, 600);
    assert_eq!(out.take(), Ok(want));
    let (mut g, out) = diamond_multi(200, 3);
    for _ in 0..3 {
        assert_eq!(g.run_sequential().unwrap().executed, 600);
        assert_eq!(out.take(), Ok(want));
        assert_eq!(g.run_parallel(&p).unwrap().executed, 600);
        assert_eq!(out.take(), Ok(want));
    }
}

/// A pipeline with a cycle: an accumulator node feeds itself `laps` times.
fn loop_graph(laps: u32) -> (multiple_uses::Graph, ontime_dataflow::PortReceiver<u64>) {
    let mut g = multiple_uses::GraphBuilder::new();
    let (back_tx, back_rx) = g.port::<(u32, u64)>();
    let (done_tx, done_rx) = g.port::<u64>();
    g.initial(&back_tx, (0, 1));
    g.task(
        FnTask::new(
            move |_s: &dyn Scheduler,
                  (st,): (In<(u32, u64)>,),
                  (back, done): (Out<'_, (u32, u64)>, Out<'_, u64>)| {
                let (i, acc) = st.recv_once().unwrap();
                let acc = acc.wrapping_mul(31).wrapping_add(i as u64);
                if i + 1 < laps {
                    back.send_once((i + 1, acc)).unwrap();
                } else {
                    done.send_once(acc).unwrap();
                }
            },
        ),
        (back_rx,),
        (back_tx, done_tx),
    );
    let out = g.output(done_rx);
    (g.build().unwrap(), out)
}

#[test]
fn a_cycle_runs_once_per_lap_in_both_versions() {
    let want = (0..5000u64).fold(1u64, |acc, i| acc.wrapping_mul(31).wrapping_add(i));
    let (mut g, out) = loop_graph(5000);
    assert_eq!(g.run_sequential().unwrap().executed, 5000);
    assert_eq!(out.take(), Ok(want));
    let p = pool(2);
    assert_eq!(g.run_parallel(&p).unwrap().executed, 5000);
    assert_eq!(out.take(), Ok(want));
}

/// Random DAG: every node sums its inputs (plus its index) and passes the sum on.
struct Dag {
    /// For each node, the earlier nodes it reads.
    preds: Vec<Vec<usize>>,
}

impl Dag {
    fn random(rng: &mut Rng, n: usize) -> Dag {
        let preds = (0..n)
            .map(|i| {
                if i == 0 {
                    return Vec::new();
                }
                let k = rng.below(4) as usize;
                let mut v: Vec<usize> = (0..k).map(|_| rng.below(i as u64) as usize).collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        Dag { preds }
    }

    fn reference(&self) -> Vec<u64> {
        let mut vals = vec![0u64; self.preds.len()];
        for i in 0..self.preds.len() {
            vals[i] = self.preds[i]
                .iter()
                .map(|&p| vals[p])
                .fold(i as u64, u64::wrapping_add);
        }
        vals
    }
}

/// Builds the DAG with `FnTask`s over a variable number of inputs: each node has one input
/// port per predecessor, packed as a `Vec` port per node (each edge is its own port).
macro_rules! build_dag {
    ($builder:ty, $dag:expr, $runs:expr) => {{
        let dag: &Dag = $dag;
        let n = dag.preds.len();
        let mut g = <$builder>::new();
        // One port per edge (p -> i) plus one output per node.
        let mut edge_tx: Vec<Vec<ontime_dataflow::Tx<u64>>> = (0..n).map(|_| Vec::new()).collect();
        let mut outs = Vec::new();
        let runs = Arc::clone(&$runs);
        for i in 0..n {
            // Fan-in: chain the predecessors' values through a per-node summing task list.
            let mut rxs = Vec::new();
            for &p in &dag.preds[i] {
                let (tx, rx) = g.port::<u64>();
                edge_tx[p].push(tx);
                rxs.push(rx);
            }
            let (o_tx, o_rx) = g.port::<u64>();
            outs.push((i, o_tx, o_rx, rxs));
        }
        let mut results = Vec::new();
        for (i, o_tx, o_rx, rxs) in outs {
            // A node: fold its inputs with binary summing nodes, then add `i` and fan out.
            let mut acc = None::<ontime_dataflow::Rx<u64>>;
            for rx in rxs {
                acc = Some(match acc {
                    None => rx,
                    Some(a) => {
                        let (s_tx, s_rx) = g.port::<u64>();
                        g.task(
                            StrictTask::new(|a: u64, b: u64| (a.wrapping_add(b),)),
                            (a, rx),
                            (s_tx,),
                        );
                        s_rx
                    }
                });
            }
            let txs = std::mem::take(&mut edge_tx[i]);
            let r = Arc::clone(&runs);
            let mut outs_rx = Vec::new();
            // The node itself: reads its folded input (or nothing), writes its value to its
            // output and every edge.
            let (v_tx, v_rx) = g.port::<u64>();
            match acc {
                None => {
                    g.task(
                        StrictTask::new(move || {
                            r.fetch_add(1, Ordering::Relaxed);
                            (i as u64,)
                        }),
                        (),
                        (v_tx,),
                    );
                }
                Some(a) => {
                    g.task(
                        StrictTask::new(move |x: u64| {
                            r.fetch_add(1, Ordering::Relaxed);
                            (x.wrapping_add(i as u64),)
                        }),
                        (a,),
                        (v_tx,),
                    );
                }
            }
            // Fan the value out: to the node's output and to each successor edge.
            for tx in txs {
                g.task(StrictTask::new(|x: u64| (x,)), (v_rx.clone(),), (tx,));
            }
            g.task(StrictTask::new(|x: u64| (x,)), (v_rx,), (o_tx,));
            outs_rx.push(o_rx);
            results.push(g.output(outs_rx.pop().unwrap()));
        }
        (g.build().unwrap(), results)
    }};
}

#[test]
fn random_dags_run_every_node_once_with_the_sequential_results() {
    let p = pool(2);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..20 {
        let n = 20 + rng.below(200) as usize;
        let dag = Dag::random(&mut rng, n);
        let want = dag.reference();
        let runs = Arc::new(AtomicUsize::new(0));

        let (g, res) = build_dag!(single_use::GraphBuilder, &dag, runs);
        let report = g.run_parallel(&p).unwrap();
        assert!(report.is_complete(), "round {round}: {report}");
        assert_eq!(
            runs.swap(0, Ordering::Relaxed),
            n,
            "round {round}: every node once"
        );
        let got: Vec<u64> = res.iter().map(|r| r.take().unwrap()).collect();
        assert_eq!(got, want, "round {round}");

        let (mut g, res) = build_dag!(multiple_uses::GraphBuilder, &dag, runs);
        for _ in 0..2 {
            let report = g.run_parallel(&p).unwrap();
            assert!(report.is_complete());
            assert_eq!(
                runs.swap(0, Ordering::Relaxed),
                n,
                "round {round}: every node once"
            );
            let got: Vec<u64> = res.iter().map(|r| r.take().unwrap()).collect();
            assert_eq!(got, want, "round {round}");
            g.run_sequential().unwrap();
            assert_eq!(runs.swap(0, Ordering::Relaxed), n);
            let got: Vec<u64> = res.iter().map(|r| r.take().unwrap()).collect();
            assert_eq!(got, want, "round {round}");
        }
    }
}

#[test]
fn one_task_may_activate_many_and_the_run_waits_for_all() {
    // A source fans one value out to 2000 consumers, each counted; the run must not return
    // before every one has run.
    let p = pool(2);
    let count = Arc::new(AtomicUsize::new(0));
    let mut g = single_use::GraphBuilder::new();
    let (tx, rx) = g.port::<u32>();
    g.task(StrictTask::new(|| (7u32,)), (), (tx,));
    for _ in 0..2000 {
        let c = Arc::clone(&count);
        g.task(
            StrictTask::new(move |x: u32| {
                std::hint::black_box(x);
                c.fetch_add(1, Ordering::Relaxed);
            }),
            (rx.clone(),),
            (),
        );
    }
    let _ = rx;
    let report = g.build().unwrap().run_parallel(&p).unwrap();
    assert_eq!(report.executed, 2001);
    assert_eq!(count.load(Ordering::Relaxed), 2000);
}

#[test]
fn control_edges_order_tasks_without_values() {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut g = single_use::GraphBuilder::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let l = Arc::clone(&log);
        ids.push(g.task(StrictTask::new(move || l.lock().unwrap().push(i)), (), ()));
    }
    // 4 -> 3 -> 2 -> 1 -> 0
    for w in ids.windows(2) {
        g.precede(w[1], w[0]);
    }
    g.build().unwrap().run_parallel(&pool(2)).unwrap();
    assert_eq!(*log.lock().unwrap(), vec![4, 3, 2, 1, 0]);
}
