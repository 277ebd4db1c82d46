//! The pool's timer thread: raises every worker's heartbeat flag once per interval.
//!
//! A raised flag asks its worker to promote its oldest pending fork at its next `join` (see
//! `join.rs`). Idle thieves raise their victims' flags too (`ThreadInfo::ask_to_promote`),
//! also in their last search before they sleep, so sharing rarely waits for a tick. The timer
//! parks on the sleep module's idle gate while every worker sleeps, so an idle pool has no
//! periodic wake-ups at all, and it stays parked when the pool wakes until something needs it:
//! a request that needs reviews starts, or something is scheduled (`sleep/README.md`, "The
//! pool wakes without the timer"). The same tick reviews running requests for the
//! policy (deadlines, predicted misses, shedding: `Registry::review_running`), so one thread
//! serves heartbeats, deadlines and predicted-miss checks.
//!
//! While every worker is busy and no running request needs reviews, nobody could take a
//! promoted fork, and a tick would only preempt a worker: the timer then rests until a
//! worker announces that it is going to sleep (`Sleep::prepare` nudges it) or a request that
//! needs reviews starts (`Sleep::nudge_if_resting`), and ticks at once. A rest lasts at most
//! `REST_INTERVALS` intervals, a safety net that no protocol relies on. See
//! `sleep/README.md`.
//!
//! The same thread moves scheduled requests into the admission queue when their instant
//! comes (`request/schedule.rs`): while anything is scheduled, none of its waits lasts past
//! the earliest instant, and a new entry cuts a wait short.

use std::thread;

use crate::registry::Registry;
use crate::sync::{Arc, Ordering};

/// How many heartbeat intervals the timer rests at most while every worker is busy (100 ms
/// at the default interval). Every reason to tick ends a rest at once, so this only bounds
/// the harm of a bug; each tick during a rest preempts a busy worker (about 15 µs each on the
/// 2-core VM: at 16 intervals, as this was, a compute-bound 2-thread loop lost about 1%).
const REST_INTERVALS: u32 = 1000;

pub(crate) fn main_loop(registry: Arc<Registry>) {
    registry.sleep.register_timer();
    loop {
        // Scheduled requests (`request/schedule.rs`) bound every wait below: the timer looks
        // at the schedule again by the earliest instant (and every `schedule::POLL`).
        let generation = registry.schedule.generation();
        let due_within = registry
            .schedule
            .wait_at_most(registry.hooks.now(), registry.heartbeat);
        let changed = || registry.schedule.generation() != generation;
        registry.sleep.wait_while_idle(due_within, changed);
        if registry.is_terminating() {
            return;
        }
        if registry.sleep.sleepers() == 0 && !registry.needs_reviews() {
            // Every worker is busy and no request needs its deadline watched: nobody could
            // take promoted work, so rest until a worker runs dry, a request that needs
            // reviews starts, or something is scheduled (each nudges us), or the earliest
            // scheduled instant.
            let rest = registry.heartbeat * REST_INTERVALS;
            registry
                .sleep
                .rest_while_busy(due_within.map_or(rest, |d| d.min(rest)), || {
                    !registry.needs_reviews() && !changed()
                });
        } else {
            thread::sleep(due_within.map_or(registry.heartbeat, |d| d.min(registry.heartbeat)));
        }
        for info in registry.infos.iter() {
            info.heartbeat.store(true, Ordering::Relaxed);
        }
        registry.review_running();
        Registry::fire_due(&registry);
    }
}
