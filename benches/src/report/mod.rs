//! `report.md` and the SVG figures, rendered from a `results.json` alone (so `cargo xtask
//! report` can redo them without re-running anything).

pub mod figures;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

pub use crate::pairing::is_ours;
use crate::results::{Record, Results};
use figures::{bars, line_panels, Group, Line};

/// Whether a larger value is better for `metric`.
pub fn higher_is_better(metric: &str) -> bool {
    matches!(metric, "throughput_per_s" | "goodput_per_s")
}

/// Formats a value for a table.
pub fn fmt_value(metric: &str, v: f64) -> String {
    match metric {
        "time_ns" if v >= 1e6 => format!("{:.3} ms", v / 1e6),
        "time_ns" => format!("{:.1} µs", v / 1e3),
        "ns_per_task" => format!("{v:.1} ns"),
        "miss_ratio" => format!("{v:.3}"),
        "idle_cpu_fraction" => format!("{:.2} %", v * 100.0),
        "throughput_per_s" | "goodput_per_s" => format!("{v:.0}/s"),
        m if m.ends_with("_ns") => format!("{:.1} µs", v / 1e3),
        _ => format!("{v:.4}"),
    }
}

/// Records of one (case, threads, metric), in file order.
type Row<'a> = ((String, usize, String), Vec<&'a Record>);

fn rows<'a>(r: &'a Results, suite: &str, metrics: &[&str]) -> Vec<Row<'a>> {
    let mut out: Vec<Row<'a>> = Vec::new();
    for rec in r.results.iter().filter(|x| x.suite == suite) {
        if !metrics.is_empty() && !metrics.contains(&rec.metric.as_str()) {
            continue;
        }
        let key = (rec.case.clone(), rec.threads, rec.metric.clone());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(rec),
            None => out.push((key, vec![rec])),
        }
    }
    out
}

/// The best peer of a row (`pairing::best_peer`: serial code counts only when it is the sole
/// peer).
fn best_peer<'a>(recs: &[&'a Record], metric: &str) -> Option<&'a Record> {
    let entries: Vec<(&str, f64)> = recs
        .iter()
        .map(|x| (x.implementation.as_str(), x.value))
        .collect();
    crate::pairing::best_peer(&entries, higher_is_better(metric)).map(|i| recs[i])
}

/// One of ontime's figures against the best peer of its row.
#[derive(Clone, Debug, PartialEq)]
pub struct Ratio {
    /// ontime's implementation.
    pub ours: String,
    /// `ours ÷ peer`: the paired per-round ratio where the record carries one (time-based
    /// suites, `pairing.rs`), else the ratio of the two values.
    pub value: f64,
    /// The best peer.
    pub peer: String,
    /// The 95% interval of a paired ratio.
    pub interval: Option<(f64, f64)>,
}

impl Ratio {
    /// `0.98× rayon [0.97, 0.99]`, or without the interval where there is none.
    ///
    /// ```
    /// use ontime_benches::report::Ratio;
    /// let r = Ratio { ours: "ontime".into(), value: 0.98, peer: "rayon".into(), interval: Some((0.97, 0.99)) };
    /// assert_eq!(r.describe(), "0.980× rayon [0.970, 0.990]");
    /// ```
    pub fn describe(&self) -> String {
        match self.interval {
            Some((lo, hi)) => format!("{:.3}× {} [{lo:.3}, {hi:.3}]", self.value, self.peer),
            None => format!("{:.2}× {}", self.value, self.peer),
        }
    }
}

/// `ours ÷ best peer` for each of ontime's implementations in a row.
pub fn ratios(recs: &[&Record], metric: &str) -> Vec<Ratio> {
    let Some(peer) = best_peer(recs, metric) else {
        return Vec::new();
    };
    recs.iter()
        .filter(|x| is_ours(&x.implementation) && peer.value != 0.0)
        .map(|x| {
            let paired = (x.extra.get("ratio_peer").and_then(|p| p.as_str())
                == Some(peer.implementation.as_str()))
            .then(|| {
                let f = |k: &str| x.extra.get(k).and_then(|v| v.as_f64());
                Some((f("ratio")?, f("ratio_lo")?, f("ratio_hi")?))
            })
            .flatten();
            match paired {
                Some((v, lo, hi)) => Ratio {
                    ours: x.implementation.clone(),
                    value: v,
                    peer: peer.implementation.clone(),
                    interval: Some((lo, hi)),
                },
                None => Ratio {
                    ours: x.implementation.clone(),
                    value: x.value / peer.value,
                    peer: peer.implementation.clone(),
                    interval: None,
                },
            }
        })
        .collect()
}

