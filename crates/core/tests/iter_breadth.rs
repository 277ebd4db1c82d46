//! The rest of rayon's everyday iterator API against its serial equivalent: stateful maps and
//! folds, flattening, chain / skip / take, ordered searches, `try_for_each`, collecting into
//! other collections, `par_extend`, `partition`, `unzip` and `par_windows`; on empty,
//! one-element, ragged and large inputs, on 1-3 worker pools and the global pool. Owned
//! elements are counted to show each is dropped exactly once.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

use ontime_core::prelude::*;
use ontime_core::ThreadPoolBuilder;

mod common;
use common::inputs::{data, each, pools};

#[test]
fn folds_and_stateful_maps_match_serial() {
    each(|v| {
        let total: u64 = v.iter().sum();
        assert_eq!(
            v.par_iter().fold(|| 0u64, |a, &x| a + x).sum::<u64>(),
            total
        );
        assert_eq!(
            v.par_iter().fold_with(0u64, |a, &x| a + x).sum::<u64>(),
            total
        );
        // The accumulators come in index order: concatenated, they give the input.
        let parts: Vec<Vec<u64>> = v
            .par_iter()
            .fold(Vec::new, |mut acc, &x| {
                acc.push(x);
                acc
            })
            .collect();
        assert_eq!(parts.concat(), v);
        assert!(parts.len() <= v.len().max(1));
        // One state per piece, reused across its items; results in index order.
        let inits = AtomicUsize::new(0);
        let m: Vec<u64> = v
            .par_iter()
            .map_init(
                || {
                    inits.fetch_add(1, Ordering::Relaxed);
                    0u64
                },
                |seen, &x| {
                    *seen += 1;
                    x * 2
                },
            )
            .collect();
        assert_eq!(m, v.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(inits.into_inner() <= v.len().max(1));
        let w: Vec<u64> = v.par_iter().map_with(5u64, |k, &x| x + *k).collect();
        assert_eq!(w, v.iter().map(|x| x + 5).collect::<Vec<_>>());
        let seen = AtomicUsize::new(0);
        v.par_iter().for_each_init(
            || 1usize,
            |one, _| {
                seen.fetch_add(*one, Ordering::Relaxed);
            },
        );
        v.par_iter().for_each_with(2usize, |two, _| {
            seen.fetch_add(*two, Ordering::Relaxed);
        });
        assert_eq!(seen.into_inner(), 3 * v.len());
    });
}

#[test]
fn flattening_matches_serial() {
    each(|v| {
        let serial: Vec<u64> = v.iter().flat_map(|&x| 0..x % 4).collect();
        let a: Vec<u64> = v.par_iter().flat_map_iter(|&x| 0..x % 4).collect();
        assert_eq!(a, serial);
        let nested: Vec<Vec<u64>> = v.iter().map(|&x| (0..x % 4).collect()).collect();
        let b: Vec<u64> = nested.par_iter().cloned().flatten_iter().collect();
        assert_eq!(b, serial);
        let c: Vec<u64> = v
            .par_iter()
            .flat_map(|&x| (0..x % 4).into_par_iter())
            .collect();
        assert_eq!(c, serial);
        let d: Vec<u64> = nested.clone().into_par_iter().flatten().collect();
        assert_eq!(d, serial);
        // Read item by item (a search), not folded.
        let want = serial.contains(&2);
        assert_eq!(v.par_iter().flat_map(|&x| 0..x % 4).any(|x| x == 2), want);
        assert_eq!(
            nested
                .par_iter()
                .flatten()
                .find_first(|&&x| x == 2)
                .is_some(),
            want
        );
        assert_eq!(
            v.par_iter()
                .flat_map(|&x| (0..x % 4).into_par_iter())
                .count(),
            serial.len()
        );
    });
}

#[test]
fn chain_skip_take_and_inspect_match_serial() {
    each(|v| {
        let n = v.len();
        let tail = data(n / 3 + 1);
        let c: Vec<u64> = v.par_iter().chain(tail.par_iter()).copied().collect();
        assert_eq!(c, [v, &tail[..]].concat());
        // A chain of a filter (not indexed) with a range.
        let c2: Vec<u64> = v
            .par_iter()
            .copied()
            .filter(|x| x % 2 == 0)
            .chain((0..5u64).into_par_iter())
            .collect();
        let want: Vec<u64> = v
            .iter()
            .copied()
            .filter(|x| x % 2 == 0)
            .chain(0..5)
            .collect();
        assert_eq!(c2, want);
        for k in [0, 1, n / 2, n, n + 3] {
            let s: Vec<u64> = v.par_iter().copied().skip(k).collect();
            assert_eq!(s, v.iter().copied().skip(k).collect::<Vec<_>>());
            let t: Vec<u64> = v.par_iter().copied().take(k).collect();
            assert_eq!(t, v.iter().copied().take(k).collect::<Vec<_>>());
            let st: Vec<(usize, u64)> = v.par_iter().copied().skip(1).take(k).enumerate().collect();
            assert_eq!(
                st,
                v.iter()
                    .copied()
                    .skip(1)
                    .take(k)
                    .enumerate()
                    .collect::<Vec<_>>()
            );
            assert_eq!(v.par_iter().skip(k).len(), n.saturating_sub(k));
            assert_eq!(v.par_iter().take(k).len(), n.min(k));
        }
        // Skipped items are produced, as `std`'s are; taken-away ones are not.
        let calls = AtomicUsize::new(0);
        let count = |_: &&u64| {
            calls.fetch_add(1, Ordering::Relaxed);
        };
        let _: Vec<&u64> = v.par_iter().inspect(count).skip(n / 2).collect();
        assert_eq!(calls.swap(0, Ordering::Relaxed), n);
        let _: Vec<&u64> = v.par_iter().inspect(count).take(n / 2).collect();
        assert_eq!(calls.swap(0, Ordering::Relaxed), n / 2);
        // Zip with a chain: both sides indexed.
        let z: Vec<u64> = v
            .par_iter()
            .chain(v.par_iter())
            .zip(v.par_iter().chain(v.par_iter()).skip(1))
            .map(|(a, b)| a * 1000 + b)
            .collect();
        let both: Vec<u64> = [v, v].concat();
        let zs: Vec<u64> = both
            .iter()
            .zip(&both[1.min(both.len())..])
            .map(|(a, b)| a * 1000 + b)
            .collect();
        assert_eq!(z, zs);
    });
}

#[test]
fn ordered_searches_and_reductions_match_serial() {
    each(|v| {
        let hit = |x: &&u64| **x % 97 == 3;
        assert_eq!(v.par_iter().find_first(hit), v.iter().find(hit));
        assert_eq!(v.par_iter().find_last(hit), v.iter().rev().find(hit));
        // Not indexed: a filter's items have no base index of their own.
        let f = || v.par_iter().filter(|&&x| x % 2 == 1);
        assert_eq!(
            f().find_first(hit),
            v.iter().filter(|&&x| x % 2 == 1).find(hit)
        );
        assert_eq!(
            f().find_last(hit),
            v.iter().filter(|&&x| x % 2 == 1).rev().find(hit)
        );
        let is = |x: &u64| x % 97 == 3;
        assert_eq!(v.par_iter().position_first(is), v.iter().position(is));
        assert_eq!(v.par_iter().position_last(is), v.iter().rposition(is));
        match v.par_iter().position_any(is) {
            Some(i) => assert!(is(&v[i])),
            None => assert!(!v.iter().any(is)),
        }
        // Ties: the first smallest, the last largest, as `std`'s.
        let key = |a: &&u64, b: &&u64| (**a / 10).cmp(&(**b / 10));
        assert!(
            std::ptr::eq(
                v.par_iter().min_by(key).unwrap_or(&0),
                v.iter().min_by(key).unwrap_or(&0)
            ) || v.is_empty()
        );
        assert!(
            std::ptr::eq(
                v.par_iter().max_by(key).unwrap_or(&0),
                v.iter().max_by(key).unwrap_or(&0)
            ) || v.is_empty()
        );
        let p: u64 = v.par_iter().map(|&x| x % 3 + 1).take(30).product();
        assert_eq!(p, v.iter().map(|&x| x % 3 + 1).take(30).product::<u64>());
    });
}

#[test]
fn try_for_each_stops_at_the_first_failure_in_index_order() {
    each(|v| {
        let first_big = v.iter().position(|&x| x > 990);
        let r = v
            .par_iter()
            .enumerate()
            .try_for_each(|(i, &x)| if x > 990 { Err(i) } else { Ok(()) });
        assert_eq!(r, first_big.map_or(Ok(()), Err));
        let o = v.par_iter().try_for_each(|&x| (x <= 990).then_some(()));
        assert_eq!(o.is_some(), first_big.is_none());
        let c = v.par_iter().enumerate().try_for_each(|(i, &x)| {
            if x > 990 {
                ControlFlow::Break(i)
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(
            c,
            first_big.map_or(ControlFlow::Continue(()), ControlFlow::Break)
        );
    });
}

#[test]
fn collects_into_other_collections_match_serial() {
    each(|v| {
        let s: String = v
            .par_iter()
            .map(|&x| char::from(b'a' + (x % 26) as u8))
            .collect();
        assert_eq!(
            s,
            v.iter()
                .map(|&x| char::from(b'a' + (x % 26) as u8))
                .collect::<String>()
        );
        let words: Vec<String> = v.iter().take(50).map(|x| x.to_string()).collect();
        let joined: String = words.par_iter().map(String::as_str).collect();
        assert_eq!(joined, words.concat());
        let owned: String = words.clone().into_par_iter().collect();
        assert_eq!(owned, words.concat());
        // Maps keep the last value of equal keys, as `std`'s collect does.
        let pairs = || v.par_iter().enumerate().map(|(i, &x)| (x % 50, i));
        let hm: HashMap<u64, usize> = pairs().collect();
        let want: HashMap<u64, usize> = v.iter().enumerate().map(|(i, &x)| (x % 50, i)).collect();
        assert_eq!(hm, want);
        let bm: BTreeMap<u64, usize> = pairs().collect();
        assert_eq!(bm, want.into_iter().collect::<BTreeMap<_, _>>());
        let hs: HashSet<u64> = v.par_iter().copied().collect();
        assert_eq!(hs, v.iter().copied().collect::<HashSet<_>>());
        let bs: BTreeSet<u64> = v.par_iter().copied().collect();
        assert_eq!(bs, v.iter().copied().collect::<BTreeSet<_>>());
        let dq: VecDeque<u64> = v.par_iter().copied().collect();
        assert_eq!(dq, v.iter().copied().collect::<VecDeque<_>>());
        // Result and Option: the first failure in index order, or everything.
        let r: Result<Vec<u64>, usize> = v
            .par_iter()
            .enumerate()
            .map(|(i, &x)| if x > 995 { Err(i) } else { Ok(x) })
            .collect();
        let want: Result<Vec<u64>, usize> = v
            .iter()
            .enumerate()
            .map(|(i, &x)| if x > 995 { Err(i) } else { Ok(x) })
            .collect();
        assert_eq!(r, want);
        let o: Option<Vec<u64>> = v.par_iter().map(|&x| (x <= 995).then_some(x)).collect();
        assert_eq!(o, v.iter().map(|&x| (x <= 995).then_some(x)).collect());
        let ok: Result<Vec<u64>, ()> = v.par_iter().map(|&x| Ok(x)).collect();
        assert_eq!(ok.as_deref(), Ok(v));
    });
}

#[test]
fn extend_partition_and_unzip_match_serial() {
    each(|v| {
        // Indexed (written in place after the elements) and not indexed (appended).
        let mut e = vec![7u64, 8];
        e.par_extend(v.par_iter().map(|x| x + 1));
        e.par_extend(v.par_iter().copied().filter(|x| x % 2 == 0));
        let mut want = vec![7u64, 8];
        want.extend(v.iter().map(|x| x + 1));
        want.extend(v.iter().copied().filter(|x| x % 2 == 0));
        assert_eq!(e, want);
        let mut empty: Vec<u64> = Vec::new();
        empty.par_extend(v.par_iter().copied().filter(|x| x % 3 == 0));
        assert_eq!(
            empty,
            v.iter().copied().filter(|x| x % 3 == 0).collect::<Vec<_>>()
        );
        let (a, b): (Vec<u64>, Vec<u64>) = v.par_iter().partition(|&&x| x < 500);
        let (wa, wb): (Vec<u64>, Vec<u64>) = v.iter().partition(|&&x| x < 500);
        assert_eq!((a, b), (wa, wb));
        let (hs, bs): (HashSet<u64>, BTreeSet<u64>) = v.par_iter().partition(|&&x| x < 500);
        assert_eq!(
            hs.len() + bs.len(),
            v.iter().copied().collect::<HashSet<_>>().len()
        );
        let (x, y): (Vec<u64>, Vec<usize>) = v.par_iter().enumerate().map(|(i, &x)| (x, i)).unzip();
        assert_eq!(x, v);
        assert_eq!(y, (0..v.len()).collect::<Vec<_>>());
        // Not indexed (gathered in runs), and into other collections.
        let (x, y): (Vec<u64>, BTreeSet<u64>) = v
            .par_iter()
            .filter(|&&x| x % 3 == 0)
            .map(|&x| (x, x + 1))
            .unzip();
        let want: (Vec<u64>, BTreeSet<u64>) = v
            .iter()
            .filter(|&&x| x % 3 == 0)
            .map(|&x| (x, x + 1))
            .unzip();
        assert_eq!((x, y), want);
        let m: Result<HashMap<u64, u64>, u64> = v.par_iter().map(|&x| Ok((x, x))).collect();
        assert_eq!(
            m.map(|m| m.len()),
            Ok(v.iter().collect::<HashSet<_>>().len())
        );
    });
}

#[test]
fn windows_match_serial() {
    for pool in pools() {
        for n in [0usize, 1, 2, 3, 50, 5000, 100_003] {
            let v = data(n);
            for size in [1usize, 2, 3, 64, n.max(1), n + 1] {
                let got: Vec<u64> =
                    pool.install(|| v.par_windows(size).map(|w| w.iter().sum()).collect());
                let want: Vec<u64> = v.windows(size).map(|w| w.iter().sum()).collect();
                assert_eq!(got, want, "n {n} size {size}");
            }
        }
    }
}

#[test]
#[should_panic(expected = "window size of at least 1")]
fn zero_window_size_is_refused() {
    let _ = [1, 2].par_windows(0);
}

#[test]
fn a_panic_in_a_fold_or_flat_map_reaches_the_caller_and_the_pool_survives() {
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let v = data(50_000);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| {
            v.par_iter()
                .fold(
                    || 0u64,
                    |a, &x| if x == 999 { panic!("fold 999") } else { a + x },
                )
                .sum::<u64>()
        })
    }));
    assert!(ontime_core::panic_message(&*r.unwrap_err()).contains("fold 999"));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| -> Vec<u64> {
            v.par_iter()
                .flat_map_iter(|&x| {
                    assert!(x != 998, "flat 998");
                    [x, x]
                })
                .collect()
        })
    }));
    assert!(ontime_core::panic_message(&*r.unwrap_err()).contains("flat 998"));
    let s: u64 = pool.install(|| v.par_iter().sum());
    assert_eq!(s, v.iter().sum::<u64>());
}

