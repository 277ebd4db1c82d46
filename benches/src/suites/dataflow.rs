//! dataflow: Taskflow-style graphs (linear-chain, binary-tree, wavefront, graph-traversal,
//! embarrassing) on ontime-dataflow's engines against a hand-built rayon-scope engine and
//! serial code, on 1 thread and on the configured thread count.
//!
//! - `ontime/single-use`: build the graph and run it in parallel, every sample (a single-use
//!   graph is consumed by its run), like Taskflow's numbers, which include task creation.
//! - `ontime/multiple-uses`: build once, then time the runs (what multiple-use graphs are for).
//! - `ontime/single-use-seq`, `ontime/multiple-uses-seq`: the sequential engines.
//! - `rayon-scope`: counters and values allocated per run, nodes spawned into a rayon scope.
//! - `serial`: a loop over the nodes in topological order.
//!
//! `one-node-entry` times what a run costs when the graph is trivial: 1000 runs of a one-node
//! multiple-use graph per sample, called from outside the pool one by one
//! (`ontime/outside`), or batched with `run_parallel_n` (`ontime/run_parallel_n`), against
//! 1000 rayon-scope runs from outside rayon's pool. `ns_per_task` is then ns per run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{ontime_pool, rayon_pool, Config};
use crate::build_dataflow;
use crate::dags::{run_rayon_scope, run_serial, Dag, Work};
use crate::harness::{measure_interleaved, Stats};
use crate::load::Spin;
use crate::results::{time_record, Record};

const SUITE: &str = "dataflow";

/// A named implementation of one case.
type Impl<'a> = (&'static str, Box<dyn FnMut() + 'a>);

struct Case {
    name: String,
    dag: Dag,
    work: Work,
}

fn cases(cfg: &Config) -> Vec<Case> {
    let q = cfg.quick;
    let block = Spin::calibrate(Duration::from_micros(10));
    let none = Work(None);
    let k = if q { 14 } else { 16 };
    let mut v = vec![
        Case {
            name: format!("linear-chain-2^{k}"),
            dag: Dag::linear_chain(1 << k),
            work: none,
        },
        Case {
            name: format!("binary-tree-d{k}"),
            dag: Dag::binary_tree(k),
            work: none,
        },
    ];
    let s = if q { 64 } else { 128 };
    v.push(Case {
        name: format!("wavefront-{s}x{s}"),
        dag: Dag::wavefront(s),
        work: none,
    });
    let s10 = if q { 24 } else { 40 };
    v.push(Case {
        name: format!("wavefront-{s10}x{s10}-10us"),
        dag: Dag::wavefront(s10),
        work: Work(Some((block, 1))),
    });
    let (levels, width) = if q { (32, 256) } else { (64, 256) };
    v.push(Case {
        name: format!("graph-traversal-{levels}x{width}"),
        dag: Dag::level_dag(levels, width, 42),
        work: none,
    });
    v.push(Case {
        name: format!("embarrassing-2^{k}"),
        dag: Dag::embarrassing(1 << k),
        work: none,
    });
    v
}

/// Runs the suite.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    let mut out = Vec::new();
    let mut thread_counts = vec![1];
    if cfg.threads > 1 {
        thread_counts.push(cfg.threads);
    }
    for case in cases(cfg) {
        let dag = &case.dag;
        let work = case.work;
        let mut scratch = Vec::new();
        let expect = run_serial(dag, work, &mut scratch);
        let tasks = dag.len() as f64;
        let rounds = cfg.rounds(if work.0.is_some() { 15 } else { 30 });
        for &t in &thread_counts {
            progress(&format!(
                "dataflow: {} ({t} thread{})",
                case.name,
                if t == 1 { "" } else { "s" }
            ));
            let o = ontime_pool(t);
            let r = rayon_pool(t, "rayon-dataflow-");
            let acc = Arc::new(AtomicU64::new(0));
            let mut reusable =
                build_dataflow!(ontime_dataflow::multiple_uses::GraphBuilder, dag, work, acc);
            let mut impls: Vec<Impl<'_>> = vec![
                (
                    "ontime/single-use",
                    Box::new(|| {
                        let a = Arc::new(AtomicU64::new(0));
                        let g = build_dataflow!(
                            ontime_dataflow::single_use::GraphBuilder,
                            dag,
                            work,
                            a
                        );
                        g.run_parallel(&o).expect("no task panics");
                        assert_eq!(a.load(Ordering::Relaxed), expect);
                    }),
                ),
                (
                    "ontime/multiple-uses",
                    Box::new(|| {
                        acc.store(0, Ordering::Relaxed);
                        reusable.run_parallel(&o).expect("no task panics");
                        assert_eq!(acc.load(Ordering::Relaxed), expect);
                    }),
                ),
                (
                    "rayon-scope",
                    Box::new(|| assert_eq!(run_rayon_scope(&r, dag, work), expect)),
                ),
            ];
            if t == 1 {
                let acc2 = Arc::new(AtomicU64::new(0));
                let mut reusable_seq = build_dataflow!(
                    ontime_dataflow::multiple_uses::GraphBuilder,
                    dag,
                    work,
                    acc2
                );
                impls.push((
                    "ontime/single-use-seq",
                    Box::new(move || {
                        let a = Arc::new(AtomicU64::new(0));
                        let g = build_dataflow!(
                            ontime_dataflow::single_use::GraphBuilder,
                            dag,
                            work,
                            a
                        );
                        g.run_sequential().expect("no task panics");
                        assert_eq!(a.load(Ordering::Relaxed), expect);
                    }),
                ));
                impls.push((
                    "ontime/multiple-uses-seq",
                    Box::new(move || {
                        acc2.store(0, Ordering::Relaxed);
                        reusable_seq.run_sequential().expect("no task panics");
                        assert_eq!(acc2.load(Ordering::Relaxed), expect);
                    }),
                ));
                impls.push((
                    "serial",
                    Box::new(|| assert_eq!(run_serial(dag, work, &mut scratch), expect)),
                ));
            }
            let mut refs: Vec<(&str, &mut dyn FnMut())> = impls
                .iter_mut()
                .map(|(n, f)| (*n, &mut **f as &mut dyn FnMut()))
                .collect();
            let stats = measure_interleaved(rounds, &mut refs);
            let recs: Vec<Record> = stats
                .iter()
                .map(|s| {
                    let mut rec = time_record(SUITE, &case.name, t, s);
                    rec.extra.insert("tasks".into(), (dag.len() as u64).into());
                    rec.extra
                        .insert("edges".into(), (dag.edges() as u64).into());
                    rec
                })
                .collect();
            out.extend(with_ns_per_task(&stats, recs, tasks));
        }
    }
    out.extend(entry_cost(cfg, progress));
    out
}

