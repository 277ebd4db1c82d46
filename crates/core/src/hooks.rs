//! Every call the runtime makes into user code outside a task's own guard, contained.
//!
//! # The rule
//! A policy hook, an admission-queue method, the clock or a handler that panics never kills
//! the worker or timer that called it, never unwinds through the runtime's own frames, and
//! never leaves work half-moved. The panic is caught where the call is made, **reported once**
//! (to the pool's `panic_handler`, with the original payload; without one, as a line on stderr
//! naming the hook), and the call takes the **fallback answer** below. Then the caller carries
//! on as if the hook had answered that.
//!
//! | call | made by | fallback answer after a panic |
//! | --- | --- | --- |
//! | `StealPolicy::idle_order` | idle worker | `IdleOrder::StealFirst` |
//! | `StealPolicy::first_victim` | idle worker | the random seed modulo the pool size |
//! | `StealPolicy::may_steal` | idle worker | `true` |
//! | `StealPolicy::may_share` | worker at a heartbeat | `true` |
//! | `StealPolicy::review` | admitting worker, timer | `RequestAction::Continue` |
//! | `StealPolicy::name`, `reviews_running`, `rejects_late`, `validate`, `admission_queue` | `build()` | `build()` fails with `BuildError::Policy` |
//! | `AdmissionQueue::push` | submitter, worker (shed work) | the item, unless the queue kept it, runs at once on the pushing thread |
//! | `AdmissionQueue::pop` | idle worker | `None` (nothing admitted this time) |
//! | `AdmissionQueue::len` | idle worker, timer | `0` |
//! | `AdmissionQueue::is_empty` | idle worker | `false` (so the worker tries `pop`) |
//! | `Clock::now` | admission, completion, reviews | the last good reading (0 before any) |
//! | `start_handler`, `exit_handler` | the worker itself | the worker starts / exits anyway |
//! | `panic_handler` | anyone reporting a panic | a line on stderr |
//! | `thread_name` | `build()` | `build()` stops the workers started so far and fails with `BuildError::Handler` |
//!
//! The fallbacks are the trait's own default answers where it has one, so a policy whose hook
//! panics behaves like the default policy for that one call. The calls are all on cold paths
//! (idle workers, heartbeats, admission, the timer): an un-stolen `join` makes none of them,
//! and a `catch_unwind` that does not fire costs nothing on the success path.

use std::any::Any;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::clock::Clock;
use crate::policy::{IdleOrder, IdleView, ShareView, StealPolicy};
use crate::request::admission::{AdmissionQueue, Queued};
use crate::request::view::{RequestAction, RequestView};
use crate::sync::{AtomicU64, Ordering};
use crate::unwind;

/// A user callback taking a worker index.
pub(crate) type IndexHandler = Box<dyn Fn(usize) + Send + Sync>;
/// A user callback taking a panic payload (shared: a request's result slot keeps it, to
/// report the panic of a request nobody waits for; it holds no pool).
pub(crate) type PanicHandler = std::sync::Arc<dyn Fn(Box<dyn Any + Send>) + Send + Sync>;

/// Reports panics to the pool's `panic_handler` (contained), or prints them; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct PanicReporter(Option<PanicHandler>);

impl PanicReporter {
    #[cfg(loom)]
    pub(crate) fn new(handler: Option<PanicHandler>) -> Self {
        PanicReporter(handler)
    }

    /// Hands `payload` to the handler (a panic in the handler is caught and printed), or
    /// prints `what` and the message.
    /// A cancelled request's unwind (`request/cancel.rs`) is not a panic and is not reported.
    pub(crate) fn report(&self, what: &str, payload: Box<dyn Any + Send>) {
        if crate::request::cancel::is_cancellation(&*payload) {
            return;
        }
        match &self.0 {
            Some(h) => {
                if unwind::catch(|| h(payload)).is_err() {
                    eprintln!("ontime: the pool's panic_handler itself panicked; continuing");
                }
            }
            None => eprintln!(
                "ontime: {what} panicked: {} (set ThreadPoolBuilder::panic_handler to handle it)",
                unwind::message(&*payload)
            ),
        }
    }
}
/// A user callback naming worker threads.
pub(crate) type NameHandler = Box<dyn FnMut(usize) -> String>;

