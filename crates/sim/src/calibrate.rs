//! Measures, on a real two-worker pool, the costs the simulator's transfers stand for, so
//! that [`Costs`](crate::Costs) can be checked against this machine (`ontime-sim
//! --calibrate`, `docs/simulator.md`, "Calibration").
//!
//! The probe is what the latency suite does: a request (a loop of 64 items of 10 µs) submitted
//! from outside the pool while its workers are idle, either **hot** (the previous request
//! finished microseconds ago: the workers still spin) or **cold** (5 ms of idleness: they
//! sleep). Two gaps are timed and map to the simulator's costs:
//! - *admission*: submit to the first item starting: `react + admit` hot, `wake + admit` cold;
//! - *join*: the first item to the first item on the other worker: `react + steal` hot,
//!   `wake + steal` cold (a worker that admits while another sleeps raises its heartbeat flag,
//!   so the first fork is shared at the eager split, in the pool and in the simulator).
//!
//! The timer's lateness is measured as the timer thread lives: a thread sleeping one heartbeat
//! interval (100 µs) at a time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ontime_core::{forall_chunked, Request, ThreadPool};

/// Medians and 90th percentiles of the measured gaps.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Calibration {
    /// Submit to the first item, workers spinning: (p50, p90).
    pub admit_hot: (Duration, Duration),
    /// First item to the first item on the other worker, that worker spinning: (p50, p90).
    pub join_hot: (Duration, Duration),
    /// Submit to the first item, workers asleep: (p50, p90).
    pub admit_cold: (Duration, Duration),
    /// First item to the first item on the other worker, that worker asleep: (p50, p90).
    pub join_cold: (Duration, Duration),
    /// Lateness of a 100 µs sleep (the timer's tick): (p50, p90).
    pub tick_late: (Duration, Duration),
    /// Requests whose second worker never joined (one worker ran every item), hot and cold.
    pub unjoined: (usize, usize),
    /// Requests measured per condition.
    pub rounds: usize,
}

fn spin(d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

fn p50_p90(mut v: Vec<Duration>) -> (Duration, Duration) {
    if v.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    v.sort_unstable();
    (v[v.len() / 2], v[v.len() * 9 / 10])
}

/// Submits one probe request to `pool` and waits for it: (admission gap, join gap if the
/// other worker took part).
fn probe(pool: &ThreadPool) -> (Duration, Option<Duration>) {
    const NONE: u64 = u64::MAX;
    let submitted = Instant::now();
    let first = std::sync::Arc::new([AtomicU64::new(NONE), AtomicU64::new(NONE)]);
    let seen = first.clone();
    pool.submit(Request::new(move || {
        forall_chunked(0..64, 1, |_| {
            let at = submitted.elapsed().as_nanos() as u64;
            let w = ontime_core::current_thread_index().expect("on a worker");
            seen[w.min(1)].fetch_min(at, Ordering::Relaxed);
            spin(Duration::from_micros(10));
        })
    }))
    .wait()
    .expect("the probe does not panic");
    let t = [
        first[0].load(Ordering::Relaxed),
        first[1].load(Ordering::Relaxed),
    ];
    let (start, other) = (t[0].min(t[1]), t[0].max(t[1]));
    let gap = |ns: u64| Duration::from_nanos(ns);
    (gap(start), (other != NONE).then(|| gap(other - start)))
}

/// Measures `rounds` probes hot and `rounds` cold on a fresh two-worker pool (cold probes
/// take 5 ms each), and `rounds` timer ticks.
///
/// ```
/// let c = ontime_sim::calibrate::measure(3);
/// assert_eq!(c.rounds, 3);
/// assert!(c.join_hot.0 <= c.join_hot.1 && c.admit_cold.0 <= c.admit_cold.1);
/// ```
pub fn measure(rounds: usize) -> Calibration {
    let pool = ThreadPool::new(2).expect("a two-worker pool");
    let run = |pause: Duration| {
        let (mut admit, mut join, mut unjoined) = (Vec::new(), Vec::new(), 0);
        for _ in 0..rounds {
            if pause.is_zero() {
                // Hot: a few microseconds after the previous probe; the workers spin.
                spin(Duration::from_micros(5));
            } else {
                std::thread::sleep(pause);
            }
            let (a, j) = probe(&pool);
            admit.push(a);
            match j {
                Some(j) => join.push(j),
                None => unjoined += 1,
            }
        }
        (p50_p90(admit), p50_p90(join), unjoined)
    };
    let (admit_hot, join_hot, unjoined_hot) = run(Duration::ZERO);
    let (admit_cold, join_cold, unjoined_cold) = run(Duration::from_millis(5));
    let tick = Duration::from_micros(100);
    let late = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            std::thread::sleep(tick);
            t.elapsed().saturating_sub(tick)
        })
        .collect();
    Calibration {
        admit_hot,
        join_hot,
        admit_cold,
        join_cold,
        tick_late: p50_p90(late),
        unjoined: (unjoined_hot, unjoined_cold),
        rounds,
    }
}
