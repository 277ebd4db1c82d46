//! Admission orders a policy can use: FIFO, adaptive LIFO, earliest deadline first (plain or
//! adaptive), priority levels (each level plain or adaptive).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crossbeam_deque::{Injector, Steal};
use ontime_core::{AdmissionQueue, FifoQueue, Queued};

/// The order in which idle workers admit queued requests. Every policy of this crate takes
/// one (`.admission(..)`), so admission composes with any stealing rule.
///
/// ```
/// use ontime_policies::{Admission, TargetLatency};
/// let p = TargetLatency::predictive().admission(Admission::EarliestDeadlineFirst);
/// assert_eq!(ontime_core::StealPolicy::name(&p), "target-latency-predictive+edf");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Admission {
    /// First come, first served.
    #[default]
    Fifo,
    /// The request with the earliest deadline (arrival + target) first; requests without a
    /// target after all those with one, in arrival order.
    EarliestDeadlineFirst,
    /// Priority levels ([`Request::priority`](ontime_core::Request::priority)).
    Priority(Levels),
    /// First come, first served while queueing is short, newest first once the oldest queued
    /// request has waited more than half its target ([`AdaptiveLifoQueue`](crate::AdaptiveLifoQueue)).
    ///
    /// ```
    /// use ontime_policies::{Admission, TargetLatency};
    /// let p = TargetLatency::predictive().admission(Admission::AdaptiveLifo);
    /// assert_eq!(ontime_core::StealPolicy::name(&p), "target-latency-predictive+adaptive-lifo");
    /// // The default `TargetLatency::new()` admits this way.
    /// assert_eq!(ontime_core::StealPolicy::name(&TargetLatency::new()), "target-latency");
    /// ```
    AdaptiveLifo,
    /// Earliest deadline first while queueing is short; the latest deadline first once the
    /// request with the earliest deadline has waited more than half its target
    /// ([`AdaptiveEdfQueue`](crate::AdaptiveEdfQueue)): adaptive LIFO for deadlines.
    ///
    /// ```
    /// use ontime_policies::{Admission, TargetLatency};
    /// let p = TargetLatency::new().admission(Admission::AdaptiveEdf);
    /// assert_eq!(ontime_core::StealPolicy::name(&p), "target-latency+adaptive-edf");
    /// ```
    AdaptiveEdf,
}

/// How priority levels share the workers.
///
/// ```
/// use ontime_policies::{Admission, LevelMode, Levels, TargetLatency};
/// // Two levels, the higher always first; within a level, adaptive LIFO.
/// let levels = Levels::new(2, LevelMode::HighestFirst).adaptive(true);
/// let p = TargetLatency::new().admission(Admission::Priority(levels));
/// assert_eq!(ontime_core::StealPolicy::name(&p), "target-latency+priority+adaptive");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Levels {
    /// Number of levels; a request's priority is clamped to `levels - 1`.
    pub levels: u8,
    /// How levels are served.
    pub mode: LevelMode,
    /// Within a level, adaptive LIFO ([`AdaptiveLifoQueue`](crate::AdaptiveLifoQueue))
    /// instead of first come, first served.
    pub adaptive: bool,
}

impl Levels {
    /// `levels` levels served as `mode`, each first come, first served.
    pub fn new(levels: u8, mode: LevelMode) -> Levels {
        Levels {
            levels,
            mode,
            adaptive: false,
        }
    }

    /// Whether each level is an adaptive LIFO queue instead of a FIFO one (the name gains
    /// `+adaptive`).
    pub fn adaptive(mut self, on: bool) -> Levels {
        self.adaptive = on;
        self
    }
}

/// Scheduling between priority levels (Smartpool's two schedulers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LevelMode {
    /// Always the highest non-empty level.
    HighestFirst,
    /// Levels take turns, each owning a time slice of `slice` (by the pool's clock); during
    /// its slice a level is served first, and the others (highest first) only when it is
    /// empty, so no worker idles while anything waits.
    RoundRobin {
        /// Length of one level's turn.
        slice: Duration,
    },
}