#[test]
fn owned_elements_are_dropped_exactly_once() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    #[derive(Debug)]
    struct Tracked(usize);
    impl Tracked {
        fn new(i: usize) -> Self {
            LIVE.fetch_add(1, Ordering::Relaxed);
            Tracked(i)
        }
    }
    impl Drop for Tracked {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
    let make = |n: usize| (0..n).map(Tracked::new).collect::<Vec<_>>();
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| {
        let s: Vec<Tracked> = make(20_000).into_par_iter().skip(7_000).collect();
        assert_eq!(s.first().map(|t| t.0), Some(7_000));
        drop(s);
        let t: Vec<Tracked> = make(20_000).into_par_iter().take(300).collect();
        assert_eq!(t.len(), 300);
        drop(t);
        let c = make(5_000)
            .into_par_iter()
            .chain(make(6_000))
            .take(8_000)
            .find_last(|t| t.0 % 1000 == 1);
        assert_eq!(c.map(|t| t.0), Some(2_001));
        let nested: Vec<Vec<Tracked>> = (0..500).map(|_| make(20)).collect();
        assert!(nested.into_par_iter().flatten().any(|t| t.0 == 3));
        let r: Result<Vec<Tracked>, Tracked> = make(20_000)
            .into_par_iter()
            .map(|t| if t.0 == 12_345 { Err(t) } else { Ok(t) })
            .collect();
        assert_eq!(r.unwrap_err().0, 12_345);
        let (a, b): (Vec<Tracked>, Vec<Tracked>) =
            make(20_000).into_par_iter().partition(|t| t.0 % 3 == 0);
        assert_eq!(a.len() + b.len(), 20_000);
        drop((a, b));
        let f = make(20_000)
            .into_par_iter()
            .fold(Vec::new, |mut acc, t| {
                acc.push(t);
                acc
            })
            .find_first(|acc| acc.iter().any(|t| t.0 == 15_000));
        assert!(f.is_some());
    });
    assert_eq!(LIVE.load(Ordering::Relaxed), 0);
}

