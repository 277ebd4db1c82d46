//! Parallel iterators and sorts against their serial equivalents, on empty, one-element,
//! ragged and large inputs, on a 1-, 2- and 3-worker pool (and the global pool).

use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use ontime_core::prelude::*;
use ontime_core::ThreadPoolBuilder;

mod common;
use common::inputs::{data, each, pools, SIZES};

#[test]
fn consumers_match_serial() {
    each(|v| {
        let n = v.len();
        assert_eq!(v.par_iter().sum::<u64>(), v.iter().sum::<u64>());
        assert_eq!(v.par_iter().count(), n);
        assert_eq!(v.par_iter().min(), v.iter().min());
        assert_eq!(v.par_iter().max(), v.iter().max());
        // Associative but not commutative: the result shows the combining order.
        let joined = v
            .par_iter()
            .map(|&x| vec![x])
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            });
        assert_eq!(joined, v);
        assert_eq!(
            v.par_iter().copied().reduce(|| 0, u64::max),
            v.iter().copied().max().unwrap_or(0)
        );
        assert_eq!(v.par_iter().any(|&x| x == 999), v.contains(&999));
        assert_eq!(v.par_iter().all(|&x| x < 998), v.iter().all(|&x| x < 998));
        let found = v.par_iter().find_any(|&&x| x % 97 == 3);
        match found {
            Some(x) => assert_eq!(x % 97, 3),
            None => assert!(!v.iter().any(|&x| x % 97 == 3)),
        }
        let seen = AtomicUsize::new(0);
        v.par_iter().for_each(|&x| {
            seen.fetch_add(x as usize + 1, AtomicOrdering::Relaxed);
        });
        assert_eq!(
            seen.into_inner(),
            v.iter().map(|&x| x as usize + 1).sum::<usize>()
        );
    });
}

#[test]
fn by_key_picks_first_minimum_and_last_maximum() {
    each(|v| {
        let tagged: Vec<(u64, usize)> = v.iter().copied().zip(0..).collect();
        // Keys tie often (values below 1000): std's rules on ties must hold.
        assert_eq!(
            tagged.par_iter().min_by_key(|p| p.0 / 10),
            tagged.iter().min_by_key(|p| p.0 / 10)
        );
        assert_eq!(
            tagged.par_iter().max_by_key(|p| p.0 / 10),
            tagged.iter().max_by_key(|p| p.0 / 10)
        );
        assert_eq!(
            tagged.par_iter().map(|p| (p.0 / 10, p.1)).min(),
            tagged.iter().map(|p| (p.0 / 10, p.1)).min()
        );
    });
}

/// Outputs large enough to be fresh memory from the kernel (above glibc's largest mmap
/// threshold, 32 MiB), which `collect` maps window by window before writing: every item in
/// its place, for items whose size divides the page and items whose size does not, and for
/// a filter's result (its runs joined by a parallel copy).
#[test]
fn large_fresh_collects_match_serial() {
    for pool in pools() {
        let n = 6_000_007u64;
        let kept: Vec<u64> =
            pool.install(|| (0..n).into_par_iter().filter(|x| x % 3 != 0).collect());
        assert_eq!(kept, (0..n).filter(|x| x % 3 != 0).collect::<Vec<_>>());
        drop(kept);
        let n = 5_000_011usize;
        let v: Vec<u64> =
            pool.install(|| (0..n as u64).into_par_iter().map(|x| x * 3 + 1).collect());
        assert_eq!(v.len(), n);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 * 3 + 1));
        drop(v);
        let n = 2_000_003usize;
        let w: Vec<[u32; 5]> = pool.install(|| {
            (0..n as u32)
                .into_par_iter()
                .map(|x| [x, x ^ 1, x.wrapping_mul(7), 0, x])
                .collect()
        });
        assert_eq!(w.len(), n);
        assert!(w.iter().enumerate().all(|(i, &a)| {
            let x = i as u32;
            a == [x, x ^ 1, x.wrapping_mul(7), 0, x]
        }));
    }
}