/// The user's code a pool calls, each call behind the rule above.
pub(crate) struct Hooks {
    policy: Box<dyn StealPolicy>,
    queue: Box<dyn AdmissionQueue>,
    /// Shared with request jobs, which may outlive the pool (`request/lifecycle.rs`).
    pub(crate) clock: std::sync::Arc<dyn Clock>,
    /// The last reading `Clock::now` returned: the fallback if it panics.
    last_now: CachePadded<AtomicU64>,
    /// Read once at build time: a name and a yes/no that cannot change afterwards.
    name: String,
    reviews_running: bool,
    rejects_late: bool,
    start_handler: Option<IndexHandler>,
    exit_handler: Option<IndexHandler>,
    panic: PanicReporter,
}

/// The user's code, as the builder hands it over.
pub(crate) struct HookConfig {
    pub(crate) policy: Box<dyn StealPolicy>,
    pub(crate) clock: std::sync::Arc<dyn Clock>,
    pub(crate) start_handler: Option<IndexHandler>,
    pub(crate) exit_handler: Option<IndexHandler>,
    pub(crate) panic_handler: Option<PanicHandler>,
}

/// Runs a build-time policy call; a panic becomes the `BuildError::Policy` message.
fn at_build<R>(hook: &str, f: impl FnOnce() -> R) -> Result<R, String> {
    unwind::catch(f).map_err(|p| format!("StealPolicy::{hook} panicked: {}", unwind::message(&*p)))
}

impl Hooks {
    /// Asks the policy its build-time questions (validation, name, reviews, the queue) for a
    /// pool of `num_threads` workers. Any refusal or panic is the error message.
    pub(crate) fn new(config: HookConfig, num_threads: usize) -> Result<Hooks, String> {
        let HookConfig {
            policy,
            clock,
            start_handler,
            exit_handler,
            panic_handler,
        } = config;
        at_build("validate", || policy.validate(num_threads))??;
        let name = at_build("name", || policy.name().to_owned())?;
        let reviews_running = at_build("reviews_running", || policy.reviews_running())?;
        let rejects_late = at_build("rejects_late", || policy.rejects_late())?;
        let queue = at_build("admission_queue", || policy.admission_queue(num_threads))?;
        Ok(Hooks {
            policy,
            queue,
            clock,
            last_now: CachePadded::new(AtomicU64::new(0)),
            name,
            reviews_running,
            rejects_late,
            start_handler,
            exit_handler,
            panic: PanicReporter(panic_handler),
        })
    }

