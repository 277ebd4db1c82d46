//! The clairvoyant reference: a scheduler that knows every request's size when it arrives,
//! splits work perfectly and pays no transfer cost. It is the bound the policies are
//! compared with (`docs/simulator.md` says why it is strong, and why it is not provably
//! optimal).
//!
//! # Rule
//! At every arrival, completion, and moment a request's chances change, the workers are
//! handed out again:
//! 1. requests that can still meet their target if they get every worker they can use
//!    (one per remaining item, up to the pool) come first, least remaining work first;
//! 2. requests that cannot ("hopeless") are parked: they get only the workers left over,
//!    least remaining work first, so they still finish.
//!
//! Work is fluid: a request holding `k` workers loses `k` nanoseconds of remaining work per
//! nanosecond, and gets at most one worker per item it has left when the workers are handed
//! out (between two hand-outs the fluid split is finer than an item: an optimistic bound).

use crate::run::{Counters, Run};
use crate::Arrival;

struct Active {
    req: usize,
    remaining: u64,
    deadline: u64,
    workers: u64,
}

fn parallelism(remaining: u64, item: u64, n: u64) -> u64 {
    remaining.div_ceil(item).clamp(1, n)
}

/// Serves `stream` on `workers` workers with the clairvoyant rule; items cost `item_ns`.
///
/// ```
/// use std::time::Duration;
/// use ontime_sim::{clairvoyant, Arrival};
/// // Two requests of 4 items of 1 µs on 2 workers: each is split over both workers.
/// let s = [
///     Arrival { at: Duration::ZERO, items: 4 },
///     Arrival { at: Duration::ZERO, items: 4 },
/// ];
/// let run = clairvoyant(2, &s, Duration::from_micros(10), Duration::from_micros(1));
/// assert_eq!(run.latency_ns, vec![2_000, 4_000]);
/// ```
pub fn clairvoyant(
    workers: usize,
    stream: &[Arrival],
    target: std::time::Duration,
    item: std::time::Duration,
) -> Run {
    let n = workers.max(1) as u64;
    let item = (item.as_nanos() as u64).max(1);
    let target = target.as_nanos() as u64;
    let arrival: Vec<u64> = stream.iter().map(|a| a.at.as_nanos() as u64).collect();
    let mut order: Vec<usize> = (0..stream.len()).collect();
    order.sort_by_key(|&i| (arrival[i], i));
    let mut start = vec![None; stream.len()];
    let mut finish = vec![0u64; stream.len()];
    let mut active: Vec<Active> = Vec::new();
    let mut next = 0;
    let mut now = 0u64;
    let mut items_run = 0u64;
    while next < order.len() || !active.is_empty() {
        while next < order.len() && arrival[order[next]] <= now {
            let r = order[next];
            let items = stream[r].items.max(1);
            items_run += items;
            active.push(Active {
                req: r,
                remaining: items * item,
                deadline: arrival[r] + target,
                workers: 0,
            });
            next += 1;
        }
        // Hand the workers out.
        let feasible = |a: &Active| {
            now + a.remaining.div_ceil(parallelism(a.remaining, item, n)) <= a.deadline
        };
        active.sort_by_key(|a| (!feasible(a), a.remaining, a.req));
        let mut free = n;
        for a in &mut active {
            a.workers = parallelism(a.remaining, item, n).min(free);
            free -= a.workers;
            if a.workers > 0 && start[a.req].is_none() {
                start[a.req] = Some(now);
            }
        }
        // The next moment anything changes.
        let mut until = if next < order.len() {
            arrival[order[next]]
        } else {
            u64::MAX
        };
        for a in &active {
            if a.workers > 0 {
                until = until.min(now + a.remaining.div_ceil(a.workers));
            }
            let full = a.remaining.div_ceil(parallelism(a.remaining, item, n));
            if feasible(a) && a.workers < parallelism(a.remaining, item, n) {
                // It becomes hopeless at deadline - full + 1 if it waits.
                until = until.min((a.deadline - full + 1).max(now + 1));
            }
        }
        let dt = until.saturating_sub(now).max(1);
        now += dt;
        for a in &mut active {
            a.remaining = a.remaining.saturating_sub(a.workers * dt);
            if a.remaining == 0 {
                finish[a.req] = now;
            }
        }
        active.retain(|a| a.remaining > 0);
    }
    Run {
        latency_ns: (0..stream.len()).map(|i| finish[i] - arrival[i]).collect(),
        start_ns: start.into_iter().map(|s| s.unwrap_or(0)).collect(),
        arrival_ns: arrival,
        target_ns: target,
        counters: Counters {
            items_run,
            ..Counters::default()
        },
    }
}