#[test]
fn std_collections_iterate_in_parallel() {
    each(|v| {
        // A deque whose elements wrap around its buffer: two slices, chained.
        let mut dq: VecDeque<u64> = v.iter().copied().skip(v.len() / 2).collect();
        for &x in v[..v.len() / 2].iter().rev() {
            dq.push_front(x);
        }
        assert_eq!(dq.par_iter().copied().collect::<Vec<_>>(), v);
        dq.par_iter_mut().for_each(|x| *x += 1);
        assert_eq!(
            dq.clone().into_par_iter().collect::<Vec<_>>(),
            v.iter().map(|x| x + 1).collect::<Vec<_>>()
        );
        let hm: HashMap<usize, u64> = v.iter().copied().enumerate().collect();
        assert_eq!(hm.par_iter().map(|(_, &x)| x).sum::<u64>(), v.iter().sum());
        let mut bm: BTreeMap<usize, u64> = v.iter().copied().enumerate().collect();
        bm.par_iter_mut().for_each(|(&k, x)| *x += k as u64);
        let keyed: Vec<(usize, u64)> = bm.par_iter().map(|(&k, &x)| (k, x)).collect();
        let want: Vec<(usize, u64)> = v
            .iter()
            .enumerate()
            .map(|(k, &x)| (k, x + k as u64))
            .collect();
        assert_eq!(keyed, want, "a BTreeMap's items come in key order");
        assert_eq!(hm.into_par_iter().count(), v.len());
        let hs: HashSet<u64> = v.iter().copied().collect();
        let bs: BTreeSet<u64> = v.iter().copied().collect();
        assert_eq!(hs.par_iter().sum::<u64>(), bs.iter().sum::<u64>());
        assert_eq!(
            bs.clone().into_par_iter().collect::<Vec<_>>(),
            bs.iter().copied().collect::<Vec<_>>()
        );
        assert_eq!(hs.into_par_iter().count(), bs.len());
    });
}

