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
        || implementation.starts_with("target-latency")
        || implementation == "micropools"
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

/// The best peer among `(implementation, value)` entries, as an index: the best value of the
/// implementations that are not ontime's, where serial code counts only when it is the sole
/// peer. `higher_is_better` is false for times and miss ratios. The one rule for every ratio
/// the benchmarks report (paired here, plain in `report.rs`).
///
/// ```
/// use ontime_benches::pairing::best_peer;
/// let row = [("ontime", 1.0), ("rayon", 2.0), ("rayon-core", 3.0), ("serial", 0.5)];
/// assert_eq!(best_peer(&row, false), Some(1));
/// assert_eq!(best_peer(&[("ontime", 1.0), ("serial", 0.5)], false), Some(1));
/// ```
pub fn best_peer(entries: &[(&str, f64)], higher_is_better: bool) -> Option<usize> {
    // The simulator's clairvoyant reference is a bound, not a peer.
    let is_peer = |i: &usize| !is_ours(entries[*i].0) && entries[*i].0 != "clairvoyant";
    let is_parallel = |i: &usize| entries[*i].0 != "serial";
    let any_parallel = (0..entries.len()).filter(is_peer).any(|i| is_parallel(&i));
    (0..entries.len())
        .filter(is_peer)
        .filter(|i| !any_parallel || is_parallel(i))
        .min_by(|&a, &b| {
            let (x, y) = (entries[a].1, entries[b].1);
            if higher_is_better {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            }
        })
}

/// Adds to each of ontime's time records (matched to `stats` by implementation) its paired
/// ratio to the best peer of the same rounds: `extra.ratio`, `ratio_lo`, `ratio_hi`,
/// `ratio_peer` and `ratio_rounds`.
///
/// ```
/// use ontime_benches::harness::summarize;
/// use ontime_benches::pairing::annotate;
/// use ontime_benches::results::time_record;
/// let stats = [
///     summarize("ontime", vec![1.0, 4.0, 1.0]),
///     summarize("rayon", vec![2.0, 8.0, 2.0]),
/// ];
/// let mut recs: Vec<_> = stats.iter().map(|s| time_record("forall", "c", 2, s)).collect();
/// annotate(&stats, &mut recs);
/// assert_eq!(recs[0].extra["ratio"], 0.5);
/// assert_eq!(recs[0].extra["ratio_peer"], "rayon");
/// ```
pub fn annotate(stats: &[Stats], records: &mut [Record]) {
    let medians: Vec<(&str, f64)> = stats.iter().map(|s| (s.name.as_str(), s.median)).collect();
    let Some(peer) = best_peer(&medians, false) else {
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

/// For suites measured in repetitions (latency): `per[i]` holds implementation `names[i]`'s
/// figure in each repetition (the same repetition index means the same seed for everyone;
/// `higher_is_better` for goodput, not for miss ratios). Each of ontime's records gets the
/// median of its per-repetition ratios to the best peer (the peer with the best median) in
/// `extra.ratio`, their **range** in
/// `ratio_lo` / `ratio_hi`, the peer in `ratio_peer` and the repetitions paired (those where
/// the peer's figure is not zero) in `ratio_rounds`.
///
/// ```
/// use ontime_benches::pairing::annotate_repetitions;
/// use ontime_benches::results::Record;
/// let names = ["target-latency", "admit-first"];
/// let per = vec![vec![0.2, 0.3], vec![0.4, 0.5]];
/// let mut recs: Vec<_> = names
///     .iter()
///     .map(|n| Record::new("latency", "c", n, 2, "miss_ratio", 0.0))
///     .collect();
/// annotate_repetitions(&names, &per, false, &mut recs);
/// assert_eq!(recs[0].extra["ratio_lo"], 0.5);
/// assert_eq!(recs[0].extra["ratio_hi"], 0.6);
/// ```
pub fn annotate_repetitions(
    names: &[&str],
    per: &[Vec<f64>],
    higher_is_better: bool,
    records: &mut [Record],
) {
    // An implementation without repetitions can never be the best peer.
    let worst = if higher_is_better {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    let medians: Vec<(&str, f64)> = names
        .iter()
        .zip(per)
        .map(|(&n, v)| match v.is_empty() {
            true => (n, worst),
            false => (n, crate::harness::median(&mut v.clone())),
        })
        .collect();
    let Some(peer) = best_peer(&medians, higher_is_better).filter(|&p| !per[p].is_empty()) else {
        return;
    };
    for i in (0..names.len()).filter(|&i| is_ours(names[i])) {
        let mut r: Vec<f64> = per[i]
            .iter()
            .zip(&per[peer])
            .filter(|(_, &p)| p > 0.0)
            .map(|(&o, &p)| o / p)
            .collect();
        if r.is_empty() {
            continue;
        }
        let m = crate::harness::median(&mut r);
        if let Some(rec) = records.iter_mut().find(|x| x.implementation == names[i]) {
            rec.extra.insert("ratio".into(), m.into());
            rec.extra.insert("ratio_lo".into(), r[0].into());
            rec.extra.insert("ratio_hi".into(), r[r.len() - 1].into());
            rec.extra.insert("ratio_peer".into(), names[peer].into());
            rec.extra.insert("ratio_rounds".into(), r.len().into());
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

    #[test]
    fn repetitions_pair_by_seed_and_report_the_range() {
        let names = ["target-latency", "admit-first", "rayon-core"];
        let per = vec![
            vec![0.1, 0.4, 0.2],
            vec![0.2, 0.8, 0.5],
            vec![0.3, 0.9, 0.6],
        ];
        let mut recs: Vec<Record> = names
            .iter()
            .map(|n| Record::new("latency", "c", n, 2, "miss_ratio", 0.0))
            .collect();
        annotate_repetitions(&names, &per, false, &mut recs);
        let e = &recs[0].extra;
        assert_eq!(e["ratio_peer"], "admit-first");
        assert_eq!(
            (
                e["ratio"].as_f64(),
                e["ratio_lo"].as_f64(),
                e["ratio_hi"].as_f64()
            ),
            (Some(0.5), Some(0.4), Some(0.5))
        );
        assert_eq!(e["ratio_rounds"], 3);
    }

    #[test]
    fn goodput_pairs_against_the_peer_with_the_highest_median() {
        let names = ["target-latency", "admit-first", "rayon-core"];
        let per = vec![vec![90.0, 80.0], vec![30.0, 40.0], vec![45.0, 40.0]];
        let mut recs: Vec<Record> = names
            .iter()
            .map(|n| Record::new("latency", "c", n, 2, "goodput_per_s", 0.0))
            .collect();
        annotate_repetitions(&names, &per, true, &mut recs);
        let e = &recs[0].extra;
        assert_eq!(e["ratio_peer"], "rayon-core");
        assert_eq!(e["ratio_lo"].as_f64(), Some(2.0));
        assert_eq!(e["ratio_hi"].as_f64(), Some(2.0));
    }
}
