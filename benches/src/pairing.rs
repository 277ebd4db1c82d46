//! Paired ratios: ontime against its best peer, round by round, with a 95% interval.
//!
//! A time-based suite runs every implementation once per round, in a shuffled order
//! (`harness::measure_interleaved`). The VM's slow periods hit every implementation of a
//! round alike, so the ratio of two implementations *within* a round is far steadier than the
//! ratio of their medians over a run. The figure reported is the median of the per-round
//! ratios `ours / best peer`, and its 95% interval comes from order statistics: for `n`
//! rounds, the ranks `n/2 ∓ 1.96·√n/2` of the sorted ratios (the binomial normal
//! approximation; distribution-free, valid for any shape of the ratios). The best peer is
//! the peer with the lowest median time (serial code counts only when it is the sole peer).

use crate::harness::{median_interval, Stats};
use crate::results::Record;

/// Whether an implementation is one of ontime's (the others are peers).
///
/// ```
/// assert!(ontime_benches::pairing::is_ours("ontime"));
/// assert!(!ontime_benches::pairing::is_ours("rayon-core"));
/// ```
pub fn is_ours(implementation: &str) -> bool {
    implementation.starts_with("ontime")
        || matches!(
            implementation,
            "target-latency" | "target-latency-predictive" | "micropools"
        )
}

/// The median of per-round ratios and its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paired {
    /// Median of the per-round ratios.
    pub median: f64,
    /// Lower end of the 95% interval of that median.
    pub lo: f64,
    /// Upper end of the 95% interval of that median.
    pub hi: f64,
    /// Rounds paired.
    pub rounds: usize,
}

/// The paired ratio of two implementations' per-round samples (same rounds, same order).
///
/// ```
/// use ontime_benches::pairing::paired_ratio;
/// let ours = [1.0, 2.0, 3.0, 4.0, 5.0];
/// let peer = [2.0, 4.0, 6.0, 8.0, 10.0];
/// let p = paired_ratio(&ours, &peer).unwrap();
/// assert_eq!((p.median, p.lo, p.hi, p.rounds), (0.5, 0.5, 0.5, 5));
/// ```
pub fn paired_ratio(ours: &[f64], peer: &[f64]) -> Option<Paired> {
    if ours.is_empty() || ours.len() != peer.len() {
        return None;
    }
    let mut r: Vec<f64> = ours
        .iter()
        .zip(peer)
        .filter(|(_, &p)| p > 0.0)
        .map(|(&o, &p)| o / p)
        .collect();
    if r.is_empty() {
        return None;
    }
    let median = crate::harness::median(&mut r);
    let (lo, hi) = median_interval(&r);
    Some(Paired {
        median,
        lo,
        hi,
        rounds: r.len(),
    })
}

/// The best peer among `stats` for a time (lowest median), as an index.
fn best_peer(stats: &[Stats]) -> Option<usize> {
    let peers: Vec<usize> = (0..stats.len())
        .filter(|&i| !is_ours(&stats[i].name))
        .collect();
    let parallel: Vec<usize> = peers
        .iter()
        .copied()
        .filter(|&i| stats[i].name != "serial")
        .collect();
    let pool = if parallel.is_empty() { peers } else { parallel };
    pool.into_iter()
        .min_by(|&a, &b| stats[a].median.total_cmp(&stats[b].median))
}

/// Adds to each of ontime's time records (matched to `stats` by implementation) its paired
/// ratio to the best peer of the same rounds: `extra.ratio`, `ratio_lo`, `ratio_hi`,
/// `ratio_peer` and `ratio_rounds`.
pub fn annotate(stats: &[Stats], records: &mut [Record]) {
    let Some(peer) = best_peer(stats) else {
        return;
    };
    for s in stats.iter().filter(|s| is_ours(&s.name)) {
        let Some(p) = paired_ratio(&s.rounds, &stats[peer].rounds) else {
            continue;
        };
        if let Some(rec) = records.iter_mut().find(|r| r.implementation == s.name) {
            rec.extra.insert("ratio".into(), p.median.into());
            rec.extra.insert("ratio_lo".into(), p.lo.into());
            rec.extra.insert("ratio_hi".into(), p.hi.into());
            rec.extra
                .insert("ratio_peer".into(), stats[peer].name.clone().into());
            rec.extra.insert("ratio_rounds".into(), p.rounds.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::summarize;

    #[test]
    fn annotate_pairs_rounds_against_the_fastest_parallel_peer() {
        // A slow period in round 2 hits everyone: the paired ratio stays 0.5.
        let ours = summarize("ontime", vec![1.0, 10.0, 1.0, 1.0, 1.0]);
        let peer = summarize("rayon", vec![2.0, 20.0, 2.0, 2.0, 2.0]);
        let slow = summarize("rayon-core", vec![3.0, 30.0, 3.0, 3.0, 3.0]);
        let serial = summarize("serial", vec![0.5, 5.0, 0.5, 0.5, 0.5]);
        let stats = [ours, peer, slow, serial];
        let mut recs: Vec<Record> = stats
            .iter()
            .map(|s| crate::results::time_record("s", "c", 2, s))
            .collect();
        annotate(&stats, &mut recs);
        let e = &recs[0].extra;
        assert_eq!(e["ratio"], 0.5);
        assert_eq!(
            e["ratio_peer"], "rayon",
            "serial only counts as the sole peer"
        );
        assert!(!recs[1].extra.contains_key("ratio"), "peers carry no ratio");
    }
}