/// One panel per latency workload: each implementation's `metric` against the load.
/// Lines against load, one panel per key: `points` yields (panel, implementation, load,
/// value); each line's points come out sorted by load.
fn panels_by<K: Ord>(
    points: impl Iterator<Item = (K, String, f64, f64)>,
    title: impl Fn(&K) -> String,
) -> Vec<(String, Vec<Line>)> {
    let mut panels: BTreeMap<K, BTreeMap<String, Vec<(f64, f64)>>> = BTreeMap::new();
    for (key, implementation, load, value) in points {
        panels
            .entry(key)
            .or_default()
            .entry(implementation)
            .or_default()
            .push((load, value));
    }
    panels
        .into_iter()
        .map(|(key, lines)| {
            let lines = lines
                .into_iter()
                .map(|(n, mut pts)| {
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    (n, pts)
                })
                .collect();
            (title(&key), lines)
        })
        .collect()
}

/// The sim suite's miss ratio against load for `workload` (Poisson arrivals): one panel per
/// simulated pool size of 16 workers or more.
fn sim_panels(r: &Results, workload: &str) -> Vec<(String, Vec<Line>)> {
    let points = r.results.iter().filter_map(|x| {
        let ours = x.suite == "sim"
            && x.metric == "miss_ratio"
            && x.threads >= 16
            && extra_str(x, "workload") == Some(workload)
            && extra_str(x, "arrivals") == Some("poisson");
        let load = extra_f64(x, "load").filter(|_| ours)?;
        Some((x.threads, x.implementation.clone(), load, x.value))
    });
    panels_by(points, |n| format!("{n} workers"))
}

/// The latency suite's `metric` against load: one panel per workload.
fn load_panels(r: &Results, metric: &str) -> Vec<(String, Vec<Line>)> {
    let points = r
        .results
        .iter()
        .filter(|x| x.suite == "latency" && x.metric == metric)
        .filter_map(|x| {
            let (w, load) = (extra_str(x, "workload")?, extra_f64(x, "load")?);
            Some((w.to_string(), x.implementation.clone(), load, x.value))
        });
    panels_by(points, String::clone)
}

fn suite_table(r: &Results, suite: &str, metrics: &[&str]) -> String {
    let rows = rows(r, suite, metrics);
    if rows.is_empty() {
        return String::new();
    }
    let mut impls: Vec<String> = Vec::new();
    for (_, recs) in &rows {
        for x in recs {
            if !impls.contains(&x.implementation) {
                impls.push(x.implementation.clone());
            }
        }
    }
    impls.sort_by_key(|i| !is_ours(i));
    let mut s = String::new();
    let _ = write!(s, "| case | threads | metric |");
    for i in &impls {
        let _ = write!(s, " {i} |");
    }
    s.push_str(" ontime ÷ best peer |\n|---|---:|---|");
    for _ in &impls {
        s.push_str("---:|");
    }
    s.push_str("---|\n");
    for ((case, threads, metric), recs) in &rows {
        let _ = write!(s, "| {case} | {threads} | {metric} |");
        for i in &impls {
            let cell = recs
                .iter()
                .find(|x| &x.implementation == i)
                .map(|x| fmt_value(metric, x.value))
                .unwrap_or_default();
            let _ = write!(s, " {cell} |");
        }
        let rs: Vec<String> = ratios(recs, metric)
            .into_iter()
            .map(|r| format!("{} {}", r.ours, r.describe()))
            .collect();
        let _ = writeln!(s, " {} |", rs.join("; "));
    }
    s
}

fn bar_groups(
    r: &Results,
    suite: &str,
    metric: &str,
    threads: Option<usize>,
    scale: f64,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for x in r
        .results
        .iter()
        .filter(|x| x.suite == suite && x.metric == metric)
    {
        if threads.is_some_and(|t| x.threads != t && x.implementation != "serial") {
            continue;
        }
        let f = |k: &str| x.extra.get(k).and_then(|v| v.as_f64()).map(|v| v / scale);
        let whisker = f("median_lo").zip(f("median_hi"));
        let bar = (x.implementation.clone(), x.value / scale, whisker);
        match groups.iter_mut().find(|g| g.0 == x.case) {
            Some(g) => {
                if !g.1.iter().any(|b| b.0 == bar.0) {
                    g.1.push(bar)
                }
            }
            None => groups.push((x.case.clone(), vec![bar])),
        }
    }
    groups
}

