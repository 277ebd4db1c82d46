//! # ontime-benches
//!
//! The workloads `cargo xtask bench` measures, the peers they are measured against, and the
//! harness that writes `results.json` (format: `shared/bench-format.md`).
//!
//! Every case runs its implementations *interleaved* (one sample of each in turn, the order
//! rotating) so that a noisy machine slows all of them alike, and reports the median.
//!
//! ```
//! use ontime_benches::harness::measure_interleaved;
//! let stats = measure_interleaved(3, &mut [("a", &mut || { std::hint::black_box(1 + 1); })]);
//! assert_eq!(stats[0].samples, 3);
//! ```

pub mod dags;
pub mod harness;
pub mod idle;
pub mod load;
pub mod pairing;
pub mod report;
pub mod results;
pub mod suites;
pub mod workloads;
