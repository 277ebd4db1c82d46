//! A digital circuit simulator on a multiple-use graph with a cycle: an 8-bit counter built
//! from registers, XOR and AND gates (a ripple-carry incrementer), run for many clock cycles.
//!
//! Per cycle: the clock enables the registers and feeds carry-in = 1; each register outputs
//! its bit; gates compute the next bits, which go back to the registers (the cycle edge, seeded
//! with the reset value) and into a packing chain that reports the counter to the clock, which
//! starts the next cycle. Every lap waits for the last, so no port is overrun.
//!
//! `cargo run --release -p ontime-dataflow --example circuit`

use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::multiple_uses::GraphBuilder;
use ontime_dataflow::{In, Out, PortReceiver, ReceiverOnce, Scheduler, SenderOnce};

const BITS: usize = 8;
const CYCLES: u32 = 2000;

fn counter() -> (
    ontime_dataflow::multiple_uses::Graph,
    PortReceiver<(u32, u32)>,
) {
    let mut g = GraphBuilder::new();
    let (status_tx, status_rx) = g.port::<(u32, u32)>();
    let (go_tx, go_rx) = g.port::<u32>();
    let (c0_tx, c0_rx) = g.port::<bool>();
    let (done_tx, done_rx) = g.port::<(u32, u32)>();
    g.initial(&status_tx, (0, 0));
    let clock = g.task(
        FnTask::new(
            |_s: &dyn Scheduler,
             (status,): (In<(u32, u32)>,),
             (go, c0, done): (Out<'_, u32>, Out<'_, bool>, Out<'_, (u32, u32)>)| {
                let (cycles, value) = status.recv_once().expect("status");
                assert_eq!(
                    value,
                    cycles % (1 << BITS),
                    "counter wrong after {cycles} cycles"
                );
                if cycles < CYCLES {
                    go.send_once(cycles).expect("go");
                    c0.send_once(true).expect("carry in");
                } else {
                    done.send_once((cycles, value)).expect("done");
                }
            },
        ),
        (status_rx,),
        (go_tx, c0_tx, done_tx),
    );
    g.name(clock, "clock");

    let mut carry = c0_rx;
    let mut packed: Option<ontime_dataflow::Rx<(u32, u32)>> = None;
    let mut last_status = Some(status_tx);
    for i in 0..BITS {
        let (d_tx, d_rx) = g.port::<bool>();
        g.initial(&d_tx, false); // reset value
        let (n_tx, n_rx) = g.port::<bool>(); // the same bit, unseeded, for the packing chain
        let (q_tx, q_rx) = g.port::<bool>();
        let reg = g.task(
            StrictTask::new(|_go: u32, d: bool| (d,)),
            (go_rx.clone(), d_rx),
            (q_tx,),
        );
        g.name(reg, format!("reg{i}"));
        let x = g.task(
            StrictTask::new(|q: bool, c: bool| (q ^ c, q ^ c)),
            (q_rx.clone(), carry.clone()),
            (d_tx, n_tx),
        );
        g.name(x, format!("xor{i}"));
        if i + 1 < BITS {
            let (c_tx, c_rx) = g.port::<bool>();
            let a = g.task(
                StrictTask::new(|q: bool, c: bool| (q & c,)),
                (q_rx, carry),
                (c_tx,),
            );
            g.name(a, format!("and{i}"));
            carry = c_rx;
        }
        // The top bit's carry-out is not needed: no AND gate for it.
        // Pack the next-state bits: (cycle, bits so far).
        let (p_tx, p_rx) = g.port::<(u32, u32)>();
        let p = if let Some(prev) = packed.take() {
            g.task(
                StrictTask::new(move |(c, acc): (u32, u32), d: bool| {
                    ((c, acc | (u32::from(d) << i)),)
                }),
                (prev, n_rx),
                (p_tx,),
            )
        } else {
            g.task(
                StrictTask::new(|c: u32, d: bool| ((c, u32::from(d)),)),
                (go_rx.clone(), n_rx),
                (p_tx,),
            )
        };
        g.name(p, format!("pack{i}"));
        packed = Some(p_rx);
    }
    // The last pack reports (cycles done, counter) to the clock.
    let report = g.task(
        StrictTask::new(|(c, v): (u32, u32)| ((c + 1, v),)),
        (packed.expect("bits"),),
        (last_status.take().expect("status port"),),
    );
    g.name(report, "report");
    let done = g.output(done_rx);
    (
        g.build().expect("multiple-use graphs may have cycles"),
        done,
    )
}

fn main() {
    let (mut graph, done) = counter();
    let nodes = graph.len();
    let seq = graph.run_sequential().expect("no gate panics");
    let seq_out = done.take().expect("the clock stopped");
    let pool = ontime_core::ThreadPool::new(2).expect("pool");
    let par = graph.run_parallel(&pool).expect("no gate panics");
    let par_out = done.take().expect("the clock stopped");
    assert_eq!(seq_out, par_out);
    assert_eq!(seq.executed, par.executed);
    assert_eq!(seq_out, (CYCLES, CYCLES % (1 << BITS)));
    println!(
        "{BITS}-bit counter, {nodes} nodes: {CYCLES} clock cycles, {} gate evaluations; \
         final value {} = {CYCLES} mod {}: checked (sequential and 2-thread parallel agree)",
        par.executed,
        par_out.1,
        1 << BITS
    );
}

#[test]
fn example_runs_and_checks_its_result() {
    main();
}