fn extra_str<'a>(x: &'a Record, key: &str) -> Option<&'a str> {
    x.extra.get(key).and_then(|v| v.as_str())
}

fn extra_f64(x: &Record, key: &str) -> Option<f64> {
    x.extra.get(key).and_then(|v| v.as_f64())
}

fn histogram(x: &Record) -> Option<Vec<(f64, f64)>> {
    let h: Vec<u64> = x
        .extra
        .get("log2_ns_histogram")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_u64())
        .collect();
    let total: u64 = h.iter().sum();
    if total == 0 {
        return None;
    }
    let first = h.iter().position(|&c| c > 0)?;
    let last = h.iter().rposition(|&c| c > 0)?;
    Some(
        (first.saturating_sub(1)..=(last + 1).min(h.len() - 1))
            .map(|b| (b as f64, h[b] as f64 / total as f64))
            .collect(),
    )
}

/// Draws every figure the records allow; returns (file name, caption) per figure.
pub fn draw_figures(r: &Results, dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut made = Vec::new();
    // The dataflow figure shows the suite's largest pool. Taken over the dataflow records only:
    // the sim suite's records carry simulated worker counts (up to 256), and a maximum over
    // every record drew an empty dataflow figure labelled "256 threads".
    let dataflow_threads = r
        .results
        .iter()
        .filter(|x| x.suite == "dataflow")
        .map(|x| x.threads)
        .max()
        .unwrap_or(1);
    let mut fig = |name: &str, caption: String, f: &dyn Fn(&Path) -> Result<(), String>| {
        f(&dir.join(name))?;
        made.push((name.to_string(), caption));
        Ok::<(), String>(())
    };
    for (suite, title) in [
        ("fork-join", "fork-join"),
        ("forall", "forall"),
        ("iter", "iter"),
        ("iter-breadth", "iter-breadth"),
    ] {
        let g = bar_groups(r, suite, "time_ns", None, 1e6);
        if !g.is_empty() {
            fig(
                &format!("{suite}.svg"),
                format!(
                    "{title}: median time per run (ms, lower is better), ontime beside its peers; whiskers: 95% interval of each median"
                ),
                &|p| bars(p, &format!("{title}: median time (ms)"), "ms", &g, false),
            )?;
        }
    }
    // Miss ratio and goodput against load, one panel per workload.
    let lat: Vec<&Record> = r
        .results
        .iter()
        .filter(|x| x.suite == "latency" && x.metric == "miss_ratio")
        .collect();
    if !lat.is_empty() {
        fig(
            "latency-miss-ratio.svg",
            "latency: fraction of requests that missed their target against offered load, per policy and workload (lower is better)".into(),
            &|p| line_panels(p, "miss ratio vs load", "load", "miss ratio", &load_panels(r, "miss_ratio"), false),
        )?;
        fig(
            "latency-goodput.svg",
            "latency: requests that met their target per second of arrivals against offered load, per policy and workload (higher is better)".into(),
            &|p| line_panels(p, "goodput vs load", "load", "requests met / s", &load_panels(r, "goodput_per_s"), false),
        )?;
        // Latency distribution at the load nearest 0.8, per workload.
        let mut dist: BTreeMap<String, Vec<Line>> = BTreeMap::new();
        let mut target = None;
        for x in &lat {
            let (Some(w), Some(load)) = (extra_str(x, "workload"), extra_f64(x, "load")) else {
                continue;
            };
            if (load - 0.8).abs() > 1e-9 {
                continue;
            }
            target = target.or(extra_f64(x, "target_ns"));
            if let Some(h) = histogram(x) {
                dist.entry(w.to_string())
                    .or_default()
                    .push((x.implementation.clone(), h));
            }
        }
        if !dist.is_empty() {
            let t = target.map_or(String::new(), |t| {
                format!(", target {:.0} µs = 2^{:.1} ns", t / 1e3, t.log2())
            });
            let panels: Vec<(String, Vec<Line>)> = dist
                .into_iter()
                .map(|(w, l)| (format!("{w}, load 0.8"), l))
                .collect();
            fig(
                "latency-distribution.svg",
                format!("latency: distribution of request latency (log2 ns buckets, fraction of requests) per policy at load 0.8{t}"),
                &|p| line_panels(p, "latency distribution (log2 ns)", "log2(latency ns)", "fraction of requests", &panels, false),
            )?;
        }
    }
    // Simulator: miss ratio against load, one panel per simulated pool size (16, 64, 256),
    // one figure per workload with Poisson arrivals, the clairvoyant bound among the lines.
    for w in ontime_sim::Workload::ALL {
        let panels = sim_panels(r, w.name());
        if !panels.is_empty() {
            fig(
                &format!("sim-{}.svg", w.name()),
                format!("sim: simulated miss ratio against load per policy, {} workload, Poisson arrivals, at 16, 64 and 256 simulated workers (lower is better; clairvoyant: the bound)", w.name()),
                &|p| line_panels(p, &format!("simulated miss ratio vs load: {}", w.name()), "load", "miss ratio", &panels, false),
            )?;
        }
    }
    // Micropools: cheap-packet latency distributions.
    let mp: Vec<&Record> = r
        .results
        .iter()
        .filter(|x| x.suite == "micropools" && x.metric == "p999_ns")
        .collect();
    if !mp.is_empty() {
        let lines: Vec<Line> = mp
            .iter()
            .filter_map(|x| histogram(x).map(|h| (x.implementation.clone(), h)))
            .collect();
        let p999: Vec<String> = mp
            .iter()
            .map(|x| {
                format!(
                    "{} p99.9 {}",
                    x.implementation,
                    fmt_value("p999_ns", x.value)
                )
            })
            .collect();
        let title = format!("cheap packets: {}", p999.join(", "));
        fig(
            "micropools.svg",
            "micropools against one shared pool: latency distribution of the cheap packets (log2 ns buckets)".into(),
            &|p| line_panels(p, "micropools vs single pool", "log2(latency ns)", "fraction of packets", &[(title.clone(), lines.clone())], false),
        )?;
    }
    // Dataflow: ns per task, engines against rayon-scope.
    let g: Vec<Group> = bar_groups(r, "dataflow", "ns_per_task", Some(dataflow_threads), 1.0)
        .into_iter()
        .map(|(c, b)| {
            (
                c.split('-').take(2).collect::<Vec<_>>().join("-"),
                b.into_iter()
                    .filter(|x| x.0 != "serial" && !x.0.ends_with("-seq"))
                    .collect(),
            )
        })
        .collect();
    if !g.is_empty() {
        fig(
            "dataflow.svg",
            format!("dataflow: median ns per task on {dataflow_threads} threads, ontime's engines against the hand-built rayon-scope engine (log scale, lower is better; whiskers: 95% interval of each median)"),
            &|p| bars(p, &format!("dataflow: ns per task, {dataflow_threads} threads"), "ns/task", &g, true),
        )?;
    }
    Ok(made)
}

