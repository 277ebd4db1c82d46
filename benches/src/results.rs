//! `results.json`: the stable results format shared with scripts and the report.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Version of the file format.
pub const SCHEMA: u32 = 1;

/// The machine a run was measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs available to the process.
    pub cpus: usize,
    /// Operating system.
    pub os: String,
    /// `rustc` version number.
    pub rustc: String,
    /// CPU model, where the OS tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Machine {
    /// Describes this machine.
    pub fn detect() -> Self {
        let rustc =
            std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
                .arg("--version")
                .output()
                .ok()
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .and_then(|s| s.split_whitespace().nth(1).map(str::to_owned))
                .unwrap_or_else(|| "unknown".into());
        let model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        });
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: std::env::consts::OS.into(),
            rustc,
            model,
        }
    }
}

/// One measured figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Suite name (`fork-join`, `forall`, ...).
    pub suite: String,
    /// Case within the suite (`fib-30`, ...).
    pub case: String,
    /// System measured (`ontime`, `rayon-core`, ...).
    #[serde(rename = "impl")]
    pub implementation: String,
    /// Worker threads.
    pub threads: usize,
    /// Metric name (`time_ns`, `idle_cpu_fraction`, ...).
    pub metric: String,
    /// The median for times; the measured figure for ratios and counts.
    pub value: f64,
    /// Fastest sample, for times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Slowest sample, for times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Number of samples behind `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<usize>,
    /// Anything else worth keeping (sizes, targets, quantiles).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Record {
    /// A record of one value, with no sample statistics and no extras.
    ///
    /// ```
    /// let r = ontime_benches::results::Record::new("forall", "c", "ontime", 2, "time_ns", 5.0);
    /// assert_eq!((r.value, r.samples), (5.0, None));
    /// ```
    pub fn new(
        suite: &str,
        case: &str,
        implementation: &str,
        threads: usize,
        metric: &str,
        value: f64,
    ) -> Record {
        Record {
            suite: suite.into(),
            case: case.into(),
            implementation: implementation.into(),
            threads,
            metric: metric.into(),
            value,
            min: None,
            max: None,
            samples: None,
            extra: BTreeMap::new(),
        }
    }
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Format version ([`SCHEMA`]).
    pub schema: u32,
    /// Whether the run used `--quick` sizes.
    pub quick: bool,
    /// Where it ran.
    pub machine: Machine,
    /// The figures.
    pub results: Vec<Record>,
}

impl Results {
    /// A quick run's results on a made-up 2-CPU machine, for tests.
    #[cfg(test)]
    pub(crate) fn for_tests(results: Vec<Record>) -> Results {
        Results {
            schema: SCHEMA,
            quick: true,
            machine: Machine {
                cpus: 2,
                os: "linux".into(),
                rustc: "1".into(),
                model: None,
            },
            results,
        }
    }

    /// Reads a results file, with a one-line error when it is missing or malformed.
    pub fn load(path: &Path) -> Result<Results, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let r: Results = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a valid results file: {e}", path.display()))?;
        if r.schema != SCHEMA {
            return Err(format!(
                "{} has schema {}, expected {SCHEMA}",
                path.display(),
                r.schema
            ));
        }
        Ok(r)
    }

    /// Writes the file (pretty-printed).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Replaces the records of the suites present in `fresh`, keeping the others: running one
    /// suite does not erase the figures of the rest.
    pub fn merge(&mut self, fresh: Results) {
        let suites: Vec<&str> = fresh.results.iter().map(|r| r.suite.as_str()).collect();
        self.results.retain(|r| !suites.contains(&r.suite.as_str()));
        self.results.extend(fresh.results);
        self.quick = fresh.quick;
        self.machine = fresh.machine;
    }
}

/// A time record from interleaved stats.
pub fn time_record(suite: &str, case: &str, threads: usize, s: &crate::harness::Stats) -> Record {
    Record {
        suite: suite.into(),
        case: case.into(),
        implementation: s.name.clone(),
        threads,
        metric: "time_ns".into(),
        value: s.median,
        min: Some(s.min),
        max: Some(s.max),
        samples: Some(s.samples),
        extra: BTreeMap::from([
            ("median_lo".to_string(), s.median_lo.into()),
            ("median_hi".to_string(), s.median_hi.into()),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(suite: &str) -> Record {
        Record {
            suite: suite.into(),
            case: "c".into(),
            implementation: "ontime".into(),
            threads: 2,
            metric: "time_ns".into(),
            value: 1.0,
            min: None,
            max: None,
            samples: None,
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn merge_replaces_only_rerun_suites() {
        let m = Machine {
            cpus: 2,
            os: "linux".into(),
            rustc: "1".into(),
            model: None,
        };
        let mut old = Results {
            schema: SCHEMA,
            quick: false,
            machine: m.clone(),
            results: vec![rec("a"), rec("b")],
        };
        let mut fresh_rec = rec("b");
        fresh_rec.value = 2.0;
        old.merge(Results {
            schema: SCHEMA,
            quick: true,
            machine: m,
            results: vec![fresh_rec],
        });
        assert_eq!(old.results.len(), 2);
        assert_eq!(
            old.results.iter().find(|r| r.suite == "b").unwrap().value,
            2.0
        );
        assert!(old.quick);
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let dir = std::env::temp_dir().join(format!("ontime-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("results.json");
        let r = Results::for_tests(vec![rec("a")]);
        r.save(&p).unwrap();
        assert_eq!(Results::load(&p).unwrap(), r);
        std::fs::write(&p, "{ not json").unwrap();
        assert!(Results::load(&p)
            .unwrap_err()
            .contains("not a valid results file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
