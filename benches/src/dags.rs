//! The graph shapes of the dataflow suite (after Taskflow's micro-benchmarks), and the two
//! peers that run them without ontime: serial code and a hand-built rayon-scope engine.
//!
//! Every node computes `sum of its inputs + its index` (wrapping), plus optional calibrated
//! work; sinks add their value into a checksum, which every implementation must reproduce.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::load::{Rng, Spin};

/// A DAG whose node indices are a topological order (every predecessor has a lower index).
#[derive(Clone, Debug)]
pub struct Dag {
    /// Predecessors of each node.
    pub preds: Vec<Vec<u32>>,
    /// Successors of each node.
    pub succs: Vec<Vec<u32>>,
}

impl Dag {
    fn from_preds(preds: Vec<Vec<u32>>) -> Dag {
        let mut succs = vec![Vec::new(); preds.len()];
        for (i, ps) in preds.iter().enumerate() {
            for &p in ps {
                succs[p as usize].push(i as u32);
            }
        }
        Dag { preds, succs }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.preds.len()
    }

    /// Whether the DAG has no nodes.
    pub fn is_empty(&self) -> bool {
        self.preds.is_empty()
    }

    /// Number of edges.
    pub fn edges(&self) -> usize {
        self.preds.iter().map(Vec::len).sum()
    }

    /// `n` nodes in a line.
    pub fn linear_chain(n: usize) -> Dag {
        Dag::from_preds(
            (0..n)
                .map(|i| if i == 0 { vec![] } else { vec![i as u32 - 1] })
                .collect(),
        )
    }

    /// A complete binary tree of `depth` levels, root first: each node feeds its two children.
    pub fn binary_tree(depth: u32) -> Dag {
        let n = (1usize << depth) - 1;
        Dag::from_preds(
            (0..n)
                .map(|i| {
                    if i == 0 {
                        vec![]
                    } else {
                        vec![(i as u32 - 1) / 2]
                    }
                })
                .collect(),
        )
    }

    /// An `s` × `s` grid: block (r, c) needs (r-1, c) and (r, c-1).
    pub fn wavefront(s: usize) -> Dag {
        Dag::from_preds(
            (0..s * s)
                .map(|i| {
                    let (r, c) = (i / s, i % s);
                    let mut p = Vec::new();
                    if r > 0 {
                        p.push((i - s) as u32);
                    }
                    if c > 0 {
                        p.push((i - 1) as u32);
                    }
                    p
                })
                .collect(),
        )
    }

    /// `levels` levels of `width` nodes; each node after the first level reads 1 to 4 random
    /// nodes of the level before.
    pub fn level_dag(levels: usize, width: usize, seed: u64) -> Dag {
        let mut rng = Rng::new(seed);
        Dag::from_preds(
            (0..levels * width)
                .map(|i| {
                    let l = i / width;
                    if l == 0 {
                        return vec![];
                    }
                    let k = 1 + (rng.next_u64() % 4) as usize;
                    let mut p: Vec<u32> = (0..k)
                        .map(|_| {
                            ((l - 1) * width + (rng.next_u64() % width as u64) as usize) as u32
                        })
                        .collect();
                    p.sort_unstable();
                    p.dedup();
                    p
                })
                .collect(),
        )
    }

    /// `n` independent nodes.
    pub fn embarrassing(n: usize) -> Dag {
        Dag::from_preds(vec![Vec::new(); n])
    }
}

/// Per-node work: none, or `units` of a calibrated spin.
#[derive(Clone, Copy, Debug)]
pub struct Work(pub Option<(Spin, u64)>);

impl Work {
    /// A node's value from the sum of its inputs.
    #[inline]
    pub fn value(&self, inputs: u64, index: u64) -> u64 {
        let v = inputs.wrapping_add(index);
        match self.0 {
            None => v,
            Some((spin, units)) => v.wrapping_add(spin.spin(units) & 0xff),
        }
    }
}

/// The serial reference: nodes in index order; returns the sinks' checksum.
pub fn run_serial(dag: &Dag, work: Work, values: &mut Vec<u64>) -> u64 {
    values.clear();
    values.resize(dag.len(), 0);
    let mut acc = 0u64;
    for i in 0..dag.len() {
        let s = dag.preds[i]
            .iter()
            .fold(0u64, |a, &p| a.wrapping_add(values[p as usize]));
        let v = work.value(s, i as u64);
        values[i] = v;
        if dag.succs[i].is_empty() {
            acc = acc.wrapping_add(v);
        }
    }
    acc
}