/// Writes the figures and `report.md` into `dir`; returns the figure file names.
pub fn render(r: &Results, dir: &Path) -> Result<Vec<String>, String> {
    let figs = draw_figures(r, dir)?;
    let mut s = String::new();
    let threads: std::collections::BTreeSet<usize> = r.results.iter().map(|x| x.threads).collect();
    let threads: Vec<String> = threads.iter().map(|t| t.to_string()).collect();
    let _ = writeln!(s, "# ontime benchmark report\n");
    let _ = writeln!(
        s,
        "- Run: **{}** ({}).\n- Machine: {} logical CPUs, {}{}, rustc {}.\n- Threads measured: {}.\n- Suites: {}.\n",
        if r.quick { "quick" } else { "full" },
        if r.quick { "`--quick`: reduced sizes and sample counts" } else { "full sizes" },
        r.machine.cpus,
        r.machine.os,
        r.machine.model.as_deref().map(|m| format!(", {m}")).unwrap_or_default(),
        r.machine.rustc,
        threads.join(", "),
        {
            let mut v: Vec<&str> = Vec::new();
            for x in &r.results {
                if !v.contains(&x.suite.as_str()) {
                    v.push(&x.suite);
                }
            }
            v.join(", ")
        }
    );
    s.push_str(
        "## Method\n\n\
         - Times are **medians** over interleaved rounds: each round runs every implementation of a \
         case once, in an order shuffled afresh every round, after one untimed warm-up of each, so \
         that drift on a noisy machine hits all of them alike.\n\
         - Latency and micropools: **open-loop** Poisson arrivals at the stated load; a request's \
         latency is measured **from its scheduled arrival time**, so queueing delay counts. The \
         miss ratio is the fraction of requests that finished after their target; goodput is the \
         requests that met it per second of arrivals.\n\
         - Every ratio is ontime ÷ the best peer measured **in the same run** (lower is better, \
         except throughput). Serial code is a peer only where no parallel peer exists.\n\
         - Time-based suites (fork-join, forall, dataflow) give the **paired** ratio: the median of \
         the per-round ratios ontime ÷ best peer (every implementation runs once per round), with \
         its 95% interval in brackets (order statistics of the rounds). The latency suite's \
         miss ratios are medians over repetitions (each with its own seed, shared by every \
         implementation); its ratios are the median of the per-repetition ratios, with their \
         range in brackets.\n\
         - `results.json` beside this file holds every figure; `cargo xtask report` redraws this \
         report from it.\n\n",
    );
    let _ = writeln!(s, "## Figures\n");
    for (file, caption) in &figs {
        let _ = writeln!(s, "![{caption}]({file})\n\n*{caption}.*\n");
    }
    for (suite, metrics, note) in [
        (
            "fork-join",
            &[][..],
            "fib(30) and a binary-tree sum with a join per call; idle pool CPU over 1 s.",
        ),
        (
            "forall",
            &[][..],
            "A 1-D map/sum and a tiled matrix product.",
        ),
        (
            "iter",
            &[][..],
            "Parallel iterators and sorts, the same code under ontime's prelude and rayon's.",
        ),
        (
            "iter-breadth",
            &[][..],
            "The rest of the iterator API (folds, flattening, ordered searches, unzip, partition, other collections), the same code under each prelude.",
        ),
        (
            "latency",
            &["miss_ratio", "goodput_per_s"][..],
            "Miss ratio and goodput (requests that met T per second of arrivals) per workload and load; quantiles are in results.json.",
        ),
        (
            "sim",
            &["miss_ratio"][..],
            "Simulated pools (ontime-sim, virtual time, deterministic): miss ratio per workload, load and simulated worker count; each policy's ratio is to the best of steal-first and admit-first (the clairvoyant reference is a bound, not a peer). Goodput and quantiles are in results.json.",
        ),
        (
            "micropools",
            &[][..],
            "Cheap-packet latency quantiles and throughput, micropools against one shared pool.",
        ),
        (
            "dataflow",
            &["ns_per_task"][..],
            "Median ns per task (time per run ÷ tasks); time_ns is in results.json.",
        ),
    ] {
        let t = suite_table(r, suite, metrics);
        if !t.is_empty() {
            let _ = writeln!(s, "## {suite}\n\n{note}\n\n{t}");
        }
    }
    std::fs::write(dir.join("report.md"), s)
        .map_err(|e| format!("cannot write {}: {e}", dir.join("report.md").display()))?;
    Ok(figs.into_iter().map(|f| f.0).collect())
}

