//! Condition tasks: loops with no lap synchronisation on both multiple-use engines, if/else
//! on both single-use engines, the same results on every engine, and builder misuse.

mod common;

use common::pool;
use ontime_dataflow::common::{FnTask, StrictTask};
use ontime_dataflow::{multiple_uses, single_use, In, Out, ReceiverOnce, Scheduler, SenderOnce};

/// The loop's value: (total, laps).
type Pair = (u64, u64);

/// A counter loop driven by a condition: `head` adds the step, `test` loops while the total
/// is below `limit` and otherwise sends it out. Also counts the laps.
fn counter(
    step: u64,
    limit: u64,
) -> (
    multiple_uses::Graph,
    ontime_dataflow::PortReceiver<(u64, u64)>,
) {
    let mut g = multiple_uses::GraphBuilder::new();
    let (x_tx, x_rx) = g.port::<(u64, u64)>();
    let (y_tx, y_rx) = g.port::<(u64, u64)>();
    let (z_tx, z_rx) = g.port::<(u64, u64)>();
    g.initial(&x_tx, (0, 0));
    let head = g.task(
        FnTask::new(
            move |_: &dyn Scheduler, (x,): (In<(u64, u64)>,), (y,): (Out<'_, (u64, u64)>,)| {
                let (total, laps) = x.recv_once().unwrap();
                y.send_once((total + step, laps + 1)).unwrap();
            },
        ),
        (x_rx,),
        (y_tx,),
    );
    let test = g.condition(
        move |_: &dyn Scheduler,
              (y,): (In<(u64, u64)>,),
              (again, done): (Out<'_, Pair>, Out<'_, Pair>)| {
            let v = y.recv_once().unwrap();
            if v.0 < limit {
                again.send_once(v).unwrap();
                0
            } else {
                done.send_once(v).unwrap();
                1
            }
        },
        (y_rx,),
        (x_tx, z_tx),
    );
    g.branch_seeded(test, 0, head);
    g.name(head, "head").name(test.node(), "test");
    let out = g.output(z_rx);
    (g.build().unwrap(), out)
}

#[test]
fn a_condition_loop_gives_the_same_result_on_both_multiple_use_engines() {
    let pool = pool(2);
    let (mut graph, out) = counter(7, 1000);
    for parallel in [false, true, false, true] {
        let report = if parallel {
            graph.run_parallel(&pool)
        } else {
            graph.run_sequential()
        }
        .unwrap();
        // 143 laps of 7 pass 1000 (1001); every lap runs head and test once.
        assert_eq!(out.take(), Ok((1001, 143)), "parallel: {parallel}");
        assert_eq!(report.executed, 2 * 143);
        assert!(report.pending.is_empty(), "{report}");
    }
}

#[test]
fn a_loop_head_waiting_for_a_once_per_run_input_stalls_and_the_stall_is_reported() {
    // The head also reads a step that a source node writes once per run: the first lap
    // waits for it and the seeded branch, and runs; the second lap waits for a step that
    // never comes again. The run ends stalled, and the report names the head.
    let pool = pool(2);
    let mut g = multiple_uses::GraphBuilder::new();
    let (s_tx, s_rx) = g.port::<u64>();
    let (x_tx, x_rx) = g.port::<u64>();
    let (y_tx, y_rx) = g.port::<u64>();
    let (z_tx, z_rx) = g.port::<u64>();
    g.initial(&x_tx, 1);
    g.task(
        StrictTask::new(|| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            (3u64,)
        }),
        (),
        (s_tx,),
    );
    let head = g.task(
        FnTask::new({
            let mut step = 0;
            move |_: &dyn Scheduler, (x, s): (In<u64>, In<u64>), (y,): (Out<'_, u64>,)| {
                if let Ok(v) = s.recv_once() {
                    step = v;
                }
                y.send_once(x.recv_once().unwrap() * step).unwrap();
            }
        }),
        (x_rx, s_rx),
        (y_tx,),
    );
    let test = g.condition(
        |_: &dyn Scheduler, (y,): (In<u64>,), (again, done): (Out<'_, u64>, Out<'_, u64>)| {
            let v = y.recv_once().unwrap();
            if v < 100 {
                again.send_once(v).unwrap();
                0
            } else {
                done.send_once(v).unwrap();
                1
            }
        },
        (y_rx,),
        (x_tx, z_tx),
    );
    g.branch_seeded(test, 0, head);
    let out = g.output(z_rx);
    let mut graph = g.build().unwrap();
    for report in [
        graph.run_parallel(&pool).unwrap(),
        graph.run_sequential().unwrap(),
    ] {
        assert_eq!(out.take().ok(), None);
        assert_eq!(
            report.pending.iter().map(|n| n.id).collect::<Vec<_>>(),
            [head],
            "{report}"
        );
    }
}

