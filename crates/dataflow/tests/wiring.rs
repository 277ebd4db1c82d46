//! Wiring in any order, dropping everything exactly once, and graphs of different shapes and
//! value types built one after another on one thread (reusing each other's buffers).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::pool;
use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::{
    multiple_uses, single_use, In, Out, PortReceiver, ReceiverOnce, Rx, Scheduler, SenderOnce, Tx,
};

/// A chain `0 -> 1 -> ... -> n-1`, each adding its index, wired back to front: every task
/// is added before the task that feeds it, and the output before its producer.
macro_rules! chain_back_to_front {
    ($builder:ty, $n:expr) => {{
        let n: u64 = $n;
        let mut g = <$builder>::new();
        let ports: Vec<(Option<Tx<u64>>, Option<Rx<u64>>)> = (0..n)
            .map(|_| {
                let (tx, rx) = g.port::<u64>();
                (Some(tx), Some(rx))
            })
            .collect();
        let mut ports = ports;
        let out = g.output(ports[n as usize - 1].1.take().unwrap());
        for i in (1..n).rev() {
            let rx = ports[i as usize - 1].1.take().unwrap();
            let tx = ports[i as usize].0.take().unwrap();
            g.task(StrictTask::new(move |x: u64| (x + i,)), (rx,), (tx,));
        }
        let tx = ports[0].0.take().unwrap();
        g.task(StrictTask::new(|| (0u64,)), (), (tx,));
        (g, out)
    }};
}

#[test]
fn wiring_order_does_not_matter() {
    let p = pool(2);
    let n = 300u64;
    let want = n * (n - 1) / 2;

    let (g, out) = chain_back_to_front!(single_use::GraphBuilder, n);
    // Every edge goes to an earlier node, so the cycle check runs, and finds none.
    let report = g.build().unwrap().run_parallel(&p).unwrap();
    assert!(report.is_complete());
    assert_eq!(out.take(), Ok(want));

    let (g, out) = chain_back_to_front!(single_use::GraphBuilder, n);
    g.build().unwrap().run_sequential().unwrap();
    assert_eq!(out.take(), Ok(want));

    let (g, out) = chain_back_to_front!(multiple_uses::GraphBuilder, n);
    let mut g = g.build().unwrap();
    for _ in 0..3 {
        g.run_parallel(&p).unwrap();
        assert_eq!(out.take(), Ok(want));
        g.run_sequential().unwrap();
        assert_eq!(out.take(), Ok(want));
    }
}

#[test]
fn a_seed_and_a_producer_added_after_their_reader_reach_it() {
    // A two-task loop counting to 5: `step` reads the loop port before the port has a seed
    // or a producer; the seed comes next, the producer (`test`) last.
    let mut g = multiple_uses::GraphBuilder::new();
    let (back_tx, back_rx) = g.port::<u32>();
    let (mid_tx, mid_rx) = g.port::<u32>();
    let (done_tx, done_rx) = g.port::<u32>();
    let done = g.output(done_rx);
    g.task(StrictTask::new(|x: u32| (x + 1,)), (back_rx,), (mid_tx,));
    let seed = g.initial(&back_tx, 0);
    g.task(
        FnTask::new(
            |_s: &dyn Scheduler, (x,): (In<u32>,), (back, out): (Out<'_, u32>, Out<'_, u32>)| {
                let x = x.recv_once().unwrap();
                if x < 5 {
                    back.send_once(x).unwrap();
                } else {
                    out.send_once(x).unwrap();
                }
            },
        ),
        (mid_rx,),
        (back_tx, done_tx),
    );
    let mut g = g.build().unwrap();
    let report = g.run_parallel(&pool(2)).unwrap();
    assert_eq!((done.take(), report.executed), (Ok(5), 10));
    g.set_input(&seed, 3);
    let report = g.run_sequential().unwrap();
    assert_eq!((done.take(), report.executed), (Ok(5), 4));
}

/// Counts live instances: made by `new`, gone when dropped.
struct Tracked(Arc<AtomicUsize>);