#[test]
fn adapters_and_ordered_collect_match_serial() {
    each(|v| {
        let doubled: Vec<u64> = v.par_iter().map(|x| x * 2).collect();
        assert_eq!(doubled, v.iter().map(|x| x * 2).collect::<Vec<_>>());
        let odd: Vec<u64> = v.par_iter().copied().filter(|x| x % 2 == 1).collect();
        assert_eq!(
            odd,
            v.iter().copied().filter(|x| x % 2 == 1).collect::<Vec<_>>()
        );
        // A filter's pieces fold (sum, count, collect) and step item by item (any, all,
        // find_any): both paths keep exactly the items the predicate accepts.
        let odd_of = |x: &u64| x % 2 == 1;
        let serial: Vec<u64> = v.iter().copied().filter(odd_of).collect();
        let par = || v.par_iter().copied().filter(odd_of);
        assert_eq!(par().sum::<u64>(), serial.iter().sum::<u64>());
        assert_eq!(par().count(), serial.len());
        assert!(!par().any(|x| x % 2 == 0));
        assert!(par().all(|x| x % 2 == 1));
        assert_eq!(par().any(|x| x % 7 == 0), serial.iter().any(|x| x % 7 == 0));
        match par().find_any(|x| x % 5 == 0) {
            Some(x) => assert!(serial.contains(&x) && x % 5 == 0, "found {x}"),
            None => assert!(!serial.iter().any(|x| x % 5 == 0)),
        }
        let fm: Vec<u64> = v
            .par_iter()
            .filter_map(|&x| (x % 3 == 0).then_some(x / 3))
            .collect();
        assert_eq!(
            fm,
            v.iter()
                .filter_map(|&x| (x % 3 == 0).then_some(x / 3))
                .collect::<Vec<_>>()
        );
        let en: Vec<(usize, u64)> = v.par_iter().copied().enumerate().collect();
        assert_eq!(en, v.iter().copied().enumerate().collect::<Vec<_>>());
        let rev: Vec<u64> = v.iter().rev().copied().collect();
        let z: Vec<u64> = v
            .par_iter()
            .zip(rev.par_iter())
            .map(|(a, b)| a * 1000 + b)
            .collect();
        assert_eq!(
            z,
            v.iter()
                .zip(&rev)
                .map(|(a, b)| a * 1000 + b)
                .collect::<Vec<_>>()
        );
        // Zip with a shorter side is as long as the shorter.
        let half = &v[..v.len() / 2];
        assert_eq!(v.par_iter().zip(half).count(), half.len());
        let cl: Vec<u64> = v.par_iter().cloned().with_min_len(64).collect();
        assert_eq!(cl, v);
        let s: Vec<String> = v.par_iter().map(|x| x.to_string()).collect();
        let owned: Vec<usize> = s.into_par_iter().map(|s| s.len()).collect();
        assert_eq!(
            owned,
            v.iter().map(|x| x.to_string().len()).collect::<Vec<_>>()
        );
        assert_eq!(v.par_iter().len(), v.len());
    });
}

#[test]
fn ranges_cover_every_value_once() {
    for pool in pools() {
        pool.install(|| {
            for n in [0usize, 1, 5, 1000, 65_537] {
                let v: Vec<usize> = (0..n).into_par_iter().collect();
                assert_eq!(v, (0..n).collect::<Vec<_>>());
                assert_eq!((0..n).into_par_iter().sum::<usize>(), (0..n).sum::<usize>());
            }
            let v: Vec<i8> = (-128i8..=127).into_par_iter().collect();
            assert_eq!(v, (-128i8..=127).collect::<Vec<_>>());
            let v: Vec<i64> = (-5i64..5).into_par_iter().collect();
            assert_eq!(v, (-5i64..5).collect::<Vec<_>>());
            let (hi, lo) = (10u32, 3u32);
            assert_eq!((hi..lo).into_par_iter().count(), 0);
            assert_eq!((3u64..=3).into_par_iter().collect::<Vec<_>>(), [3]);
            assert_eq!((u64::MAX - 2..=u64::MAX).into_par_iter().count(), 3);
        });
    }
}

#[test]
fn mutable_slices_and_chunks_touch_each_element_once() {
    for pool in pools() {
        for &n in SIZES {
            pool.install(|| {
                let mut v = data(n);
                let want: Vec<u64> = v.iter().map(|x| x * 3 + 1).collect();
                v.par_iter_mut().for_each(|x| *x = *x * 3 + 1);
                assert_eq!(v, want);
                for size in [1, 3, 64, 1000] {
                    let sums: Vec<u64> = v.par_chunks(size).map(|c| c.iter().sum()).collect();
                    assert_eq!(
                        sums,
                        v.chunks(size).map(|c| c.iter().sum()).collect::<Vec<u64>>()
                    );
                    let mut w = v.clone();
                    w.par_chunks_mut(size).enumerate().for_each(|(i, c)| {
                        for x in c {
                            *x += i as u64;
                        }
                    });
                    let mut expect = v.clone();
                    for (i, c) in expect.chunks_mut(size).enumerate() {
                        for x in c {
                            *x += i as u64;
                        }
                    }
                    assert_eq!(w, expect);
                }
            });
        }
    }
}