struct RsCtx<'a> {
    dag: &'a Dag,
    counters: Vec<AtomicU32>,
    values: Vec<AtomicU64>,
    acc: AtomicU64,
    work: Work,
}

fn rs_node<'s>(s: &rayon_core::Scope<'s>, ctx: &'s RsCtx<'s>, i: u32) {
    let i = i as usize;
    let sum = ctx.dag.preds[i].iter().fold(0u64, |a, &p| {
        a.wrapping_add(ctx.values[p as usize].load(Ordering::Acquire))
    });
    let v = ctx.work.value(sum, i as u64);
    ctx.values[i].store(v, Ordering::Release);
    let succs = &ctx.dag.succs[i];
    if succs.is_empty() {
        ctx.acc.fetch_add(v, Ordering::Relaxed);
    }
    for &c in succs {
        if ctx.counters[c as usize].fetch_sub(1, Ordering::AcqRel) == 1 {
            s.spawn(move |s| rs_node(s, ctx, c));
        }
    }
}

/// The hand-built rayon baseline: a counter per node (its number of inputs), values in an
/// array, a `rayon_core::scope` in which each finished node spawns the successors whose
/// counter it brought to zero. Counters and values are allocated per run, as a user would.
pub fn run_rayon_scope(pool: &rayon_core::ThreadPool, dag: &Dag, work: Work) -> u64 {
    let ctx = RsCtx {
        dag,
        counters: dag
            .preds
            .iter()
            .map(|p| AtomicU32::new(p.len() as u32))
            .collect(),
        values: (0..dag.len()).map(|_| AtomicU64::new(0)).collect(),
        acc: AtomicU64::new(0),
        work,
    };
    let ctx = &ctx;
    pool.install(|| {
        rayon_core::scope(|s| {
            for (i, p) in dag.preds.iter().enumerate() {
                if p.is_empty() {
                    s.spawn(move |s| rs_node(s, ctx, i as u32));
                }
            }
        })
    });
    ctx.acc.load(Ordering::Relaxed)
}

/// Builds `dag` as an ontime-dataflow graph with either builder: one port per node, fanned
/// out to its successors; sinks add into `$acc` (an `Arc<AtomicU64>`).
#[macro_export]
macro_rules! build_dataflow {
    ($builder:ty, $dag:expr, $work:expr, $acc:expr) => {{
        use ontime_dataflow::common::StrictTask;
        let dag: &$crate::dags::Dag = $dag;
        let work: $crate::dags::Work = $work;
        let mut g = <$builder>::new();
        let mut rx: Vec<ontime_dataflow::Rx<u64>> = Vec::with_capacity(dag.len());
        for i in 0..dag.len() {
            let (tx, r) = g.port::<u64>();
            let k = i as u64;
            let sink = if dag.succs[i].is_empty() {
                Some(std::sync::Arc::clone(&$acc))
            } else {
                None
            };
            let fin = move |v: u64| {
                if let Some(a) = &sink {
                    a.fetch_add(v, std::sync::atomic::Ordering::Relaxed);
                }
                (v,)
            };
            let input = |p: u32| rx[p as usize].clone();
            match dag.preds[i].as_slice() {
                [] => {
                    g.task(StrictTask::new(move || fin(work.value(0, k))), (), (tx,));
                }
                [a] => {
                    let a = input(*a);
                    g.task(
                        StrictTask::new(move |x: u64| fin(work.value(x, k))),
                        (a,),
                        (tx,),
                    );
                }
                [a, b] => {
                    let (a, b) = (input(*a), input(*b));
                    g.task(
                        StrictTask::new(
                            move |x: u64, y: u64| fin(work.value(x.wrapping_add(y), k)),
                        ),
                        (a, b),
                        (tx,),
                    );
                }
                [a, b, c] => {
                    let (a, b, c) = (input(*a), input(*b), input(*c));
                    g.task(
                        StrictTask::new(move |x: u64, y: u64, z: u64| {
                            fin(work.value(x.wrapping_add(y).wrapping_add(z), k))
                        }),
                        (a, b, c),
                        (tx,),
                    );
                }
                [a, b, c, d] => {
                    let (a, b, c, d) = (input(*a), input(*b), input(*c), input(*d));
                    g.task(
                        StrictTask::new(move |x: u64, y: u64, z: u64, w: u64| {
                            fin(work.value(x.wrapping_add(y).wrapping_add(z).wrapping_add(w), k))
                        }),
                        (a, b, c, d),
                        (tx,),
                    );
                }
                more => panic!("build_dataflow: {} inputs (at most 4)", more.len()),
            }
            rx.push(r);
        }
        g.build().expect("benchmark graphs are acyclic")
    }};
}