/// How each of ontime's headline ratios spread over repeated runs (`--repeat K`): per row and
/// implementation, the median of the runs' ratios and their range.
///
/// ```
/// use ontime_benches::results::{Machine, Record, Results};
/// let run = |ours: f64| Results {
///     schema: 1,
///     quick: true,
///     machine: Machine::detect(),
///     results: vec![
///         Record::new("forall", "c", "ontime", 2, "time_ns", ours),
///         Record::new("forall", "c", "rayon", 2, "time_ns", 10.0),
///     ],
/// };
/// let s = ontime_benches::report::repeat_spread(&[run(9.0), run(11.0), run(10.0)]);
/// assert!(s.contains("1.000 [0.900, 1.100] over 3 runs"), "{s}");
/// ```
pub fn repeat_spread(runs: &[Results]) -> String {
    let mut lines: Vec<(String, Vec<f64>, Vec<String>)> = Vec::new();
    for r in runs {
        for suite in ratio_suites() {
            for ((case, threads, metric), recs) in rows(r, suite, summary_metrics(suite)) {
                for x in ratios(&recs, &metric) {
                    let key = format!(
                        "{suite:<11} {case:<26} {threads:>3} {metric:<12} {:<26}",
                        x.ours
                    );
                    match lines.iter_mut().find(|l| l.0 == key) {
                        Some(l) => {
                            l.1.push(x.value);
                            if !l.2.contains(&x.peer) {
                                l.2.push(x.peer);
                            }
                        }
                        None => lines.push((key, vec![x.value], vec![x.peer])),
                    }
                }
            }
        }
    }
    let mut s = format!(
        "ratio to the best peer across {} runs: median [min, max]\n",
        runs.len()
    );
    for (key, mut v, peers) in lines {
        // The best peer can differ between runs (rayon and rayon-core are often level).
        let peer = peers.join("/");
        let m = crate::harness::median(&mut v);
        let _ = writeln!(
            s,
            "{key} {m:.3} [{:.3}, {:.3}] over {} runs ({peer})",
            v[0],
            v[v.len() - 1],
            v.len()
        );
    }
    s
}

