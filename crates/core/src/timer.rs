//! The pool's timer thread: raises every worker's heartbeat flag once per interval.
//!
//! A raised flag asks its worker to promote its oldest pending fork at its next `join` (see
//! `join.rs`). The timer parks on the sleep module's idle gate while every worker sleeps, so an
//! idle pool has no periodic wake-ups at all. The same tick reviews running requests for the
//! policy (deadlines, predicted misses, shedding: `Registry::review_running`), so one thread
//! serves heartbeats, deadlines and predicted-miss checks.

use std::thread;

use crate::registry::Registry;
use crate::sync::{Arc, Ordering};

pub(crate) fn main_loop(registry: Arc<Registry>) {
    loop {
        registry.sleep.wait_while_idle();
        if registry.is_terminating() {
            return;
        }
        thread::sleep(registry.heartbeat);
        for info in registry.infos.iter() {
            info.heartbeat.store(true, Ordering::Relaxed);
        }
        registry.review_running();
    }
}
