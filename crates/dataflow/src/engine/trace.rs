//! Execution traces: [`Trace`] records, for every task run of the runs it is given to
//! ([`RunOptions::trace`](crate::RunOptions::trace)), the node, the thread and the start and
//! end times, and writes them as Chrome trace-event JSON, which Perfetto
//! (<https://ui.perfetto.dev>) and `chrome://tracing` open.
//!
//! Each pool worker appends to its own buffer (the calling thread of a sequential run, or a
//! thread outside the pool, to one more), behind a lock nobody else takes while the run goes
//! on, so tracing does not serialise a parallel run; it costs two clock reads and a push per
//! task run, and nothing when no trace is given.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::sync::lock;

/// One task run in a [`Trace`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The node's index in its graph.
    pub node: u32,
    /// The pool worker that ran it (`ontime_core::current_thread_index`), or `None` for a
    /// thread outside the pool (a sequential run's caller).
    pub worker: Option<u32>,
    /// Start, in nanoseconds since the trace was made.
    pub start_ns: u64,
    /// End, in nanoseconds since the trace was made.
    pub end_ns: u64,
}

/// A recorder of task runs for [`RunOptions::trace`](crate::RunOptions::trace); clones share
/// it. See the module docs for the format and cost.
///
/// ```
/// use ontime_dataflow::common::StrictTask;
/// use ontime_dataflow::single_use::GraphBuilder;
/// use ontime_dataflow::{RunOptions, Trace};
///
/// let mut g = GraphBuilder::new();
/// let x = g.input(1u64);
/// let (y_tx, y_rx) = g.port();
/// let double = g.task(StrictTask::new(|x: u64| (x * 2,)), (x,), (y_tx,));
/// g.name(double, "double");
/// let out = g.output(y_rx);
/// let trace = Trace::new();
/// let pool = ontime_core::ThreadPool::new(2).unwrap();
/// g.build().unwrap().run_parallel_with(&pool, &RunOptions::new().trace(&trace)).unwrap();
/// assert_eq!(out.take(), Ok(2));
/// let spans = trace.spans();
/// assert_eq!(spans.len(), 1);
/// assert!(spans[0].end_ns >= spans[0].start_ns);
/// let json = trace.to_chrome_json();
/// assert!(json.starts_with("{\"traceEvents\":[") && json.contains("\"name\":\"double\""));
/// ```
#[derive(Clone, Debug)]
pub struct Trace {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    origin: Instant,
    /// One buffer per pool worker, and the last one for other threads; grown on demand.
    buffers: Mutex<Vec<Arc<Mutex<Vec<Span>>>>>,
    /// Node names (index = node), from the latest run's graph.
    names: Mutex<Vec<Option<Arc<str>>>>,
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

impl Trace {
    /// An empty trace; its clock starts now.
    pub fn new() -> Self {
        Trace {
            inner: Arc::new(Inner {
                origin: Instant::now(),
                buffers: Mutex::new(Vec::new()),
                names: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Nanoseconds since the trace was made.
    pub(crate) fn now(&self) -> u64 {
        u64::try_from(self.inner.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The buffer of `worker` (`None`: a thread outside the pool).
    pub(crate) fn buffer(&self, worker: Option<usize>) -> Arc<Mutex<Vec<Span>>> {
        let mut b = lock(&self.inner.buffers);
        let slot = worker.map_or(0, |w| w + 1);
        while b.len() <= slot {
            b.push(Arc::new(Mutex::new(Vec::new())));
        }
        Arc::clone(&b[slot])
    }

    /// Keeps the graph's node names for the export (once per run).
    pub(crate) fn set_names(&self, names: Vec<Option<Arc<str>>>) {
        *lock(&self.inner.names) = names;
    }

    /// Every span recorded so far, by start time.
    pub fn spans(&self) -> Vec<Span> {
        let buffers: Vec<_> = lock(&self.inner.buffers).clone();
        let mut all: Vec<Span> = buffers.iter().flat_map(|b| lock(b).clone()).collect();
        all.sort_by_key(|s| (s.start_ns, s.node));
        all
    }

    /// The spans as Chrome trace-event JSON (complete events, microseconds): one row per
    /// worker (`tid` = worker + 1; 0 for threads outside the pool), each event named after
    /// its node.
    pub fn to_chrome_json(&self) -> String {
        let names = lock(&self.inner.names).clone();
        let mut out = String::from("{\"traceEvents\":[");
        for (k, s) in self.spans().iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let name = match names.get(s.node as usize).and_then(|n| n.as_deref()) {
                Some(n) => json_string(n),
                None => format!("\"node #{}\"", s.node),
            };
            let tid = s.worker.map_or(0, |w| w + 1);
            let _ = write!(
                out,
                "{{\"name\":{name},\"cat\":\"task\",\"ph\":\"X\",\"ts\":{:.3},\"dur\":{:.3},\"pid\":1,\"tid\":{tid},\"args\":{{\"node\":{}}}}}",
                s.start_ns as f64 / 1000.0,
                s.end_ns.saturating_sub(s.start_ns) as f64 / 1000.0,
                s.node
            );
        }
        out.push_str("],\"displayTimeUnit\":\"ns\"}");
        out
    }

    /// Writes [`to_chrome_json`](Self::to_chrome_json) to `path`.
    pub fn write_chrome_json(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_chrome_json())
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
