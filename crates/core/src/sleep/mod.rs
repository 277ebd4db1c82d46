//! Sleep and wake-up for idle workers, and the idle gate the heartbeat timer parks on.
//!
//! The protocol and the argument for why it cannot lose a wake-up are in `README.md` beside
//! this file; keep the two in step.

use crossbeam_utils::CachePadded;

use crate::sync::{
    fence, lock, wait, AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering,
};

/// Per-worker parking place.
#[derive(Debug)]
struct Slot {
    state: Mutex<SlotState>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct SlotState {
    /// The worker is blocked (or about to block) on `cv`.
    sleeping: bool,
    /// A wake-up was delivered and not yet consumed.
    woken: bool,
}

/// Evidence that a worker announced itself as a sleeper (see [`Sleep::prepare`]).
#[derive(Debug)]
#[must_use = "a prepared sleeper must either sleep or cancel"]
pub(crate) struct Ticket {
    epoch: u64,
}

/// The pool's sleep state: an event counter, the number of announced sleepers, and one slot
/// per worker.
#[derive(Debug)]
pub(crate) struct Sleep {
    /// Bumped whenever work is published while a sleeper is announced.
    epoch: CachePadded<AtomicU64>,
    /// Workers between `prepare` and the end of `sleep`/`cancel`.
    sleepers: CachePadded<AtomicUsize>,
    slots: Box<[CachePadded<Slot>]>,
    /// The heartbeat timer parks here while every worker sleeps.
    idle_gate: Mutex<()>,
    idle_cv: Condvar,
    /// Set once at shutdown: nobody parks on the idle gate any more.
    closed: AtomicBool,
    /// The timer is resting because every worker was busy (see [`Sleep::rest_while_busy`]).
    timer_resting: AtomicBool,
    /// The timer is parked on the idle gate (see [`Sleep::wait_while_idle`]).
    timer_parked: AtomicBool,
    /// The timer thread, to cut its rest short (set when it starts).
    #[cfg(not(loom))]
    timer: std::sync::OnceLock<std::thread::Thread>,
}

impl Sleep {
    pub(crate) fn new(num_workers: usize) -> Self {
        Sleep {
            epoch: CachePadded::new(AtomicU64::new(0)),
            sleepers: CachePadded::new(AtomicUsize::new(0)),
            slots: (0..num_workers)
                .map(|_| {
                    CachePadded::new(Slot {
                        state: Mutex::new(SlotState::default()),
                        cv: Condvar::new(),
                    })
                })
                .collect(),
            idle_gate: Mutex::new(()),
            idle_cv: Condvar::new(),
            closed: AtomicBool::new(false),
            timer_resting: AtomicBool::new(false),
            timer_parked: AtomicBool::new(false),
            #[cfg(not(loom))]
            timer: std::sync::OnceLock::new(),
        }
    }

    /// Step 1 of going to sleep: announce it. The caller must then search for work once more
    /// and either [`cancel`](Self::cancel) (found some) or [`sleep`](Self::sleep).
    pub(crate) fn prepare(&self) -> Ticket {
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let epoch = self.epoch.load(Ordering::SeqCst);
        // Pairs with the fence in `new_work`: either our re-check of the queues sees the
        // publisher's push, or the publisher sees our announcement (README, "Why no wake-up
        // is lost").
        fence(Ordering::SeqCst);
        // A worker running out of work is the thief heartbeats exist for: end the timer's
        // rest (README, "The timer rests while every worker is busy").
        if self.timer_resting.load(Ordering::SeqCst) {
            self.nudge_timer();
        }
        Ticket { epoch }
    }

    /// Called by the timer thread when it starts.
    pub(crate) fn register_timer(&self) {
        #[cfg(not(loom))]
        let _ = self.timer.set(std::thread::current());
    }

    #[cold]
    fn nudge_timer(&self) {
        #[cfg(not(loom))]
        if let Some(t) = self.timer.get() {
            t.unpark();
        }
    }

