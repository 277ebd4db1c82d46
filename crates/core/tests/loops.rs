//! Every index of every loop form is visited exactly once, including empty and ragged ranges.

use std::ops::Range;
use std::sync::atomic::{AtomicU8, Ordering};

use ontime_core::{ThreadPool, ThreadPoolBuilder};

fn pool(n: usize) -> ThreadPool {
    ThreadPoolBuilder::new().num_threads(n).build().unwrap()
}

struct Marks(Vec<AtomicU8>);

impl Marks {
    fn new(n: usize) -> Self {
        Marks((0..n).map(|_| AtomicU8::new(0)).collect())
    }
    fn hit(&self, i: usize) {
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }
    /// Every index inside `expected` hit exactly once, every other index never.
    fn check(&self, expected: impl Fn(usize) -> bool) {
        for (i, m) in self.0.iter().enumerate() {
            let want = u8::from(expected(i));
            assert_eq!(m.load(Ordering::Relaxed), want, "index {i}");
        }
    }
}

const RANGES: &[(usize, usize)] = &[
    (0, 0),
    (5, 5),
    (0, 1),
    (3, 4),
    (0, 7),
    (1, 1000),
    (17, 100_003),
];

#[test]
fn forall_visits_each_index_once() {
    for threads in [1, 2, 3] {
        let p = pool(threads);
        for &(a, b) in RANGES {
            let m = Marks::new(b + 1);
            p.forall(a..b, |i| m.hit(i));
            m.check(|i| (a..b).contains(&i));
            // The free function (global pool) too.
            let m = Marks::new(b + 1);
            ontime_core::forall(a..b, |i| m.hit(i));
            m.check(|i| (a..b).contains(&i));
        }
    }
}

#[test]
fn forall_chunked_blocks_are_exact() {
    let p = pool(2);
    for &(a, b) in RANGES {
        for grain in [1, 2, 3, 64, 1000, 1 << 20] {
            let m = Marks::new(b + 1);
            p.forall_chunked(a..b, grain, |r: Range<usize>| {
                assert!(!r.is_empty() && r.len() <= grain);
                // All blocks but the last are exactly `grain` long and aligned.
                assert_eq!((r.start - a) % grain, 0);
                if r.end != b {
                    assert_eq!(r.len(), grain);
                }
                r.for_each(|i| m.hit(i));
            });
            m.check(|i| (a..b).contains(&i));
        }
    }
}

#[test]
#[should_panic(expected = "grain of at least 1")]
fn forall_chunked_rejects_zero_grain() {
    pool(1).forall_chunked(0..10, 0, |_| {});
}

#[test]
fn forall_2d_tiles_cover_exactly_once() {
    let p = pool(2);
    for (rows, cols) in [
        (0..0, 0..5),
        (0..5, 3..3),
        (0..1, 0..1),
        (2..37, 5..64),
        (0..100, 0..101),
    ] {
        for tile in [[1, 1], [4, 8], [7, 3], [1000, 1000]] {
            let w = cols.end;
            let m = Marks::new(rows.end * w + 1);
            p.forall_2d(rows.clone(), cols.clone(), tile, |r, c| {
                assert!(r.len() <= tile[0] && c.len() <= tile[1]);
                for i in r {
                    for j in c.clone() {
                        m.hit(i * w + j);
                    }
                }
            });
            m.check(|k| {
                w > 0 && rows.contains(&(k / w)) && cols.contains(&(k % w)) && k < rows.end * w
            });
        }
    }
}