impl Tracked {
    fn new(live: &Arc<AtomicUsize>) -> Tracked {
        live.fetch_add(1, Ordering::Relaxed);
        Tracked(Arc::clone(live))
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A graph whose tasks each own a `Tracked`, and whose values are `Tracked` too: `first`
/// feeds `join`, whose second input (from `never`, which waits on a port nobody writes) never
/// comes, so `first`'s value is left in `join`'s cell.
fn stranded(live: &Arc<AtomicUsize>) -> (single_use::GraphBuilder, PortReceiver<u32>) {
    let mut g = single_use::GraphBuilder::new();
    let (a_tx, a_rx) = g.port::<Tracked>();
    let (b_tx, b_rx) = g.port::<Tracked>();
    let (nobody_tx, nobody_rx) = g.port::<u32>();
    let (j_tx, j_rx) = g.port::<u32>();
    let (own1, own2, own3, l) = (
        Tracked::new(live),
        Tracked::new(live),
        Tracked::new(live),
        Arc::clone(live),
    );
    g.task(
        StrictTask::new(move || {
            let _own = &own1;
            (Tracked::new(&l),)
        }),
        (),
        (a_tx,),
    );
    let l = Arc::clone(live);
    g.task(
        StrictTask::new(move |_: u32| {
            let _own = &own2;
            (Tracked::new(&l),)
        }),
        (nobody_rx,),
        (b_tx,),
    );
    g.task(
        StrictTask::new(move |_a: Tracked, _b: Tracked| {
            let _own = &own3;
            (1u32,)
        }),
        (a_rx, b_rx),
        (j_tx,),
    );
    let out = g.output(j_rx);
    let _ = nobody_tx;
    (g, out)
}

#[test]
fn every_task_and_value_is_dropped_exactly_once() {
    let live = Arc::new(AtomicUsize::new(0));
    let p = pool(2);

    // A builder dropped before `build`.
    drop(stranded(&live));
    assert_eq!(live.load(Ordering::Relaxed), 0, "unbuilt builder");

    // A graph built and dropped without running.
    let (g, _out) = stranded(&live);
    drop(g.build().unwrap());
    assert_eq!(live.load(Ordering::Relaxed), 0, "unrun graph");

    // Run: `first` runs (its task is consumed), its value waits in `join`'s cell for good.
    for parallel in [false, true] {
        let (g, out) = stranded(&live);
        let g = g.build().unwrap();
        let report = if parallel {
            g.run_parallel(&p).unwrap()
        } else {
            g.run_sequential().unwrap()
        };
        assert_eq!(report.executed, 1);
        assert_eq!(report.never_ran.len(), 2);
        assert!(out.take().is_err());
        assert_eq!(
            live.load(Ordering::Relaxed),
            0,
            "run graph (parallel: {parallel})"
        );
    }

    // A multiple-use graph run twice, then dropped.
    let mut g = multiple_uses::GraphBuilder::new();
    let (tx, rx) = g.port::<Tracked>();
    let (own, l) = (Tracked::new(&live), Arc::clone(&live));
    g.task(
        StrictTask::new(move || {
            let _own = &own;
            (Tracked::new(&l),)
        }),
        (),
        (tx,),
    );
    let kept = g.output(rx);
    let mut g = g.build().unwrap();
    g.run_sequential().unwrap();
    g.run_parallel(&p).unwrap();
    // The task, and the last value in the graph output.
    assert_eq!(live.load(Ordering::Relaxed), 2);
    drop(g);
    assert_eq!(live.load(Ordering::Relaxed), 1);
    drop(kept);
    assert_eq!(live.load(Ordering::Relaxed), 0);
}

/// Builds and runs a fan-out/fan-in graph over values of type `T`, `width` wide.
fn fan<T: Clone + Send + 'static>(width: usize, value: T, combine: fn(T, T) -> T) -> T {
    let mut g = single_use::GraphBuilder::new();
    let src = g.input(value);
    let mut level: Vec<Rx<T>> = (0..width)
        .map(|_| {
            let (tx, rx) = g.port::<T>();
            g.task(StrictTask::new(|v: T| (v,)), (src.clone(),), (tx,));
            rx
        })
        .collect();
    let _ = src;
    while level.len() > 1 {
        let mut next = Vec::new();
        while let Some(a) = level.pop() {
            match level.pop() {
                Some(b) => {
                    let (tx, rx) = g.port::<T>();
                    g.task(
                        StrictTask::new(move |x: T, y: T| (combine(x, y),)),
                        (a, b),
                        (tx,),
                    );
                    next.push(rx);
                }
                None => next.push(a),
            }
        }
        level = next;
    }
    let out = g.output(level.pop().unwrap());
    g.build().unwrap().run_parallel(&pool(2)).unwrap();
    out.take().unwrap()
}

#[test]
fn graphs_of_different_shapes_and_types_reuse_one_threads_buffers() {
    // One thread builds graphs of growing and shrinking sizes over values of different sizes
    // and alignments; each reuses what the last one left (arena, port table, slots).
    for round in 0..6 {
        let width = [3, 700, 40, 1500, 1, 90][round];
        assert_eq!(
            fan(width, 1u8, |a, b| a.wrapping_add(b)),
            (width % 256) as u8
        );
        assert_eq!(fan(width, 2u128, |a, b| a + b), 2 * width as u128);
        assert_eq!(
            fan(width, String::from("x"), |a, b| a + &b).len(),
            width,
            "round {round}"
        );
        assert_eq!(
            fan(width, vec![1u64; 3], |a, b| a
                .iter()
                .zip(&b)
                .map(|(x, y)| x + y)
                .collect())[0],
            width as u64
        );
    }
    // And several threads at once, each with its own spares.
    std::thread::scope(|s| {
        for t in 1..=4usize {
            s.spawn(move || {
                for w in [t * 100, t, t * 37] {
                    assert_eq!(fan(w, 1u64, |a, b| a + b), w as u64);
                }
            });
        }
    });
}