    /// Called by the timer thread while no worker is announced as a sleeper: waits up to
    /// `max`, or until a worker announces itself (`prepare` nudges the timer), a request that
    /// needs reviews starts (`nudge_if_resting`), or shutdown. `busy` re-checks, after the
    /// resting flag is up, that there is still nothing to tick for (the requests needing
    /// reviews); see README, "The timer rests while every worker is busy".
    ///
    /// Heartbeats only matter when some worker could take promoted work; while every worker
    /// is busy they would only preempt one (on a machine with as many cores as workers, the
    /// timer's wake-ups measured 4-8% of a compute-bound loop's time at 100 µs).
    pub(crate) fn rest_while_busy(&self, max: std::time::Duration, busy: impl Fn() -> bool) {
        self.timer_resting.store(true, Ordering::SeqCst);
        // Dekker with `prepare`: either this load sees the new sleeper, or its load of
        // `timer_resting` sees `true` and unparks us (an early unpark is kept as a token).
        // The same with `nudge_if_resting` for `busy`'s condition.
        if self.sleepers.load(Ordering::SeqCst) == 0
            && !self.closed.load(Ordering::SeqCst)
            && busy()
        {
            #[cfg(not(loom))]
            std::thread::park_timeout(max);
            #[cfg(loom)]
            let _ = max;
        }
        self.timer_resting.store(false, Ordering::SeqCst);
    }

    /// Ends the timer's rest, or its wait on the idle gate, if it rests or waits there:
    /// something it must tick for appeared (a running request that needs reviews). Call
    /// after making that visible to `rest_while_busy`'s `busy` check.
    ///
    /// The caller is awake (not counted in `sleepers`); the fence in `end_rest` also orders its
    /// leaving `sleepers` before the load of `timer_parked`, which is why a parked timer's
    /// release is never lost (README, "The pool wakes without the timer").
    pub(crate) fn nudge_if_resting(&self) {
        self.end_rest();
        if self.timer_parked.load(Ordering::SeqCst) {
            self.notify_idle_gate();
        }
    }

    /// Ends the timer's rest, if it rests (after a SeqCst fence: the Dekker pairing of
    /// `rest_while_busy`).
    fn end_rest(&self) {
        fence(Ordering::SeqCst);
        if self.timer_resting.load(Ordering::SeqCst) {
            self.nudge_timer();
        }
    }

    /// Wakes the timer if it waits on the idle gate; it then re-checks why it waits.
    #[cold]
    fn notify_idle_gate(&self) {
        let _g = lock(&self.idle_gate);
        self.idle_cv.notify_all();
    }

    /// The announced sleeper found work (or its latch) after all.
    pub(crate) fn cancel(&self, ticket: Ticket) {
        let _ = ticket;
        self.leave();
    }

    /// Blocks worker `index` until woken, unless work was published since `ticket`.
    pub(crate) fn sleep(&self, index: usize, ticket: Ticket) {
        let slot = &self.slots[index];
        let mut g = lock(&slot.state);
        if g.woken || self.epoch.load(Ordering::SeqCst) != ticket.epoch {
            g.woken = false;
            drop(g);
            self.leave();
            return;
        }
        g.sleeping = true;
        while !g.woken {
            g = wait(&slot.cv, g);
        }
        g.sleeping = false;
        g.woken = false;
        drop(g);
        self.leave();
    }

