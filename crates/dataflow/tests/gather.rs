//! `gather`: many same-typed ports as one `Vec`, in order, on every engine; runs again each
//! activation in a multiple-use graph; a missing input stalls and is reported.

mod common;

use common::pool;
use ontime_dataflow::common::StrictTask;
use ontime_dataflow::{multiple_uses, single_use};

/// 50 producers of `i * k` gathered into one vector, summed.
macro_rules! fan_in {
    ($module:ident, $k:expr) => {{
        let mut g = $module::GraphBuilder::new();
        let k: u64 = $k;
        let parts: Vec<_> = (0..50u64)
            .map(|i| {
                let (tx, rx) = g.port();
                g.task(StrictTask::new(move || (i * k,)), (), (tx,));
                rx
            })
            .collect();
        let all = g.gather(parts);
        let (v_tx, v_rx) = g.port::<Vec<u64>>();
        g.task(StrictTask::new(|v: Vec<u64>| (v,)), (all,), (v_tx,));
        let out = g.output(v_rx);
        (g.build().unwrap(), out)
    }};
}

#[test]
fn gathered_values_arrive_in_order_on_every_engine() {
    let pool = pool(2);
    let want: Vec<u64> = (0..50).map(|i| i * 3).collect();
    let (g, out) = fan_in!(single_use, 3);
    let r = g.run_sequential().unwrap();
    assert_eq!(out.take().unwrap(), want);
    assert_eq!(r.executed, 52);
    let (g, out) = fan_in!(single_use, 3);
    g.run_parallel(&pool).unwrap();
    assert_eq!(out.take().unwrap(), want);
    let (mut g, out) = fan_in!(multiple_uses, 3);
    for parallel in [false, true, false, true] {
        let r = if parallel {
            g.run_parallel(&pool)
        } else {
            g.run_sequential()
        }
        .unwrap();
        assert_eq!(out.take().unwrap(), want);
        assert_eq!(r.executed, 52);
        assert!(r.pending.is_empty());
    }
}

#[test]
fn a_gather_with_a_missing_input_stalls_and_is_reported() {
    let mut g = single_use::GraphBuilder::new();
    let (a_tx, a_rx) = g.port::<u8>();
    let (_b_tx, b_rx) = g.port::<u8>(); // never written
    g.task(StrictTask::new(|| (1u8,)), (), (a_tx,));
    let all = g.gather(vec![a_rx, b_rx]);
    let _out = g.output(all);
    let r = g.build().unwrap().run_parallel(&pool(2)).unwrap();
    assert_eq!(r.pending.len(), 1, "{r}");
    assert!(r.to_string().contains("gather of 2"), "{r}");
}

#[test]
fn an_empty_gather_runs_at_the_start_with_an_empty_vec() {
    let mut g = single_use::GraphBuilder::new();
    let all = g.gather(Vec::<ontime_dataflow::Rx<u8>>::new());
    let out = g.output(all);
    g.build().unwrap().run_sequential().unwrap();
    assert_eq!(out.take(), Ok(vec![]));
}

#[test]
#[should_panic(expected = "another")]
fn a_port_of_another_builder_is_refused() {
    let mut a = single_use::GraphBuilder::new();
    let (_tx, rx) = a.port::<u8>();
    let mut b = single_use::GraphBuilder::new();
    let _ = b.gather(vec![rx]);
}