/// The suites whose records carry ratios to a peer, in the order a full run takes them: every
/// suite but the simulator's, whose report has its own table.
fn ratio_suites() -> impl Iterator<Item = &'static str> {
    crate::suites::ALL
        .iter()
        .map(|s| s.name)
        .filter(|&name| name != "sim")
}

/// The metrics the summary and the spread report per suite (all, where empty).
fn summary_metrics(suite: &str) -> &'static [&'static str] {
    match suite {
        "latency" => &["miss_ratio", "goodput_per_s"],
        "dataflow" => &["ns_per_task"],
        "micropools" => &["p999_ns", "throughput_per_s"],
        _ => &[],
    }
}

/// A compact terminal summary: each of ontime's figures with its ratio to the best peer.
pub fn summary(r: &Results) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<11} {:<26} {:>3} {:<12} {:<26} {:>12} {:>8}  best peer",
        "suite", "case", "thr", "metric", "impl", "value", "ratio"
    );
    for suite in ratio_suites() {
        for ((case, threads, metric), recs) in rows(r, suite, summary_metrics(suite)) {
            for r in ratios(&recs, &metric) {
                let v = recs
                    .iter()
                    .find(|x| x.implementation == r.ours)
                    .map_or(0.0, |x| x.value);
                let interval = r
                    .interval
                    .map_or(String::new(), |(lo, hi)| format!(" [{lo:.3}, {hi:.3}]"));
                let _ = writeln!(
                    s,
                    "{suite:<11} {case:<26} {threads:>3} {metric:<12} {:<26} {:>12} {:>7.3}x  {}{interval}",
                    r.ours,
                    fmt_value(&metric, v),
                    r.value,
                    r.peer
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::draw_figures;
    use crate::results::{Record, Results};

    // A full run holds the sim suite's records, at simulated worker counts up to 256, beside
    // the dataflow suite's, at 1 and 2 threads: the dataflow figure must show the latter.
    #[test]
    fn the_dataflow_figure_uses_the_dataflow_suites_own_thread_count() {
        let mut results = Vec::new();
        for (t, ns) in [(1, 60.0), (2, 45.0)] {
            for (imp, f) in [("ontime/multiple-uses", 1.0), ("rayon-scope", 3.0)] {
                results.push(Record::new(
                    "dataflow",
                    "wavefront-128x128",
                    imp,
                    t,
                    "ns_per_task",
                    ns * f,
                ));
            }
        }
        results.push(Record::new(
            "sim",
            "bimodal-load0.8",
            "admit-first",
            256,
            "miss_ratio",
            0.1,
        ));
        let r = Results::for_tests(results);
        let dir = std::env::temp_dir().join(format!("ontime-report-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let figs = draw_figures(&r, &dir).unwrap();
        let caption = &figs.iter().find(|(f, _)| f == "dataflow.svg").unwrap().1;
        assert!(caption.contains("on 2 threads"), "{caption}");
        let svg = std::fs::read_to_string(dir.join("dataflow.svg")).unwrap();
        assert!(
            svg.contains("2 threads") && !svg.contains("256"),
            "the figure has the 2-thread bars"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