    /// Leaves the sleepers. Taking the pool out of "all asleep" does not restart the timer
    /// (README, "The pool wakes without the timer").
    fn leave(&self) {
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Called after publishing `n` jobs that sleepers must be able to see (a push into a
    /// deque or the injector). Lean when nobody sleeps: one fence and one load.
    #[inline]
    pub(crate) fn new_work(&self, n: usize) {
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            self.new_work_cold(n);
        }
    }

    #[cold]
    fn new_work_cold(&self, n: usize) {
        // Any sleeper that has announced itself but not blocked yet sees the new epoch and
        // does not block; those already blocked need an explicit wake-up.
        self.epoch.fetch_add(1, Ordering::SeqCst);
        // Lowest index first, always: each worker then tends to keep its CPU from one wake-up
        // to the next (README, "Which sleeper is woken").
        let mut left = n;
        for slot in self.slots.iter() {
            if left == 0 {
                break;
            }
            let mut g = lock(&slot.state);
            if g.sleeping && !g.woken {
                g.woken = true;
                slot.cv.notify_one();
                left -= 1;
            }
        }
    }

    /// Wakes worker `index` specifically (its latch was set). The wake-up is remembered if the
    /// worker has not blocked yet, so it cannot be lost.
    pub(crate) fn wake_worker(&self, index: usize) {
        let slot = &self.slots[index];
        let mut g = lock(&slot.state);
        g.woken = true;
        if g.sleeping {
            slot.cv.notify_one();
        }
    }

    /// Wakes every worker and the timer (shutdown).
    pub(crate) fn wake_all(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for i in 0..self.slots.len() {
            self.wake_worker(i);
        }
        self.notify_idle_gate();
        self.nudge_timer();
    }

    /// Blocks the calling (timer) thread while every worker is asleep. Returns at once when
    /// some worker is awake or the pool is shutting down; with `max`, after at most that long
    /// (something is scheduled); and when `changed` says the schedule changed. `changed` is
    /// checked under the gate's lock, which [`nudge_timer_for_schedule`]
    /// (Self::nudge_timer_for_schedule) takes to notify, so no insertion is missed.
    pub(crate) fn wait_while_idle(
        &self,
        max: Option<std::time::Duration>,
        changed: impl Fn() -> bool,
    ) {
        let mut g = lock(&self.idle_gate);
        // Dekker with `nudge_if_resting`: either this flag is seen there, or the waker's
        // leaving `sleepers` (or what else it published) is seen by the checks below.
        self.timer_parked.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        while self.sleepers.load(Ordering::SeqCst) == self.slots.len()
            && !self.closed.load(Ordering::SeqCst)
            && !changed()
        {
            match max {
                // One timed wait: the caller's loop reads the clock and the schedule again.
                Some(d) => {
                    g = crate::sync::wait_timeout(&self.idle_cv, g, d);
                    break;
                }
                None => g = wait(&self.idle_cv, g),
            }
        }
        self.timer_parked.store(false, Ordering::SeqCst);
        drop(g);
    }

    /// Something was scheduled (`request/schedule.rs`): the timer, parked on the idle gate or
    /// resting, looks at the schedule again.
    pub(crate) fn nudge_timer_for_schedule(&self) {
        self.notify_idle_gate();
        self.end_rest();
    }

    /// Number of workers announced as sleepers right now (a snapshot).
    pub(crate) fn sleepers(&self) -> usize {
        self.sleepers.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn cancelled_sleeper_is_no_sleeper() {
        let s = Sleep::new(2);
        let t = s.prepare();
        assert_eq!(s.sleepers(), 1);
        s.cancel(t);
        assert_eq!(s.sleepers(), 0);
    }

    #[test]
    fn new_work_after_prepare_prevents_blocking() {
        let s = Sleep::new(1);
        let t = s.prepare();
        s.new_work(1);
        // Must return at once: the epoch moved since the ticket.
        s.sleep(0, t);
        assert_eq!(s.sleepers(), 0);
    }

    #[test]
    fn wake_before_block_is_remembered() {
        let s = Sleep::new(1);
        let t = s.prepare();
        s.wake_worker(0);
        s.sleep(0, t);
        assert_eq!(s.sleepers(), 0);
    }

    #[test]
    fn blocked_sleeper_is_woken_by_new_work() {
        let s = std::sync::Arc::new(Sleep::new(1));
        let s2 = s.clone();
        let h = std::thread::spawn(move || {
            let t = s2.prepare();
            s2.sleep(0, t);
        });
        while s.sleepers() == 0 {
            std::thread::yield_now();
        }
        // Keep publishing until the sleeper leaves: it may not have blocked yet.
        while !h.is_finished() {
            s.new_work(1);
            std::thread::yield_now();
        }
        h.join().unwrap();
    }
}