#[test]
#[should_panic(expected = "chunk size of at least 1")]
fn zero_chunk_size_is_refused() {
    let v = [1, 2, 3];
    let _ = v.par_chunks(0);
}

#[test]
fn sorts_match_std() {
    for pool in pools() {
        for &n in SIZES.iter().chain(&[300_001]) {
            pool.install(|| {
                let v = data(n);
                let mut want = v.clone();
                want.sort_unstable();
                let mut a = v.clone();
                a.par_sort_unstable();
                assert_eq!(a, want);
                let mut b = v.clone();
                b.par_sort();
                assert_eq!(b, want);
                let mut c = v.clone();
                c.par_sort_unstable_by(|x, y| y.cmp(x));
                assert_eq!(c, want.iter().rev().copied().collect::<Vec<_>>());
                let mut d = v.clone();
                d.par_sort_unstable_by_key(|x| x % 10);
                assert!(d.windows(2).all(|w| w[0] % 10 <= w[1] % 10));
                let mut e = d.clone();
                e.sort_unstable();
                assert_eq!(e, want);
            });
        }
    }
}

#[test]
fn stable_sorts_keep_equal_elements_in_order() {
    for pool in pools() {
        for &n in SIZES.iter().chain(&[300_001]) {
            pool.install(|| {
                // Few distinct keys, each element tagged with its position.
                let v: Vec<(u64, usize)> = data(n).into_iter().map(|x| x % 7).zip(0..).collect();
                let mut want = v.clone();
                want.sort_by_key(|p| p.0);
                let mut a = v.clone();
                a.par_sort_by_key(|p| p.0);
                assert_eq!(a, want);
                let mut b = v.clone();
                b.par_sort_by(|x, y| x.0.cmp(&y.0));
                assert_eq!(b, want);
                let mut c = v.clone();
                c.par_sort_by(|x, y| y.0.cmp(&x.0));
                let mut want_rev = v.clone();
                want_rev.sort_by_key(|p| std::cmp::Reverse(p.0));
                assert_eq!(c, want_rev);
            });
        }
    }
}

#[test]
fn sorts_cope_with_sorted_reversed_and_constant_input() {
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| {
        let n = 200_000u64;
        for v in [
            (0..n).collect::<Vec<_>>(),
            (0..n).rev().collect(),
            vec![7; n as usize],
            (0..n).map(|x| x % 2).collect(),
        ] {
            let mut want = v.clone();
            want.sort();
            let mut a = v.clone();
            a.par_sort_unstable();
            assert_eq!(a, want);
            let mut b = v.clone();
            b.par_sort();
            assert_eq!(b, want);
        }
    });
}

#[test]
fn a_panic_in_a_closure_reaches_the_caller_and_the_pool_survives() {
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let v = data(50_000);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| v.par_iter().for_each(|&x| assert!(x != 999, "found 999")))
    }));
    assert!(ontime_core::panic_message(&*r.unwrap_err()).contains("found 999"));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.install(|| -> Vec<u64> {
            v.par_iter()
                .map(|&x| if x == 998 { panic!("boom") } else { x })
                .collect()
        })
    }));
    assert!(ontime_core::panic_message(&*r.unwrap_err()).contains("boom"));
    // The pool still works, on every worker.
    let s: u64 = pool.install(|| v.par_iter().sum());
    assert_eq!(s, v.iter().sum::<u64>());
}

#[test]
fn a_panicking_comparison_leaves_a_permutation() {
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let v: Vec<String> = data(100_000).iter().map(|x| x.to_string()).collect();
    let calls = AtomicUsize::new(0);
    for stable in [false, true] {
        let mut w = v.clone();
        let cmp = |a: &String, b: &String| -> Ordering {
            if calls.fetch_add(1, AtomicOrdering::Relaxed) == 200_000 {
                panic!("comparison failed");
            }
            a.cmp(b)
        };
        calls.store(0, AtomicOrdering::Relaxed);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                if stable {
                    w.par_sort_by(cmp)
                } else {
                    w.par_sort_unstable_by(cmp)
                }
            })
        }));
        assert!(r.is_err(), "the comparison panicked (stable: {stable})");
        let mut a = w.clone();
        a.sort();
        let mut b = v.clone();
        b.sort();
        assert_eq!(a, b, "nothing lost or duplicated (stable: {stable})");
    }
}