#[test]
fn forall_3d_and_4d_tiles_cover_exactly_once() {
    let p = pool(2);
    let dims = [3..11, 0..9, 2..7];
    let m = Marks::new(11 * 9 * 7);
    p.forall_3d(dims.clone(), [3, 4, 2], |[a, b, c]| {
        for i in a {
            for j in b.clone() {
                for k in c.clone() {
                    m.hit((i * 9 + j) * 7 + k);
                }
            }
        }
    });
    m.check(|x| {
        let (i, j, k) = (x / 63, (x / 7) % 9, x % 7);
        dims[0].contains(&i) && dims[1].contains(&j) && dims[2].contains(&k)
    });

    let dims4 = [0..4, 1..6, 0..3, 2..9];
    let m = Marks::new(4 * 6 * 3 * 9);
    p.forall_4d(dims4.clone(), [3, 2, 2, 4], |[a, b, c, d]| {
        for i in a {
            for j in b.clone() {
                for k in c.clone() {
                    for l in d.clone() {
                        m.hit(((i * 6 + j) * 3 + k) * 9 + l);
                    }
                }
            }
        }
    });
    m.check(|x| {
        let (i, j, k, l) = (x / 162, (x / 27) % 6, (x / 9) % 3, x % 9);
        dims4[0].contains(&i)
            && dims4[1].contains(&j)
            && dims4[2].contains(&k)
            && dims4[3].contains(&l)
    });
    // Empty dimension: nothing runs.
    p.forall_4d([0..4, 0..0, 0..3, 0..2], [1, 1, 1, 1], |_| {
        panic!("must not run")
    });
}

#[test]
#[should_panic(expected = "tile extents must be at least 1")]
fn zero_tile_is_rejected() {
    pool(1).forall_2d(0..4, 0..4, [0, 2], |_, _| {});
}

#[test]
fn min_work_size_runs_small_loops_serially_on_one_worker() {
    let p = ThreadPoolBuilder::new()
        .num_threads(2)
        .min_work_size(1000)
        .build()
        .unwrap();
    let me = std::thread::current().id();
    let one_worker = |ids: &std::sync::Mutex<std::collections::HashSet<std::thread::ThreadId>>| {
        let ids = ids.lock().unwrap();
        assert_eq!(ids.len(), 1, "a small loop runs on one thread");
        assert!(
            !ids.contains(&me),
            "and that thread is one of the pool's workers"
        );
    };
    let ids = std::sync::Mutex::new(std::collections::HashSet::new());
    p.forall(0..999, |_| {
        assert!(p.current_thread_index().is_some());
        ids.lock().unwrap().insert(std::thread::current().id());
    });
    one_worker(&ids);
    let ids = std::sync::Mutex::new(std::collections::HashSet::new());
    p.forall_2d(0..10, 0..10, [2, 2], |_, _| {
        ids.lock().unwrap().insert(std::thread::current().id());
    });
    one_worker(&ids);
    // At or above the threshold the pool runs it.
    let m = Marks::new(5000);
    p.forall(0..5000, |i| {
        assert_ne!(std::thread::current().id(), me);
        m.hit(i)
    });
    m.check(|_| true);
    p.set_min_work_size(0);
    assert_eq!(p.min_work_size(), 0);
}

#[test]
fn loops_nest_inside_loops() {
    let p = pool(2);
    let m = Marks::new(300 * 300);
    p.forall(0..300, |i| p.forall(0..300, |j| m.hit(i * 300 + j)));
    m.check(|_| true);
}

#[test]
fn stolen_loop_halves_are_resplit() {
    // With heavy bodies and 2 workers, both workers take part.
    let p = pool(2);
    let seen = [AtomicU8::new(0), AtomicU8::new(0)];
    p.forall_chunked(0..64, 1, |_| {
        let i = ontime_core::current_thread_index().unwrap();
        seen[i].store(1, Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(1));
    });
    assert_eq!(
        seen.iter().map(|s| s.load(Ordering::Relaxed)).sum::<u8>(),
        2
    );
}

#[test]
fn expensive_last_indices_are_shared_below_the_block_size() {
    // 4096 indices on 2 workers: `forall` picks blocks of 8, so the 4 expensive indices all
    // sit in the last block. Blocks shrink at the end of a range and a worker that is asked
    // for work may cut its last block, so both workers run some of them.
    let p = ThreadPoolBuilder::new()
        .num_threads(2)
        .heartbeat(std::time::Duration::from_micros(50))
        .build()
        .unwrap();
    let n = 4096;
    let ran_heavy = [AtomicU8::new(0), AtomicU8::new(0)];
    let m = Marks::new(n);
    p.forall(0..n, |i| {
        m.hit(i);
        if i >= n - 4 {
            let w = ontime_core::current_thread_index().unwrap();
            ran_heavy[w].store(1, Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
    m.check(|_| true);
    assert_eq!(
        ran_heavy
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .sum::<u8>(),
        2,
        "the expensive tail ran on one worker only"
    );
}
