//! The suites `cargo xtask bench` can run.

pub mod dataflow;
pub mod forall;
pub mod fork_join;
pub mod iter;
pub mod iter_breadth;
pub mod latency;
pub mod micropools;
pub mod sim;

use crate::harness::Stats;
use crate::results::{time_record, Record};

/// Settings shared by every suite.
#[derive(Clone, Debug)]
pub struct Config {
    /// Reduced sizes and sample counts.
    pub quick: bool,
    /// Worker threads for every pool measured.
    pub threads: usize,
}

impl Config {
    /// Timed rounds per case: fewer when quick.
    pub fn rounds(&self, full: usize) -> usize {
        if self.quick {
            (full / 3).max(5)
        } else {
            full
        }
    }
}

/// The peers' pool: rayon-core (also what rayon's parallel iterators run on inside
/// `install`), with named threads so their CPU time can be told apart.
pub fn rayon_pool(threads: usize, name_prefix: &'static str) -> rayon_core::ThreadPool {
    rayon_pool_with_stack(threads, name_prefix, None)
}

/// [`rayon_pool`] with a worker stack size (`None`: rayon's default).
pub fn rayon_pool_with_stack(
    threads: usize,
    name_prefix: &'static str,
    stack: Option<usize>,
) -> rayon_core::ThreadPool {
    let mut b = rayon_core::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("{name_prefix}{i}"));
    if let Some(bytes) = stack {
        b = b.stack_size(bytes);
    }
    b.build().expect("rayon pool")
}

/// ontime's pool for a suite.
pub fn ontime_pool(threads: usize) -> ontime_core::ThreadPool {
    ontime_core::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("ontime pool")
}

/// The time records of one case: one per implementation (serial code counts as one thread),
/// each with `extra`, and ontime's with its paired ratio to the best peer
/// (`pairing::annotate`).
pub fn time_records(
    suite: &str,
    case: &str,
    threads: usize,
    stats: &[Stats],
    extra: &[(&str, serde_json::Value)],
) -> Vec<Record> {
    let mut recs: Vec<Record> = stats
        .iter()
        .map(|s| {
            let t = if s.name == "serial" { 1 } else { threads };
            let mut rec = time_record(suite, case, t, s);
            for (k, v) in extra {
                rec.extra.insert((*k).into(), v.clone());
            }
            rec
        })
        .collect();
    crate::pairing::annotate(stats, &mut recs);
    recs
}

/// Reports progress lines while a suite runs.
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// A suite's entry point.
pub type RunFn = fn(&Config, Progress<'_>) -> Vec<Record>;

/// A suite: its name and how to run it.
#[derive(Debug)]
pub struct Suite {
    /// Name used on the command line and in `results.json`.
    pub name: &'static str,
    /// Runs the suite, reporting progress through the callback.
    pub run: RunFn,
}

/// Every suite available, in the order a full run takes them.
pub const ALL: &[Suite] = &[
    Suite {
        name: "fork-join",
        run: fork_join::run,
    },
    Suite {
        name: "forall",
        run: forall::run,
    },
    Suite {
        name: "iter",
        run: iter::run,
    },
    Suite {
        name: "iter-breadth",
        run: iter_breadth::run,
    },
    Suite {
        name: "latency",
        run: latency::run,
    },
    Suite {
        name: "micropools",
        run: micropools::run,
    },
    Suite {
        name: "dataflow",
        run: dataflow::run,
    },
    Suite {
        name: "sim",
        run: sim::run,
    },
];

/// Looks a suite up by name.
///
/// ```
/// assert!(ontime_benches::suites::find("fork-join").is_some());
/// assert!(ontime_benches::suites::find("nope").is_none());
/// ```
pub fn find(name: &str) -> Option<&'static Suite> {
    ALL.iter().find(|s| s.name == name)
}
