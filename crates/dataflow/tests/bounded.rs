//! Bounded ports (`multiple_uses::GraphBuilder::bounded_port`): order, backpressure, fan-out,
//! cycles with initial values, stalls, stopped runs and panics, each on both multiple-use
//! engines (sequential, and parallel on 1-3 threads) with the same result.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::pool;
use ontime_dataflow::common::FnTask;
use ontime_dataflow::multiple_uses::{Graph, GraphBuilder};
use ontime_dataflow::{In, Out, ReceiverOnce, RunOptions, Rx, Scheduler, SenderOnce, Tx};

/// Runs `graph` sequentially and on pools of 1, 2 and 3 threads; `read` takes each run's
/// result. Returns the four results.
fn on_every_engine<R>(graph: &mut Graph, mut read: impl FnMut() -> R) -> Vec<R> {
    let mut out = Vec::new();
    graph.run_sequential().expect("sequential run");
    out.push(read());
    for threads in 1..=3 {
        graph.run_parallel(&pool(threads)).expect("parallel run");
        out.push(read());
    }
    out
}

/// A source emitting `0..n` through a self-loop into `item`.
fn source(g: &mut GraphBuilder, n: u64, item: Tx<u64>) {
    source_map(g, n, item, |i| i);
}

/// [`source`], emitting `f(i)` for each `i` in `0..n`.
fn source_map(
    g: &mut GraphBuilder,
    n: u64,
    item: Tx<u64>,
    f: impl Fn(u64) -> u64 + Send + 'static,
) {
    let (next_tx, next_rx) = g.port::<u64>();
    g.initial(&next_tx, 0);
    let id = g.task(
        FnTask::new(
            move |_: &dyn Scheduler,
                  (i,): (In<u64>,),
                  (next, item): (Out<'_, u64>, Out<'_, u64>)| {
                let i = i.recv_once().expect("count");
                item.send_once(f(i))
                    .expect("the source is never run with its output full");
                if i + 1 < n {
                    next.send_once(i + 1).expect("count");
                }
            },
        ),
        (next_rx,),
        (next_tx, item),
    );
    g.name(id, "source");
}

/// A stage applying `f`, through a bounded port of `capacity` onward.
fn stage(
    g: &mut GraphBuilder,
    name: &str,
    input: Rx<u64>,
    capacity: usize,
    f: impl Fn(u64) -> u64 + Send + 'static,
) -> Rx<u64> {
    let (tx, rx) = g.bounded_port::<u64>(capacity);
    let id = g.task(
        FnTask::new(
            move |_: &dyn Scheduler, (x,): (In<u64>,), (out,): (Out<'_, u64>,)| {
                out.send_once(f(x.recv_once().expect("item")))
                    .expect("a stage is never run with its output full");
            },
        ),
        (input,),
        (tx,),
    );
    g.name(id, name);
    rx
}

/// A sink recording every value it takes, in order.
fn sink(g: &mut GraphBuilder, input: Rx<u64>) -> Arc<Mutex<Vec<u64>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let id = g.task(
        FnTask::new(move |_: &dyn Scheduler, (x,): (In<u64>,), ()| {
            s.lock().unwrap().push(x.recv_once().expect("item"));
        }),
        (input,),
        (),
    );
    g.name(id, "sink");
    seen
}

#[test]
fn a_pipeline_of_bounded_ports_delivers_every_value_in_order_on_every_engine() {
    const N: u64 = 3_000;
    let f1 = |x: u64| x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7);
    let f2 = |x: u64| x ^ (x >> 13);
    let want: Vec<u64> = (0..N).map(|x| f2(f1(x))).collect();
    for capacity in [1, 2, 3, 8] {
        let mut g = GraphBuilder::new();
        let (item_tx, item_rx) = g.bounded_port::<u64>(capacity);
        source(&mut g, N, item_tx);
        let a = stage(&mut g, "f1", item_rx, capacity, f1);
        let b = stage(&mut g, "f2", a, capacity, f2);
        let seen = sink(&mut g, b);
        let mut graph = g.build().unwrap();
        let runs = on_every_engine(&mut graph, || std::mem::take(&mut *seen.lock().unwrap()));
        for (i, r) in runs.iter().enumerate() {
            assert_eq!(r, &want, "capacity {capacity}, engine {i}");
        }
    }
}

