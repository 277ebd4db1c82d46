//! Micropools: workers split into a light and a heavy pool, joined by a sharded queue.

use std::fmt;
use std::time::Duration;

use crate::admission::take;
use crossbeam_deque::Injector;
use ontime_core::{
    AdmissionQueue, IdleOrder, IdleView, Queued, RequestAction, RequestView, StealPolicy,
};

/// Which shard a heavy-pool worker serves first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HeavyOrder {
    /// Light requests first, shed and heavy work when no light request waits: the heavy
    /// pool is spare capacity that rare expensive work uses only when the cheap stream
    /// leaves it idle (the right choice when the light pool alone cannot carry the stream).
    LightFirst,
    /// Heavy work first: expensive work gets the heavy pool to itself and light requests
    /// only its idle moments.
    HeavyFirst,
}

/// Workers `0..light` form the light pool, the rest the heavy pool. Stealing stays inside a
/// pool. The admission queue has one shard per pool (a crossbeam `Injector` each): requests
/// of class 0 whose cost hint (if any) fits the budget go to the light shard, everything
/// else to the heavy shard. A request that runs longer than its pool's `budget` is shed:
/// the work it re-schedules from then on (`spawn`s) goes to the heavy shard, so a rare
/// expensive chain cannot monopolise a light worker.
///
/// ```
/// use std::time::Duration;
/// use ontime_policies::Micropools;
///
/// let pool = ontime_core::ThreadPoolBuilder::new()
///     .num_threads(2)
///     .policy(Micropools::new(1, 1, Duration::from_micros(200)))
///     .build()
///     .unwrap();
/// assert_eq!(pool.policy_name(), "micropools");
/// // Sizes must add up to the pool's workers.
/// assert!(ontime_core::ThreadPoolBuilder::new().num_threads(3)
///     .policy(Micropools::new(1, 1, Duration::from_micros(200))).build().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Micropools {
    light: usize,
    heavy: usize,
    budget: Duration,
    heavy_order: HeavyOrder,
}

impl Micropools {
    /// `light` + `heavy` workers (each at least 1), shedding requests that run longer than
    /// `budget`; heavy workers serve light requests first ([`HeavyOrder::LightFirst`]).
    pub fn new(light: usize, heavy: usize, budget: Duration) -> Self {
        Micropools {
            light,
            heavy,
            budget,
            heavy_order: HeavyOrder::LightFirst,
        }
    }

    /// Which shard heavy workers serve first.
    pub fn heavy_order(mut self, order: HeavyOrder) -> Self {
        self.heavy_order = order;
        self
    }

    fn pool_of(&self, worker: usize) -> usize {
        usize::from(worker >= self.light)
    }
}

impl StealPolicy for Micropools {
    fn name(&self) -> &str {
        "micropools"
    }

    fn idle_order(&self, _: &IdleView) -> IdleOrder {
        IdleOrder::StealFirst
    }

    fn may_steal(&self, view: &IdleView, victim: usize) -> bool {
        self.pool_of(view.worker) == self.pool_of(victim)
    }

    fn validate(&self, num_threads: usize) -> Result<(), String> {
        if self.light == 0 || self.heavy == 0 {
            return Err(format!(
                "micropools need at least one worker per pool, got {} light + {} heavy",
                self.light, self.heavy
            ));
        }
        if self.light + self.heavy != num_threads {
            return Err(format!(
                "micropools of {} light + {} heavy workers need a pool of {} threads, not {num_threads}",
                self.light,
                self.heavy,
                self.light + self.heavy
            ));
        }
        if self.budget.is_zero() {
            return Err("the micropools budget must be longer than zero".into());
        }
        Ok(())
    }

    fn admission_queue(&self, _: usize) -> Box<dyn AdmissionQueue> {
        Box::new(ShardedQueue {
            shards: [Injector::new(), Injector::new()],
            light_workers: self.light,
            budget: self.budget,
            heavy_order: self.heavy_order,
        })
    }

    fn review(&self, v: &RequestView) -> RequestAction {
        if !v.shed && v.running_for() > self.budget {
            RequestAction::Shed
        } else {
            RequestAction::Continue
        }
    }

    fn reviews_running(&self) -> bool {
        true
    }
}

/// The queue joining the pools: shard 0 feeds the light pool, shard 1 the heavy pool.
struct ShardedQueue {
    shards: [Injector<Queued>; 2],
    light_workers: usize,
    budget: Duration,
    heavy_order: HeavyOrder,
}

impl fmt::Debug for ShardedQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedQueue")
            .field("light", &self.shards[0].len())
            .field("heavy", &self.shards[1].len())
            .finish()
    }
}

impl AdmissionQueue for ShardedQueue {
    fn push(&self, item: Queued) {
        let info = item.info();
        let heavy =
            item.is_shed() || info.class != 0 || info.cost_hint.is_some_and(|c| c > self.budget);
        self.shards[usize::from(heavy)].push(item);
    }

    fn pop(&self, worker: usize, _now: Duration) -> Option<Queued> {
        let [light, heavy] = &self.shards;
        if worker < self.light_workers {
            return take(light);
        }
        match self.heavy_order {
            HeavyOrder::LightFirst => take(light).or_else(|| take(heavy)),
            HeavyOrder::HeavyFirst => take(heavy).or_else(|| take(light)),
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(Injector::len).sum()
    }
}