impl Admission {
    /// Short suffix for policy names (`""` for FIFO).
    pub(crate) fn suffix(&self) -> &'static str {
        match self {
            Admission::Fifo => "",
            Admission::AdaptiveLifo => "+adaptive-lifo",
            Admission::EarliestDeadlineFirst => "+edf",
            Admission::AdaptiveEdf => "+adaptive-edf",
            Admission::Priority(Levels {
                mode: LevelMode::HighestFirst,
                adaptive,
                ..
            }) => {
                if *adaptive {
                    "+priority+adaptive"
                } else {
                    "+priority"
                }
            }
            Admission::Priority(Levels { adaptive, .. }) => {
                if *adaptive {
                    "+round-robin+adaptive"
                } else {
                    "+round-robin"
                }
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        match self {
            Admission::Priority(l) if l.levels == 0 => {
                Err("priority admission needs at least one level".into())
            }
            Admission::Priority(Levels {
                mode: LevelMode::RoundRobin { slice },
                ..
            }) if slice.is_zero() => Err("round-robin time slices must be longer than zero".into()),
            _ => Ok(()),
        }
    }

    /// Makes the queue this order describes.
    pub fn make_queue(&self) -> Box<dyn AdmissionQueue> {
        match self {
            Admission::Fifo => Box::new(FifoQueue::new()),
            Admission::AdaptiveLifo => Box::new(crate::AdaptiveLifoQueue::default()),
            Admission::EarliestDeadlineFirst => Box::new(EdfQueue::default()),
            Admission::AdaptiveEdf => Box::new(crate::AdaptiveEdfQueue::default()),
            Admission::Priority(l) => Box::new(LevelQueue::new(l.clone())),
        }
    }
}

/// Takes the oldest item of a crossbeam `Injector`, retrying while it reports a lost race.
pub(crate) fn take(q: &Injector<Queued>) -> Option<Queued> {
    loop {
        match q.steal() {
            Steal::Success(x) => return Some(x),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}

/// Requests ordered by deadline (arrival + target), then arrival; those without a target
/// last. One ordered map under a mutex, held for one push or pop, keyed by a unique arrival
/// number, so every pushed request is popped exactly once. Shared by [`EdfQueue`] and
/// [`AdaptiveEdfQueue`](crate::AdaptiveEdfQueue).
#[derive(Default)]
pub(crate) struct Deadlines {
    items: Mutex<BTreeMap<(Duration, u64), Queued>>,
    seq: AtomicU64,
}

impl Deadlines {
    pub(crate) fn push(&self, item: Queued) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let key = (item.deadline().unwrap_or(Duration::MAX), seq);
        lock(&self.items).insert(key, item);
    }

    /// The earliest deadline; or, when `latest_if(earliest)` says so, the latest deadline
    /// among requests that have one (requests without one stay last).
    pub(crate) fn pop(&self, latest_if: impl FnOnce(&Queued) -> bool) -> Option<Queued> {
        let mut q = lock(&self.items);
        let latest = latest_if(q.first_key_value()?.1);
        if latest {
            if let Some(k) = q.range(..(Duration::MAX, 0)).next_back().map(|(k, _)| *k) {
                return q.remove(&k);
            }
        }
        q.pop_first().map(|(_, item)| item)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.items).len()
    }
}

/// Earliest deadline first: requests by deadline (arrival + target), then arrival; those
/// without a target last.
#[derive(Default)]
pub struct EdfQueue {
    deadlines: Deadlines,
}

impl fmt::Debug for EdfQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EdfQueue")
            .field("len", &self.len())
            .finish()
    }
}

/// Locks `m`, recovering from poisoning (a queue's state is valid after any panic: every
/// operation is one push or pop).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AdmissionQueue for EdfQueue {
    fn push(&self, item: Queued) {
        self.deadlines.push(item);
    }
    fn pop(&self, _worker: usize, _now: Duration) -> Option<Queued> {
        self.deadlines.pop(|_| false)
    }
    fn len(&self) -> usize {
        self.deadlines.len()
    }
}

/// One queue per priority level: FIFO, or adaptive LIFO (`Levels::adaptive`).
pub struct LevelQueue {
    levels: Vec<Box<dyn AdmissionQueue>>,
    config: Levels,
}

impl LevelQueue {
    /// Empty levels as configured.
    pub fn new(config: Levels) -> Self {
        LevelQueue {
            levels: (0..config.levels.max(1))
                .map(|_| -> Box<dyn AdmissionQueue> {
                    if config.adaptive {
                        Box::new(crate::AdaptiveLifoQueue::default())
                    } else {
                        Box::new(FifoQueue::new())
                    }
                })
                .collect(),
            config,
        }
    }

    /// The level whose turn it is at `now` (round-robin), or the top level.
    fn first_level(&self, now: Duration) -> usize {
        let n = self.levels.len();
        match self.config.mode {
            LevelMode::HighestFirst => n - 1,
            LevelMode::RoundRobin { slice } => {
                let turn = now.as_nanos() / slice.as_nanos().max(1);
                n - 1 - (turn % n as u128) as usize
            }
        }
    }
}

impl fmt::Debug for LevelQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lens: Vec<usize> = self.levels.iter().map(|l| l.len()).collect();
        f.debug_struct("LevelQueue")
            .field("config", &self.config)
            .field("lens", &lens)
            .finish()
    }
}

impl AdmissionQueue for LevelQueue {
    fn push(&self, item: Queued) {
        let level = usize::from(item.info().priority).min(self.levels.len() - 1);
        self.levels[level].push(item);
    }
    fn pop(&self, worker: usize, now: Duration) -> Option<Queued> {
        let first = self.first_level(now);
        self.levels[first].pop(worker, now).or_else(|| {
            (0..self.levels.len())
                .rev()
                .filter(|&l| l != first)
                .find_map(|l| self.levels[l].pop(worker, now))
        })
    }
    fn len(&self) -> usize {
        self.levels.iter().map(|l| l.len()).sum()
    }
}