/// A slow reader: the producer never runs more than `capacity` values ahead of the values the
/// reader has started on (at most `capacity - 1` in the ring when the producer starts, plus
/// the one the reader took).
#[test]
fn a_fast_producer_never_runs_more_than_capacity_ahead_of_a_slow_reader() {
    const N: u64 = 400;
    for capacity in [1usize, 3] {
        let sent = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let worst = Arc::new(AtomicUsize::new(0));
        let mut g = GraphBuilder::new();
        let (item_tx, item_rx) = g.bounded_port::<u64>(capacity);
        // The source measures how far ahead it is each time it starts.
        let (next_tx, next_rx) = g.port::<u64>();
        g.initial(&next_tx, 0);
        let (s, st, w) = (sent.clone(), started.clone(), worst.clone());
        g.task(
            FnTask::new(
                move |_: &dyn Scheduler,
                      (i,): (In<u64>,),
                      (next, item): (Out<'_, u64>, Out<'_, u64>)| {
                    let i = i.recv_once().unwrap();
                    let ahead = s.load(Ordering::SeqCst) - st.load(Ordering::SeqCst);
                    w.fetch_max(ahead, Ordering::SeqCst);
                    s.fetch_add(1, Ordering::SeqCst);
                    item.send_once(i).unwrap();
                    if i + 1 < N {
                        next.send_once(i + 1).unwrap();
                    }
                },
            ),
            (next_rx,),
            (next_tx, item_tx),
        );
        let st = started.clone();
        let total = Arc::new(AtomicUsize::new(0));
        let t = total.clone();
        g.task(
            FnTask::new(move |_: &dyn Scheduler, (x,): (In<u64>,), ()| {
                st.fetch_add(1, Ordering::SeqCst);
                let x = x.recv_once().unwrap();
                // Slow: the producer, on another worker, gets far ahead unless gated.
                let mut h = x;
                for _ in 0..2_000 {
                    h = std::hint::black_box(h.wrapping_mul(31).wrapping_add(7));
                }
                t.fetch_add(x as usize + usize::from(h == 1), Ordering::SeqCst);
            }),
            (item_rx,),
            (),
        );
        let mut graph = g.build().unwrap();
        let results = on_every_engine(&mut graph, || {
            let r = (
                worst.swap(0, Ordering::SeqCst),
                total.swap(0, Ordering::SeqCst),
            );
            sent.store(0, Ordering::SeqCst);
            started.store(0, Ordering::SeqCst);
            r
        });
        let sum = (0..N as usize).sum::<usize>();
        for (i, &(ahead, got)) in results.iter().enumerate() {
            assert!(
                ahead <= capacity,
                "capacity {capacity}, engine {i}: the producer ran {ahead} values ahead"
            );
            assert!(
                got >= sum,
                "capacity {capacity}, engine {i}: every value arrives"
            );
        }
    }
}

#[test]
fn each_reader_of_a_bounded_port_gets_every_value_and_the_producer_waits_for_the_slowest() {
    const N: u64 = 500;
    let mut g = GraphBuilder::new();
    let (item_tx, item_rx) = g.bounded_port::<u64>(2);
    source(&mut g, N, item_tx);
    let fast = sink(&mut g, item_rx.clone());
    let slow_seen = Arc::new(Mutex::new(Vec::new()));
    let s = slow_seen.clone();
    g.task(
        FnTask::new(move |_: &dyn Scheduler, (x,): (In<u64>,), ()| {
            let x = x.recv_once().unwrap();
            std::thread::yield_now();
            s.lock().unwrap().push(x);
        }),
        (item_rx,),
        (),
    );
    let mut graph = g.build().unwrap();
    let want: Vec<u64> = (0..N).collect();
    let runs = on_every_engine(&mut graph, || {
        (
            std::mem::take(&mut *fast.lock().unwrap()),
            std::mem::take(&mut *slow_seen.lock().unwrap()),
        )
    });
    for (i, (f, s)) in runs.iter().enumerate() {
        assert_eq!(f, &want, "engine {i}: fast reader");
        assert_eq!(s, &want, "engine {i}: slow reader");
    }
}

