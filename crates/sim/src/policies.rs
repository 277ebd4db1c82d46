//! The policies by their report names: one table for the simulator, `cargo xtask sim` and the
//! real latency suite, so a name means the same object everywhere.

use std::time::Duration;

use ontime_core::StealPolicy;
use ontime_policies::{AdmitFirst, Micropools, StealFirst, TargetLatency};

/// The policies of the latency and sim suites, in report order.
pub const POLICIES: [&str; 5] = [
    "steal-first",
    "admit-first",
    "target-latency",
    "target-latency-predictive",
    "micropools",
];

/// Variants measured on request (`ONTIME_BENCH_EXTRA`, or `cargo xtask sim --policy`), not in
/// the default suites.
pub const EXTRA: [&str; 7] = [
    "target-latency+late-last",
    "target-latency-predictive+late-last",
    "target-latency+late-last+reject",
    "target-latency-predictive+late-last+reject",
    "target-latency+admit-first",
    "target-latency-predictive+admit-first",
    "target-latency-predictive+admit-first+late-last+reject",
];

/// The policy called `name` for a pool of `threads` workers serving requests with target
/// `target` (micropools give half the workers, at least one, to the heavy pool and shed at
/// half the target), or `None` for an unknown name.
///
/// ```
/// use std::time::Duration;
/// let p = ontime_sim::policy("target-latency", 4, Duration::from_millis(5)).unwrap();
/// assert_eq!(p.name(), "target-latency");
/// assert!(ontime_sim::policy("nope", 4, Duration::from_millis(5)).is_none());
/// ```
pub fn policy(name: &str, threads: usize, target: Duration) -> Option<Box<dyn StealPolicy>> {
    Some(match name {
        "steal-first" => Box::new(StealFirst::new()),
        "admit-first" => Box::new(AdmitFirst::new()),
        "target-latency" => Box::new(TargetLatency::reactive()),
        "target-latency-predictive" => Box::new(TargetLatency::predictive()),
        "target-latency+late-last" => Box::new(TargetLatency::reactive().late_last(true)),
        "target-latency-predictive+late-last" => {
            Box::new(TargetLatency::predictive().late_last(true))
        }
        "target-latency+late-last+reject" => {
            Box::new(TargetLatency::reactive().late_last(true).reject_late(true))
        }
        "target-latency-predictive+late-last+reject" => Box::new(
            TargetLatency::predictive()
                .late_last(true)
                .reject_late(true),
        ),
        "target-latency+admit-first" => Box::new(TargetLatency::reactive().admit_first(true)),
        "target-latency-predictive+admit-first" => {
            Box::new(TargetLatency::predictive().admit_first(true))
        }
        "target-latency-predictive+admit-first+late-last+reject" => Box::new(
            TargetLatency::predictive()
                .admit_first(true)
                .late_last(true)
                .reject_late(true),
        ),
        "micropools" => {
            let heavy = (threads / 2).max(1);
            Box::new(Micropools::new(
                threads.saturating_sub(heavy).max(1),
                heavy,
                target / 2,
            ))
        }
        _ => return None,
    })
}
