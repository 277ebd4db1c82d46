//! A wavefront on a single-use graph: block (r, c) of an S × S grid needs its upper and left
//! neighbours, so blocks run in anti-diagonal waves. Each block counts lattice paths from the
//! corner, modulo a prime: v(r, c) = v(r-1, c) + v(r, c-1), with 1 on the borders; the corner
//! value is C(2S-2, S-1) mod p, checked against a serial computation.
//!
//! `cargo run --release -p ontime-dataflow --example wavefront`

use ontime_dataflow::common::StrictTask;
use ontime_dataflow::single_use::{Graph, GraphBuilder};
use ontime_dataflow::{PortReceiver, Rx};

const S: usize = 96;
const P: u64 = 1_000_000_007;

fn grid() -> (Graph, PortReceiver<u64>) {
    let mut g = GraphBuilder::new();
    // `below[c]`: the value the block under row r-1, column c reads; `left`: along the row.
    let mut above: Vec<Option<Rx<u64>>> = vec![None; S];
    let mut corner = None;
    for r in 0..S {
        let mut left: Option<Rx<u64>> = None;
        for (c, up_slot) in above.iter_mut().enumerate() {
            let (tx, rx) = g.port::<u64>();
            let id = match (up_slot.take(), left.take()) {
                (None, None) => g.task(StrictTask::new(|| (1u64,)), (), (tx,)),
                (Some(u), None) => g.task(StrictTask::new(|u: u64| (u,)), (u,), (tx,)),
                (None, Some(l)) => g.task(StrictTask::new(|l: u64| (l,)), (l,), (tx,)),
                (Some(u), Some(l)) => g.task(
                    StrictTask::new(|u: u64, l: u64| ((u + l) % P,)),
                    (u, l),
                    (tx,),
                ),
            };
            g.name(id, format!("b{r}_{c}"));
            if r + 1 == S && c + 1 == S {
                corner = Some(rx);
            } else {
                *up_slot = Some(rx.clone());
                left = Some(rx);
            }
        }
    }
    let out = g.output(corner.expect("grid has a corner"));
    (g.build().expect("a wavefront is acyclic"), out)
}

fn serial() -> u64 {
    let mut row = vec![1u64; S];
    for _ in 1..S {
        for c in 1..S {
            row[c] = (row[c] + row[c - 1]) % P;
        }
    }
    row[S - 1]
}

fn main() {
    let want = serial();
    let (graph, corner) = grid();
    let report = graph.run_sequential().expect("no block panics");
    assert_eq!(corner.take(), Ok(want));
    assert!(report.is_complete());

    let pool = ontime_core::ThreadPool::new(2).expect("pool");
    let (graph, corner) = grid();
    let report = graph.run_parallel(&pool).expect("no block panics");
    assert_eq!(corner.take(), Ok(want));
    assert_eq!(report.executed, (S * S) as u64);
    println!(
        "wavefront {S}x{S}: {} blocks; paths to the far corner mod {P} = {want}: checked \
         against the serial DP (sequential and 2-thread parallel engines)",
        report.executed
    );
}

#[test]
fn example_runs_and_checks_its_result() {
    main();
}