#[test]
fn owned_elements_are_dropped_once_even_when_a_search_stops_early() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    struct Tracked(usize);
    impl Tracked {
        fn new(i: usize) -> Self {
            LIVE.fetch_add(1, AtomicOrdering::Relaxed);
            Tracked(i)
        }
    }
    impl Drop for Tracked {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, AtomicOrdering::Relaxed);
        }
    }
    let pool = ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| {
        let v: Vec<Tracked> = (0..20_000).map(Tracked::new).collect();
        assert!(v.into_par_iter().any(|t| t.0 == 10));
        let v: Vec<Tracked> = (0..20_000).map(Tracked::new).collect();
        let hit = v.into_par_iter().find_any(|t| t.0 % 1000 == 5);
        assert_eq!(hit.map(|t| t.0 % 1000), Some(5));
        let v: Vec<Tracked> = (0..20_000).map(Tracked::new).collect();
        let kept: Vec<Tracked> = v.into_par_iter().filter(|t| t.0 % 2 == 0).collect();
        assert_eq!(kept.len(), 10_000);
        drop(kept);
        // Zipped with a shorter side: the longer side's extra elements are dropped too.
        let a: Vec<Tracked> = (0..300).map(Tracked::new).collect();
        let b: Vec<Tracked> = (0..100).map(Tracked::new).collect();
        let pairs: Vec<usize> = a.into_par_iter().zip(b).map(|(x, y)| x.0 + y.0).collect();
        assert_eq!(pairs.len(), 100);
        // Never driven: dropped as a Vec.
        let v: Vec<Tracked> = (0..10).map(Tracked::new).collect();
        drop(v.into_par_iter());
    });
    assert_eq!(LIVE.load(AtomicOrdering::Relaxed), 0);
}

/// A policy that records what its reviews of running requests saw, and can stop a request's
/// sharing from its admission on.
#[derive(Debug, Default)]
struct Watch {
    stop_sharing: bool,
    max_total: std::sync::Arc<AtomicUsize>,
    max_done: std::sync::Arc<AtomicUsize>,
}

impl ontime_core::StealPolicy for Watch {
    fn name(&self) -> &str {
        "watch"
    }
    fn reviews_running(&self) -> bool {
        true
    }
    fn review(&self, v: &ontime_core::RequestView) -> ontime_core::RequestAction {
        self.max_total
            .fetch_max(v.work_total as usize, AtomicOrdering::Relaxed);
        self.max_done
            .fetch_max(v.work_done as usize, AtomicOrdering::Relaxed);
        if self.stop_sharing {
            ontime_core::RequestAction::StopSharing
        } else {
            ontime_core::RequestAction::Continue
        }
    }
}

/// About a microsecond of work that the optimiser cannot drop.
fn spin(x: u64) -> u64 {
    (0..200).fold(x, |a, i| {
        std::hint::black_box(a.wrapping_mul(31).wrapping_add(i))
    })
}

#[test]
fn iterators_in_a_request_report_its_progress() {
    let w = Watch::default();
    let (total, done) = (w.max_total.clone(), w.max_done.clone());
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .policy(w)
        .build()
        .unwrap();
    let n = 100_000usize;
    let h = pool.submit(ontime_core::Request::new(move || {
        (0..n as u64)
            .into_par_iter()
            .map(spin)
            .reduce(|| 0, u64::wrapping_add)
    }));
    let want = (0..n as u64).map(spin).fold(0, u64::wrapping_add);
    assert_eq!(h.wait().unwrap().value, want);
    // The timer reviewed it while it ran: the loop announced its length and reported blocks.
    assert_eq!(total.load(AtomicOrdering::Relaxed), n);
    let d = done.load(AtomicOrdering::Relaxed);
    assert!(d > 0 && d <= n, "work done seen by reviews: {d}");
}

#[test]
fn a_request_that_stops_sharing_keeps_its_iterator_on_one_worker() {
    let w = Watch {
        stop_sharing: true,
        ..Watch::default()
    };
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .policy(w)
        .build()
        .unwrap();
    let h = pool.submit(ontime_core::Request::new(|| {
        let workers: Vec<usize> = (0..50_000u64)
            .into_par_iter()
            .map(|x| {
                spin(x);
                ontime_core::current_thread_index().unwrap()
            })
            .collect();
        (
            workers[0],
            workers.iter().all(|&x| x == workers[0]),
            workers.len(),
        )
    }));
    let (_, one_worker, len) = h.wait().unwrap().value;
    assert_eq!(len, 50_000);
    assert!(
        one_worker,
        "an unshared request's iterator ran on more than one worker"
    );
}