/// An if/else: `test` sends `x` to the even or the odd branch's target.
macro_rules! parity {
    ($module:ident, $x:expr, |$g:ident, $v:ident| $input:expr) => {{
        let mut $g = $module::GraphBuilder::new();
        let $v: u32 = $x;
        let x = $input;
        let (v_tx, v_rx) = $g.port::<u32>();
        let (e_tx, e_rx) = $g.port::<String>();
        let (o_tx, o_rx) = $g.port::<String>();
        let test = $g.condition(
            |_: &dyn Scheduler, (x,): (In<u32>,), (v,): (Out<'_, u32>,)| {
                let x = x.recv_once().unwrap();
                v.send_once(x).unwrap();
                (x % 2) as usize
            },
            (x,),
            (v_tx,),
        );
        let even = $g.task(
            StrictTask::new(|v: u32| (format!("{v} is even"),)),
            (v_rx.clone(),),
            (e_tx,),
        );
        let odd = $g.task(
            StrictTask::new(|v: u32| (format!("{v} is odd"),)),
            (v_rx,),
            (o_tx,),
        );
        $g.branch(test, 0, even).branch(test, 1, odd);
        let (e, o) = ($g.output(e_rx), $g.output(o_rx));
        ($g.build().unwrap(), e, o)
    }};
}

#[test]
fn an_if_else_runs_one_branch_on_every_engine() {
    let pool = pool(2);
    for x in [4u32, 7] {
        let want = if x % 2 == 0 { "even" } else { "odd" };
        let mut seen = Vec::new();
        for engine in 0..4 {
            let (report, e, o) = match engine {
                0 | 1 => {
                    let (g, e, o) = parity!(single_use, x, |g, v| g.input(v));
                    let r = if engine == 0 {
                        g.run_sequential()
                    } else {
                        g.run_parallel(&pool)
                    };
                    (r.unwrap(), e, o)
                }
                _ => {
                    let (mut g, e, o) = parity!(multiple_uses, x, |g, v| g.input(v).1);
                    let r = if engine == 2 {
                        g.run_sequential()
                    } else {
                        g.run_parallel(&pool)
                    };
                    (r.unwrap(), e, o)
                }
            };
            let got = e.take().or_else(|_| o.take()).unwrap();
            assert!(got.ends_with(want), "{got}");
            // The branch not taken holds the value (its data input came, its branch not).
            assert_eq!(report.executed, 2);
            assert_eq!(report.pending.len(), 1, "{report}");
            seen.push(got);
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    }
}

#[test]
fn a_branch_number_with_no_branch_activates_nothing() {
    let mut g = single_use::GraphBuilder::new();
    let (t_tx, t_rx) = g.port::<u8>();
    let test = g.condition(|_: &dyn Scheduler, (), ()| 5, (), ());
    let never = g.task(StrictTask::new(|| (1u8,)), (), (t_tx,));
    g.branch(test, 0, never);
    let out = g.output(t_rx);
    let report = g.build().unwrap().run_sequential().unwrap();
    assert!(out.take().is_err());
    assert_eq!(report.executed, 1);
    assert_eq!(report.never_ran.len(), 1);
    assert!(report.pending.is_empty());
}

#[test]
fn one_branch_can_activate_several_targets_and_dot_shows_branches() {
    let mut g = single_use::GraphBuilder::new();
    let (a_tx, a_rx) = g.port::<u8>();
    let (b_tx, b_rx) = g.port::<u8>();
    let test = g.condition(|_: &dyn Scheduler, (), ()| 0, (), ());
    let a = g.task(StrictTask::new(|| (1u8,)), (), (a_tx,));
    let b = g.task(StrictTask::new(|| (2u8,)), (), (b_tx,));
    g.branch(test, 0, a).branch(test, 0, b);
    let dot = g.to_dot();
    assert!(dot.contains("arrowhead=diamond, label=\"0\""), "{dot}");
    let (oa, ob) = (g.output(a_rx), g.output(b_rx));
    g.build().unwrap().run_parallel(&pool(2)).unwrap();
    assert_eq!((oa.take(), ob.take()), (Ok(1), Ok(2)));
}

#[test]
fn a_cycle_through_a_condition_is_refused_in_a_single_use_graph() {
    let mut g = single_use::GraphBuilder::new();
    let test = g.condition(|_: &dyn Scheduler, (), ()| 0, (), ());
    let body = g.task(StrictTask::new(|| ()), (), ());
    g.precede(test.node(), body);
    g.branch(test, 0, body);
    g.branch(test, 1, test.node());
    let err = g.build().unwrap_err();
    assert!(err.to_string().contains("may not have cycles"), "{err}");
}

#[test]
#[should_panic(expected = "belongs to another graph")]
fn a_condition_of_another_builder_is_refused() {
    let mut a = single_use::GraphBuilder::new();
    let test = a.condition(|_: &dyn Scheduler, (), ()| 0, (), ());
    let mut b = single_use::GraphBuilder::new();
    let n = b.task(StrictTask::new(|| ()), (), ());
    b.branch(test, 0, n);
}