/// Three nodes in a cycle of bounded ports, `tokens` initial values on the closing edge: each
/// node adds one; the cycle stops once a value reaches `LIMIT`. The number of task runs and
/// the values reaching the end are the same on every engine.
#[test]
fn a_cycle_of_bounded_ports_runs_with_its_initial_values_on_every_engine() {
    const LIMIT: u64 = 300;
    for capacity in [1usize, 2] {
        let mut g = GraphBuilder::new();
        let (ab_tx, ab_rx) = g.bounded_port::<u64>(capacity);
        let (bc_tx, bc_rx) = g.bounded_port::<u64>(capacity);
        let (ca_tx, ca_rx) = g.bounded_port::<u64>(capacity);
        g.initial(&ca_tx, 0);
        let step = |name: &'static str| {
            FnTask::new(
                move |_: &dyn Scheduler, (x,): (In<u64>,), (out,): (Out<'_, u64>,)| {
                    let x = x.recv_once().unwrap() + 1;
                    if x < LIMIT {
                        out.send_once(x).unwrap_or_else(|e| panic!("{name}: {e}"));
                    }
                },
            )
        };
        g.task(step("a"), (ca_rx,), (ab_tx,));
        g.task(step("b"), (ab_rx,), (bc_tx,));
        g.task(step("c"), (bc_rx,), (ca_tx,));
        let mut graph = g.build().unwrap();
        let mut executed = Vec::new();
        let r = graph.run_sequential().unwrap();
        executed.push((r.executed, r.pending.len()));
        for threads in 1..=3 {
            let r = graph.run_parallel(&pool(threads)).unwrap();
            executed.push((r.executed, r.pending.len()));
        }
        for (i, e) in executed.iter().enumerate() {
            assert_eq!(*e, (LIMIT, 0), "capacity {capacity}, engine {i}");
        }
    }
}

#[test]
fn a_task_reading_its_own_bounded_port_is_not_gated_by_it() {
    let mut g = GraphBuilder::new();
    let (tx, rx) = g.bounded_port::<u64>(1);
    let (done_tx, done_rx) = g.port::<u64>();
    g.initial(&tx, 0);
    g.task(
        FnTask::new(
            |_: &dyn Scheduler, (x,): (In<u64>,), (again, done): (Out<'_, u64>, Out<'_, u64>)| {
                let x = x.recv_once().unwrap();
                if x < 1_000 {
                    again.send_once(x + 1).unwrap();
                } else {
                    done.send_once(x).unwrap();
                }
            },
        ),
        (rx,),
        (tx, done_tx),
    );
    let done = g.output(done_rx);
    let mut graph = g.build().unwrap();
    let runs = on_every_engine(&mut graph, || done.take());
    assert!(runs.iter().all(|r| r == &Ok(1_000)), "{runs:?}");
}

#[test]
fn a_task_with_no_inputs_writing_a_full_bounded_port_fails_with_full_naming_the_port() {
    let mut g = GraphBuilder::new();
    let (tx, rx) = g.bounded_port::<u64>(1);
    g.name_port(tx.port(), "jobs");
    g.initial(&tx, 7); // fills the only slot
    let src = g.task(
        FnTask::new(|_: &dyn Scheduler, (), (out,): (Out<'_, u64>,)| {
            out.send_once(8).unwrap();
        }),
        (),
        (tx,),
    );
    g.name(src, "eager");
    // The reader also waits for a second input that never comes, so the slot stays full.
    let (_never_tx, never_rx) = g.port::<()>();
    g.task(
        FnTask::new(|_: &dyn Scheduler, (_x, _n): (In<u64>, In<()>), ()| {}),
        (rx, never_rx),
        (),
    );
    let mut graph = g.build().unwrap();
    for parallel in [false, true] {
        let err = if parallel {
            graph.run_parallel(&pool(2)).unwrap_err()
        } else {
            graph.run_sequential().unwrap_err()
        };
        let msg = err.to_string();
        assert!(msg.contains("eager"), "{msg}");
        assert!(msg.contains("jobs"), "{msg}");
        assert!(msg.contains("was written while full"), "{msg}");
    }
}

