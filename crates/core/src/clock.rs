//! The pool's clock: where request arrival, start and finish times come from.
//!
//! Policies never read the system time themselves: every time they see (in a
//! [`RequestView`](crate::RequestView)) comes from the pool's [`Clock`]. Tests install a
//! [`ManualClock`] and move time by hand, so policy decisions are deterministic.

use std::fmt;
// std, not `crate::sync`: clocks are public types users build outside any loom model, and no
// synchronisation protocol relies on them (they only produce readings).
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic source of time, measured from an arbitrary epoch (the pool's start for
/// [`SystemClock`]).
///
/// Contract: `now` never goes backwards, may be called from any thread, and does not block.
///
/// ```
/// use std::time::Duration;
/// use ontime_core::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_millis(3));
/// assert_eq!(clock.now(), Duration::from_millis(3));
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Time elapsed since the clock's epoch.
    fn now(&self) -> Duration;
}

/// The default clock: a monotonic [`Instant`] taken when the clock was made.
///
/// ```
/// use ontime_core::{Clock, SystemClock};
/// let c = SystemClock::new();
/// let a = c.now();
/// assert!(c.now() >= a);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    epoch: Instant,
}

impl SystemClock {
    /// A clock whose epoch is now.
    pub fn new() -> Self {
        SystemClock {
            epoch: Instant::now(),
        }
    }

    /// The instant this clock counts from, to convert its readings to [`Instant`]s.
    pub fn epoch(&self) -> Instant {
        self.epoch
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }
}

/// A clock that moves only when told to: for tests of time-dependent policies.
///
/// Share it with the pool through an `Arc` ([`ThreadPoolBuilder::clock`](crate::ThreadPoolBuilder::clock)
/// takes one) and keep a handle to move time.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ontime_core::{Clock, ManualClock, ThreadPoolBuilder};
///
/// let clock = Arc::new(ManualClock::new());
/// let pool = ThreadPoolBuilder::new().num_threads(1).clock(clock.clone()).build().unwrap();
/// clock.set(Duration::from_secs(5));
/// assert_eq!(pool.now(), Duration::from_secs(5));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock standing at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock to `t`.
    ///
    /// # Panics
    /// If `t` is earlier than the current reading: clocks never go backwards.
    pub fn set(&self, t: Duration) {
        let ns = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
        let prev = self.nanos.fetch_max(ns, Ordering::SeqCst);
        assert!(
            prev <= ns,
            "ontime: ManualClock::set({t:?}) would move the clock backwards from {:?}",
            Duration::from_nanos(prev)
        );
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |x| {
                Some(x.saturating_add(ns))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward() {
        let c = ManualClock::new();
        c.set(Duration::from_millis(2));
        c.advance(Duration::from_millis(1));
        assert_eq!(c.now(), Duration::from_millis(3));
        let r = std::panic::catch_unwind(|| c.set(Duration::from_millis(1)));
        assert!(r.is_err());
        assert_eq!(c.now(), Duration::from_millis(3));
    }
}
