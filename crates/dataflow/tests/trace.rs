//! Execution traces: one span per task run on every engine, valid Chrome trace-event JSON,
//! node names in the events.

mod common;

use common::pool;
use ontime_dataflow::common::StrictTask;
use ontime_dataflow::{multiple_uses, single_use, RunOptions, Trace};

/// A `s`×`s` wavefront: each cell reads its upper and left neighbours (a macro: the same
/// wiring for both builders).
macro_rules! wavefront {
    ($module:ident, $s:expr, |$g:ident, $v:ident| $input:expr) => {{
        let s: usize = $s;
        let mut $g = $module::GraphBuilder::new();
        let mut below: Vec<Option<_>> = (0..s).map(|_| None).collect();
        let mut right: Option<_> = None;
        let mut last = None;
        for r in 0..s {
            for c in 0..s {
                let (d_tx, d_rx) = $g.port::<u64>();
                let (r_tx, r_rx) = $g.port::<u64>();
                let (o_tx, o_rx) = $g.port::<u64>();
                let $v = (r * s + c) as u64;
                let up = below[c].take().unwrap_or_else(|| $input);
                let left = if c == 0 {
                    let $v = 1u64;
                    $input
                } else {
                    right.take().unwrap()
                };
                let n = $g.task(
                    StrictTask::new(|u: u64, l: u64| (u + l, u ^ l, u.wrapping_mul(l))),
                    (up, left),
                    (d_tx, r_tx, o_tx),
                );
                $g.name(n, format!("cell {r},{c}"));
                below[c] = Some(d_rx);
                right = Some(r_rx);
                last = Some(o_rx);
            }
            right = None;
        }
        // Unread ports are fine; keep the last cell's product as the graph's output.
        let out = $g.output(last.unwrap());
        drop(below);
        ($g.build().unwrap(), out)
    }};
}

fn check(trace: &Trace, runs: u64, cells: usize) {
    let spans = trace.spans();
    assert_eq!(spans.len() as u64, runs, "one span per task run");
    let mut seen: Vec<bool> = vec![false; cells];
    for s in &spans {
        assert!(s.end_ns >= s.start_ns);
        seen[s.node as usize] = true;
    }
    assert!(seen.iter().all(|&b| b), "every node traced");
    let json: serde_json::Value =
        serde_json::from_str(&trace.to_chrome_json()).expect("valid JSON");
    let events = json["traceEvents"].as_array().expect("a traceEvents array");
    assert_eq!(events.len(), spans.len());
    for e in events {
        assert_eq!(e["ph"], "X");
        assert!(e["ts"].as_f64().is_some() && e["dur"].as_f64().unwrap() >= 0.0);
        assert!(e["name"].as_str().unwrap().starts_with("cell "));
        assert!(e["tid"].as_u64().is_some());
    }
}

#[test]
fn every_engine_records_one_span_per_task_run_as_valid_trace_json() {
    let pool = pool(2);
    let s = 12;
    let cells = s * s;
    // Single-use, sequential and parallel.
    for parallel in [false, true] {
        let trace = Trace::new();
        let (g, out) = wavefront!(single_use, s, |g, v| g.input(v));
        let opts = RunOptions::new().trace(&trace);
        let report = if parallel {
            g.run_parallel_with(&pool, &opts)
        } else {
            g.run_sequential_with(&opts)
        }
        .unwrap();
        assert!(out.take().is_ok());
        check(&trace, report.executed, cells);
        if parallel {
            assert!(
                trace.spans().iter().all(|s| s.worker.is_some()),
                "run on workers"
            );
        }
    }
    // Multiple-use: two runs into one trace, then a file.
    let (mut g, _out) = wavefront!(multiple_uses, s, |g, v| g.input(v).1);
    let trace = Trace::new();
    let opts = RunOptions::new().trace(&trace);
    let a = g.run_sequential_with(&opts).unwrap();
    let b = g.run_parallel_with(&pool, &opts).unwrap();
    check(&trace, a.executed + b.executed, cells);
    let path = std::env::temp_dir().join(format!("ontime-trace-{}.json", std::process::id()));
    trace.write_chrome_json(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    // Without a trace, nothing is recorded anywhere.
    let before = trace.spans().len();
    g.run_parallel(&pool).unwrap();
    assert_eq!(trace.spans().len(), before);
}