    /// Runs `f`; if it panics, reports the panic and returns `fallback()`.
    #[inline]
    fn contain<R>(
        &self,
        hook: &'static str,
        fallback: impl FnOnce() -> R,
        f: impl FnOnce() -> R,
    ) -> R {
        match unwind::catch(f) {
            Ok(r) => r,
            Err(p) => {
                self.hook_panicked(hook, p);
                fallback()
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn hook_panicked(&self, hook: &'static str, payload: Box<dyn Any + Send>) {
        match &self.panic.0 {
            Some(_) => self.report_panic(payload),
            None => eprintln!(
                "ontime: {hook} panicked: {}; the pool used its fallback answer and carries on \
                 (set ThreadPoolBuilder::panic_handler to handle it)",
                unwind::message(&*payload)
            ),
        }
    }

    /// Hands a panic to the user's handler (contained too), or prints it.
    pub(crate) fn report_panic(&self, payload: Box<dyn Any + Send>) {
        self.panic.report("a spawned job", payload)
    }

    /// A reporter that request slots keep (see [`PanicReporter`]).
    pub(crate) fn panic_reporter(&self) -> PanicReporter {
        self.panic.clone()
    }

    /// The policy's name, read at build time.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// `StealPolicy::rejects_late`, read at build time.
    #[inline]
    pub(crate) fn rejects_late(&self) -> bool {
        self.rejects_late
    }

    /// Whether the timer reviews running requests, read at build time.
    #[inline]
    pub(crate) fn reviews_running(&self) -> bool {
        self.reviews_running
    }

    #[inline]
    pub(crate) fn idle_order(&self, view: &IdleView) -> IdleOrder {
        self.contain(
            "StealPolicy::idle_order",
            || IdleOrder::StealFirst,
            || self.policy.idle_order(view),
        )
    }

    #[inline]
    pub(crate) fn first_victim(&self, view: &IdleView, seed: u64) -> usize {
        let n = view.num_threads.max(1) as u64;
        self.contain(
            "StealPolicy::first_victim",
            || (seed % n) as usize,
            || self.policy.first_victim(view, seed),
        )
    }

    #[inline]
    pub(crate) fn may_steal(&self, view: &IdleView, victim: usize) -> bool {
        self.contain(
            "StealPolicy::may_steal",
            || true,
            || self.policy.may_steal(view, victim),
        )
    }

    #[inline]
    pub(crate) fn may_share(&self, view: &ShareView) -> bool {
        self.contain(
            "StealPolicy::may_share",
            || true,
            || self.policy.may_share(view),
        )
    }

    pub(crate) fn review(&self, view: &RequestView) -> RequestAction {
        self.contain(
            "StealPolicy::review",
            || RequestAction::Continue,
            || self.policy.review(view),
        )
    }

    /// `StealPolicy::urgency`; a panic or a NaN counts as no candidate.
    pub(crate) fn urgency(&self, view: &RequestView) -> Option<f64> {
        self.contain(
            "StealPolicy::urgency",
            || None,
            || self.policy.urgency(view),
        )
        .filter(|u| !u.is_nan())
    }

    /// Queues an item. If `push` panics, the item (unless the queue kept it) is dropped while
    /// the panic unwinds, and `Queued`'s drop runs it on this thread: nothing is lost.
    pub(crate) fn push(&self, item: Queued) {
        self.contain("AdmissionQueue::push", || (), move || self.queue.push(item))
    }

    pub(crate) fn pop(&self, worker: usize, now: Duration) -> Option<Queued> {
        self.contain(
            "AdmissionQueue::pop",
            || None,
            || self.queue.pop(worker, now),
        )
    }

    pub(crate) fn queue_len(&self) -> usize {
        self.contain("AdmissionQueue::len", || 0, || self.queue.len())
    }

    #[inline]
    pub(crate) fn queue_is_empty(&self) -> bool {
        self.contain(
            "AdmissionQueue::is_empty",
            || false,
            || self.queue.is_empty(),
        )
    }

    /// The pool's time; the last good reading if the clock panics.
    pub(crate) fn now(&self) -> Duration {
        match unwind::catch(|| self.clock.now()) {
            Ok(t) => {
                let ns = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
                if self.last_now.load(Ordering::Relaxed) < ns {
                    self.last_now.store(ns, Ordering::Relaxed);
                }
                t
            }
            Err(p) => {
                self.hook_panicked("Clock::now", p);
                Duration::from_nanos(self.last_now.load(Ordering::Relaxed))
            }
        }
    }

    pub(crate) fn run_start_handler(&self, index: usize) {
        if let Some(h) = &self.start_handler {
            if let Err(p) = unwind::catch(|| h(index)) {
                self.hook_panicked("the start_handler", p);
            }
        }
    }

    pub(crate) fn run_exit_handler(&self, index: usize) {
        if let Some(h) = &self.exit_handler {
            if let Err(p) = unwind::catch(|| h(index)) {
                self.hook_panicked("the exit_handler", p);
            }
        }
    }
}
