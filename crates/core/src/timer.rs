//! The pool's timer thread: raises every worker's heartbeat flag once per interval.
//!
//! A raised flag asks its worker to promote its oldest pending fork at its next `join` (see
//! `join.rs`). Idle thieves raise their victims' flags too (`ThreadInfo::ask_to_promote`), so
//! for sharing the timer matters only once every idle worker sleeps. The timer parks on the
//! sleep module's idle gate while every worker sleeps, so an idle pool has no periodic
//! wake-ups at all. The same tick reviews running requests for the
//! policy (deadlines, predicted misses, shedding: `Registry::review_running`), so one thread
//! serves heartbeats, deadlines and predicted-miss checks.
//!
//! While every worker is busy and no running request needs reviews, nobody could take a
//! promoted fork, and a tick would only preempt a worker: the timer then rests (up to
//! 16 intervals) until a worker announces that it is going to sleep (`Sleep::prepare` nudges
//! it), and ticks at once. See `sleep/README.md`.

use std::thread;

use crate::registry::Registry;
use crate::sync::{Arc, Ordering};

/// How many heartbeat intervals the timer rests at most while every worker is busy.
const REST_INTERVALS: u32 = 16;

pub(crate) fn main_loop(registry: Arc<Registry>) {
    registry.sleep.register_timer();
    loop {
        registry.sleep.wait_while_idle();
        if registry.is_terminating() {
            return;
        }
        if registry.sleep.sleepers() == 0 && !registry.needs_reviews() {
            // Every worker is busy and no request needs its deadline watched: nobody could
            // take promoted work, so rest until a worker runs dry (it nudges us) or for a
            // while (then promote anyway, so the next idle worker finds work at once).
            registry
                .sleep
                .rest_while_busy(registry.heartbeat * REST_INTERVALS);
        } else {
            thread::sleep(registry.heartbeat);
        }
        for info in registry.infos.iter() {
            info.heartbeat.store(true, Ordering::Relaxed);
        }
        registry.review_running();
    }
}