/// A reader that never gets its second input: the producer fills the ring and waits; the run
/// ends (no hang) and `pending` names both (the reader holds ring values, the producer its
/// count), the same on every engine.
#[test]
fn a_stalled_bounded_pipeline_ends_and_names_the_nodes_holding_values() {
    let mut g = GraphBuilder::new();
    let (item_tx, item_rx) = g.bounded_port::<u64>(2);
    source(&mut g, 10, item_tx);
    let (_never_tx, never_rx) = g.port::<()>();
    let r = g.task(
        FnTask::new(|_: &dyn Scheduler, (_x, _n): (In<u64>, In<()>), ()| {}),
        (item_rx, never_rx),
        (),
    );
    g.name(r, "reader");
    let mut graph = g.build().unwrap();
    let mut reports = Vec::new();
    reports.push(graph.run_sequential().unwrap());
    reports.push(graph.run_parallel(&pool(2)).unwrap());
    for rep in &reports {
        let names: Vec<String> = rep.pending.iter().map(|n| n.to_string()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().any(|n| n.contains("source")), "{names:?}");
        assert!(names.iter().any(|n| n.contains("reader")), "{names:?}");
        // The source ran twice (two slots), then waited.
        assert_eq!(rep.executed, 2);
    }
}

/// Values are counted by `Arc`: a run stopped by its activation limit leaves values in rings;
/// the next run drops them (exactly once) and runs from the start; dropping the graph drops
/// what a run left.
#[test]
fn a_stopped_run_leaves_nothing_behind_and_values_are_dropped_exactly_once() {
    let token = Arc::new(());
    let mut g = GraphBuilder::new();
    let (item_tx, item_rx) = g.bounded_port::<Arc<()>>(3);
    let (next_tx, next_rx) = g.port::<u64>();
    g.initial(&next_tx, 0);
    let t = token.clone();
    g.task(
        FnTask::new(
            move |_: &dyn Scheduler,
                  (i,): (In<u64>,),
                  (next, item): (Out<'_, u64>, Out<'_, Arc<()>>)| {
                let i = i.recv_once().unwrap();
                item.send_once(t.clone()).unwrap();
                if i + 1 < 50 {
                    next.send_once(i + 1).unwrap();
                }
            },
        ),
        (next_rx,),
        (next_tx, item_tx),
    );
    let got = Arc::new(AtomicUsize::new(0));
    let g2 = got.clone();
    g.task(
        FnTask::new(move |_: &dyn Scheduler, (x,): (In<Arc<()>>,), ()| {
            drop(x.recv_once().unwrap());
            g2.fetch_add(1, Ordering::SeqCst);
        }),
        (item_rx,),
        (),
    );
    let mut graph = g.build().unwrap();
    for parallel in [false, true] {
        let opts = RunOptions::new().max_activations(5);
        let err = if parallel {
            graph.run_parallel_with(&pool(2), &opts).unwrap_err()
        } else {
            graph.run_sequential_with(&opts).unwrap_err()
        };
        assert!(err.to_string().contains("limit"), "{err}");
        got.store(0, Ordering::SeqCst);
        // A full run afterwards: every one of the 50 values, none of the stale ones.
        if parallel {
            graph.run_parallel(&pool(2)).unwrap();
        } else {
            graph.run_sequential().unwrap();
        }
        assert_eq!(got.load(Ordering::SeqCst), 50);
        assert_eq!(
            Arc::strong_count(&token),
            2,
            "only the source's own clone is left"
        );
    }
    graph
        .run_sequential_with(&RunOptions::new().max_activations(4))
        .unwrap_err();
    assert!(
        Arc::strong_count(&token) > 2,
        "the stopped run left values in the ring"
    );
    drop(graph);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "dropping the graph drops them"
    );
}

