//! The policies by their report names: one table for the simulator, `cargo xtask sim` and the
//! real latency suite, so a name means the same object everywhere. The names are the policy
//! objects' own (`StealPolicy::name`), so the table cannot drift from them.

use std::time::Duration;

use ontime_core::StealPolicy;
use ontime_policies::{Admission, AdmitFirst, Micropools, StealFirst, TargetLatency};

/// The policies of the latency and sim suites, in report order.
pub const POLICIES: [&str; 6] = [
    "steal-first",
    "admit-first",
    "target-latency",
    "target-latency-reactive",
    "target-latency-predictive",
    "micropools",
];

/// Variants measured on request (`ONTIME_BENCH_EXTRA`, or `cargo xtask sim --policy`), not in
/// the default suites: the default `target-latency` with rejection, with FIFO admission
/// instead of adaptive LIFO, or with load-aware prediction (`load_aware(1.0)`), the default
/// with one of its other pieces taken out (what each piece is worth), and the combinations
/// measured before it: the default before 2026-12-05's steering is `target-latency+no-steer`,
/// before that day's headroom `target-latency+no-headroom+no-steer`, and before 2026-12-04's
/// no-stealing piece and adaptive LIFO `target-latency-predictive+admit-first+late-last+no-nest`.
pub const EXTRA: [&str; 18] = [
    "target-latency+reject",
    "target-latency+no-steer",
    "target-latency+no-headroom",
    "target-latency+no-headroom+no-steer",
    "target-latency+fifo",
    "target-latency+load-aware",
    "target-latency-predictive+adaptive-lifo+headroom+steer+admit-first+late-last+no-nest",
    "target-latency-predictive+adaptive-lifo+headroom+steer+admit-first+late-last+no-steal",
    "target-latency-predictive+adaptive-lifo+headroom+steer+admit-first+no-nest+no-steal",
    "target-latency-predictive+adaptive-lifo+headroom+steer+late-last+no-nest+no-steal",
    "target-latency-reactive+adaptive-lifo+steer+admit-first+late-last+no-nest+no-steal",
    "target-latency-predictive+admit-first+late-last+no-nest",
    "target-latency-reactive+late-last",
    "target-latency-predictive+late-last",
    "target-latency-reactive+late-last+reject",
    "target-latency-predictive+late-last+reject",
    "target-latency-reactive+admit-first",
    "target-latency-predictive+admit-first+late-last+reject",
];

/// Every configuration the tables name.
fn catalogue(threads: usize, target: Duration) -> Vec<Box<dyn StealPolicy>> {
    let heavy = (threads / 2).max(1);
    let new = TargetLatency::new;
    vec![
        Box::new(StealFirst::new()),
        Box::new(AdmitFirst::new()),
        Box::new(new()),
        Box::new(TargetLatency::reactive()),
        Box::new(TargetLatency::predictive()),
        Box::new(Micropools::new(
            threads.saturating_sub(heavy).max(1),
            heavy,
            target / 2,
        )),
        Box::new(new().reject_late(true)),
        Box::new(new().steer(0.0)),
        Box::new(new().admission(Admission::Fifo)),
        Box::new(new().load_aware(1.0)),
        Box::new(new().headroom(1.0)),
        Box::new(new().headroom(1.0).steer(0.0)),
        Box::new(new().steal_while_blocked(true)),
        Box::new(new().nest_while_blocked(true)),
        Box::new(new().late_last(false)),
        Box::new(new().admit_first(false)),
        Box::new(
            TargetLatency::reactive()
                .admission(Admission::AdaptiveLifo)
                .steer(8.0)
                .admit_first(true)
                .late_last(true)
                .nest_while_blocked(false)
                .steal_while_blocked(false),
        ),
        Box::new(
            new()
                .admission(Admission::Fifo)
                .steal_while_blocked(true)
                .headroom(1.0)
                .steer(0.0),
        ),
        Box::new(TargetLatency::reactive().late_last(true)),
        Box::new(TargetLatency::predictive().late_last(true)),
        Box::new(TargetLatency::reactive().late_last(true).reject_late(true)),
        Box::new(
            TargetLatency::predictive()
                .late_last(true)
                .reject_late(true),
        ),
        Box::new(TargetLatency::reactive().admit_first(true)),
        Box::new(TargetLatency::predictive().admit_first(true)),
        Box::new(
            TargetLatency::predictive()
                .admit_first(true)
                .late_last(true)
                .reject_late(true),
        ),
    ]
}

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
    catalogue(threads, target)
        .into_iter()
        .find(|p| p.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_is_a_policy_of_that_name() {
        let t = Duration::from_millis(5);
        for name in POLICIES.iter().chain(EXTRA.iter()) {
            let p = policy(name, 4, t).unwrap_or_else(|| panic!("{name} is not in the catalogue"));
            assert_eq!(p.name(), *name);
        }
        let names: Vec<String> = catalogue(4, t)
            .iter()
            .map(|p| p.name().to_string())
            .collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            names.len(),
            "two configurations share a name: {names:?}"
        );
    }
}