#[test]
fn exact_chunks_reduce_with_and_collect_into_vec_match_serial() {
    each(|v| {
        for size in [1usize, 3, 64, v.len() + 1] {
            let sums: Vec<u64> = v.par_chunks_exact(size).map(|c| c.iter().sum()).collect();
            assert_eq!(
                sums,
                v.chunks_exact(size)
                    .map(|c| c.iter().sum())
                    .collect::<Vec<u64>>()
            );
            assert_eq!(
                v.par_chunks_exact(size).remainder(),
                v.chunks_exact(size).remainder()
            );
            let mut m = v.to_vec();
            let mut chunks = m.par_chunks_exact_mut(size);
            chunks.remainder().fill(0);
            chunks.for_each(|c| c.reverse());
            let mut want = v.to_vec();
            let mut it = want.chunks_exact_mut(size);
            it.by_ref().for_each(|c| c.reverse());
            it.into_remainder().fill(0);
            assert_eq!(m, want);
        }
        assert_eq!(
            v.par_iter().copied().reduce_with(u64::max),
            v.iter().copied().reduce(u64::max)
        );
        let joined = v.par_iter().map(|&x| vec![x]).reduce_with(|mut a, mut b| {
            a.append(&mut b);
            a
        });
        assert_eq!(joined.unwrap_or_default(), v);
        let mut out = vec![1u64; 7];
        v.par_iter().map(|x| x * 3).collect_into_vec(&mut out);
        assert_eq!(out, v.iter().map(|x| x * 3).collect::<Vec<_>>());
    });
}