/// A stage panics on one item: the run ends (no hang) with the stage's error, the other items
/// still reach the sink, and the next run is whole.
#[test]
fn a_panicking_stage_fails_the_run_without_stalling_it_and_the_next_run_is_whole() {
    const N: u64 = 200;
    let armed = Arc::new(AtomicUsize::new(1));
    let mut g = GraphBuilder::new();
    let (item_tx, item_rx) = g.bounded_port::<u64>(1);
    source(&mut g, N, item_tx);
    let a = armed.clone();
    let mid = stage(&mut g, "fragile", item_rx, 1, move |x| {
        if x == 17 && a.swap(0, Ordering::SeqCst) == 1 {
            panic!("item 17 is bad");
        }
        x
    });
    let seen = sink(&mut g, mid);
    let mut graph = g.build().unwrap();
    for parallel in [false, true] {
        armed.store(1, Ordering::SeqCst);
        let err = if parallel {
            graph.run_parallel(&pool(2)).unwrap_err()
        } else {
            graph.run_sequential().unwrap_err()
        };
        assert!(err.to_string().contains("fragile"), "{err}");
        assert!(err.to_string().contains("item 17 is bad"), "{err}");
        let got = std::mem::take(&mut *seen.lock().unwrap());
        let want: Vec<u64> = (0..N).filter(|&x| x != 17).collect();
        assert_eq!(got, want);
        if parallel {
            graph.run_parallel(&pool(2)).unwrap();
        } else {
            graph.run_sequential().unwrap();
        }
        let got = std::mem::take(&mut *seen.lock().unwrap());
        assert_eq!(got, (0..N).collect::<Vec<_>>());
    }
}

#[test]
#[should_panic(expected = "a bounded port holds at least one value")]
fn a_bounded_port_of_capacity_zero_is_refused() {
    let mut g = GraphBuilder::new();
    let _ = g.bounded_port::<u64>(0);
}

#[test]
fn to_dot_shows_a_bounded_port_capacity() {
    let mut g = GraphBuilder::new();
    let (tx, rx) = g.bounded_port::<u64>(4);
    g.task(
        FnTask::new(|_: &dyn Scheduler, (), (_o,): (Out<'_, u64>,)| {}),
        (),
        (tx,),
    );
    g.task(
        FnTask::new(|_: &dyn Scheduler, (_x,): (In<u64>,), ()| {}),
        (rx,),
        (),
    );
    let dot = g.to_dot();
    assert!(dot.contains("bounded 4"), "{dot}");
}

/// A gather node reading bounded ports: it waits for a value on each, takes one from each per
/// activation, in order, and its producers stay gated by its rings. Its output is bounded too
/// (`gather_bounded`): with a plain output it could run again before the sink took its last
/// value, and the run would fail with a double write when that happens.
#[test]
fn a_gather_node_reads_bounded_ports_one_value_from_each_per_activation() {
    const N: u64 = 300;
    let mut g = GraphBuilder::new();
    let mut parts = Vec::new();
    for k in 0..3u64 {
        let (tx, rx) = g.bounded_port::<u64>(2);
        source_map(&mut g, N, tx, move |i| i * 10 + k);
        parts.push(rx);
    }
    let all = g.gather_bounded(parts, 2);
    let seen = sink_vecs(&mut g, all);
    let mut graph = g.build().unwrap();
    let want: Vec<Vec<u64>> = (0..N)
        .map(|i| vec![i * 10, i * 10 + 1, i * 10 + 2])
        .collect();
    let runs = on_every_engine(&mut graph, || std::mem::take(&mut *seen.lock().unwrap()));
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r, &want, "engine {i}");
    }
}

fn sink_vecs(g: &mut GraphBuilder, input: Rx<Vec<u64>>) -> Arc<Mutex<Vec<Vec<u64>>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    g.task(
        FnTask::new(move |_: &dyn Scheduler, (x,): (In<Vec<u64>>,), ()| {
            s.lock().unwrap().push(x.recv_once().expect("values"));
        }),
        (input,),
        (),
    );
    seen
}