/// Runs a one-node graph 1000 times per sample: the cost of entering the pool per run.
fn entry_cost(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Vec<Record> {
    const BATCH: u64 = 1000;
    let t = cfg.threads;
    progress("dataflow: one-node-entry");
    let dag = Dag::linear_chain(1);
    let work = Work(None);
    let expect = run_serial(&dag, work, &mut Vec::new());
    let o = ontime_pool(t);
    let r = rayon_pool(t, "rayon-dataflow-");
    let (acc1, acc2) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut one_by_one = build_dataflow!(
        ontime_dataflow::multiple_uses::GraphBuilder,
        &dag,
        work,
        acc1
    );
    let mut batched = build_dataflow!(
        ontime_dataflow::multiple_uses::GraphBuilder,
        &dag,
        work,
        acc2
    );
    let stats = measure_interleaved(
        cfg.rounds(60),
        &mut [
            ("ontime/outside", &mut || {
                acc1.store(0, Ordering::Relaxed);
                for _ in 0..BATCH {
                    one_by_one.run_parallel(&o).expect("no task panics");
                }
                assert_eq!(acc1.load(Ordering::Relaxed), BATCH * expect);
            }),
            ("ontime/run_parallel_n", &mut || {
                acc2.store(0, Ordering::Relaxed);
                batched
                    .run_parallel_n(&o, BATCH as usize)
                    .expect("no task panics");
                assert_eq!(acc2.load(Ordering::Relaxed), BATCH * expect);
            }),
            ("rayon-scope", &mut || {
                for _ in 0..BATCH {
                    assert_eq!(run_rayon_scope(&r, &dag, work), expect);
                }
            }),
        ],
    );
    let case = "one-node-entry";
    let recs: Vec<Record> = stats
        .iter()
        .map(|s| {
            let mut rec = time_record(SUITE, case, t, s);
            rec.extra.insert("runs_per_sample".into(), BATCH.into());
            rec
        })
        .collect();
    with_ns_per_task(&stats, recs, BATCH as f64)
}

/// Each time record (annotated with its paired ratio, which is also the paired ratio of ns
/// per task) followed by its `ns_per_task` twin: the time divided by `tasks`.
fn with_ns_per_task(stats: &[Stats], mut recs: Vec<Record>, tasks: f64) -> Vec<Record> {
    crate::pairing::annotate(stats, &mut recs);
    let mut out = Vec::new();
    for (s, rec) in stats.iter().zip(recs) {
        let mut per = rec.clone();
        per.metric = "ns_per_task".into();
        per.value = s.median / tasks;
        per.min = Some(s.min / tasks);
        per.max = Some(s.max / tasks);
        per.extra
            .insert("median_lo".into(), (s.median_lo / tasks).into());
        per.extra
            .insert("median_hi".into(), (s.median_hi / tasks).into());
        out.push(rec);
        out.push(per);
    }
    out
}

/// File name of the trace `cargo xtask bench` writes beside its report.
pub const TRACE_FILE: &str = "trace-wavefront.json";

/// Runs the 10 µs-per-cell wavefront once on an ontime pool (multiple-use graph, parallel)
/// with an execution trace, and writes it as Chrome trace-event JSON into `dir`
/// ([`TRACE_FILE`]; open it in <https://ui.perfetto.dev>). Returns the file's path.
pub fn write_trace(cfg: &Config, dir: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let s = if cfg.quick { 24 } else { 40 };
    let block = Spin::calibrate(Duration::from_micros(10));
    let dag = Dag::wavefront(s);
    let acc = Arc::new(AtomicU64::new(0));
    let mut graph = build_dataflow!(
        ontime_dataflow::multiple_uses::GraphBuilder,
        &dag,
        Work(Some((block, 1))),
        acc
    );
    let pool = ontime_pool(cfg.threads);
    let trace = ontime_dataflow::Trace::new();
    let opts = ontime_dataflow::RunOptions::new().trace(&trace);
    graph
        .run_parallel_with(&pool, &opts)
        .map_err(|e| format!("the traced wavefront run failed: {e}"))?;
    let path = dir.join(TRACE_FILE);
    trace
        .write_chrome_json(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
