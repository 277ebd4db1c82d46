//! Requests for later: [`ThreadPool::submit_at`](crate::ThreadPool::submit_at),
//! [`submit_after`](crate::ThreadPool::submit_after) and
//! [`every`](crate::ThreadPool::every), served by the pool's timer thread on the pool's clock.
//!
//! # Protocol
//! The schedule is a min-heap of entries by instant, behind one mutex, with a generation
//! number that every insertion raises. The timer thread (`timer.rs`), whenever something is
//! scheduled, waits no longer than until the earliest instant (and at most [`POLL`] at a time,
//! so a [`ManualClock`](crate::ManualClock) moved by a test is noticed), then moves every
//! entry that is due:
//! - a **request** goes from `SCHEDULED` to `QUEUED` (one compare-and-swap against a cancel,
//!   as in `cancel.rs`), is counted as queued and pushed into the admission queue, its arrival
//!   being its instant; a cancelled one is dropped (its job is a tombstone);
//! - a **series** ([`Series`]) submits one request running its closure and goes back into
//!   the heap one period later; while its previous run is unfinished, the tick waits for it
//!   (the entry stays due and is looked at again a heartbeat later), and a tick still waiting
//!   when the next one is due is skipped and counted. Runs never pile up.
//!
//! An insertion wakes the timer: it notifies the idle gate the timer parks on while every
//! worker sleeps (under the gate's lock, which the timer holds while it checks the
//! generation, so the notification cannot fall between its check and its wait) and ends a
//! rest (`Sleep::nudge_if_resting`, after the insertion, against the timer's check of the
//! generation after it raised its resting flag).
//!
//! **Shutdown.** The timer moves entries into the queue only while holding a pass through the
//! pool's shutdown gate, so the exiting workers wait for the push and run it. When the pool
//! shuts down (`Registry::terminate`), [`Schedule::close`] takes every waiting entry under the
//! mutex: scheduled requests resolve `Cancelled` (their instant never came), series stop, and
//! anything scheduled later resolves `Cancelled` at once. Invariant: every scheduled
//! request's handle resolves (run, or `Cancelled`), and none runs twice.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::AtomicBool as StdAtomicBool;
use std::time::Duration;

use super::admission::Queued;
use super::book::RequestBook;
use super::handle::RequestHandle;
use super::Request;
use crate::registry::Registry;
use crate::sync::{lock, Arc, AtomicU64, Mutex, Ordering};

/// The longest the timer waits, while something is scheduled, before it reads the clock
/// again (a manual clock may have moved).
pub(crate) const POLL: Duration = Duration::from_millis(2);

/// Requests and series waiting for their instants.
pub(crate) struct Schedule {
    state: Mutex<State>,
    /// Raised by every insertion (see the module docs).
    generation: AtomicU64,
}

struct State {
    heap: BinaryHeap<Reverse<Entry>>,
    /// Insertion order, to keep entries of one instant in submission order.
    seq: u64,
    /// The pool is shutting down: nothing waits any more.
    closed: bool,
}

struct Entry {
    due: Duration,
    seq: u64,
    what: What,
}

enum What {
    Request(Queued),
    Series(Arc<SeriesState>),
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl Schedule {
    pub(crate) fn new() -> Self {
        Schedule {
            state: Mutex::new(State {
                heap: BinaryHeap::new(),
                seq: 0,
                closed: false,
            }),
            generation: AtomicU64::new(0),
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// How long the timer may wait before it must look at the schedule again, read at `now`;
    /// `None` when nothing is scheduled. At least `floor` (the heartbeat): an entry that is
    /// due but must wait (a series whose previous run is unfinished) is looked at again
    /// after that, not in a spin.
    pub(crate) fn wait_at_most(&self, now: Duration, floor: Duration) -> Option<Duration> {
        let g = lock(&self.state);
        let Reverse(first) = g.heap.peek()?;
        Some(first.due.saturating_sub(now).clamp(floor.min(POLL), POLL))
    }

    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.state).heap.is_empty()
    }

    /// Adds an entry; false (and the entry handed back) if the pool is shutting down.
    fn insert(&self, due: Duration, what: What) -> Result<(), What> {
        let mut g = lock(&self.state);
        if g.closed {
            return Err(what);
        }
        g.seq += 1;
        let seq = g.seq;
        g.heap.push(Reverse(Entry { due, seq, what }));
        drop(g);
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// The entries due at `now`, taken out of the heap.
    fn take_due(&self, now: Duration) -> Vec<Entry> {
        let mut g = lock(&self.state);
        let mut due = Vec::new();
        while g.heap.peek().is_some_and(|Reverse(e)| e.due <= now) {
            let Reverse(e) = g.heap.pop().expect("peeked");
            due.push(e);
        }
        due
    }

    /// Shutdown: every waiting request resolves `Cancelled`, every series stops, and later
    /// insertions are refused.
    pub(crate) fn close(&self, book: &RequestBook) {
        let entries = {
            let mut g = lock(&self.state);
            g.closed = true;
            std::mem::take(&mut g.heap)
        };
        for Reverse(e) in entries {
            match e.what {
                What::Request(item) => cancel_waiting(item, book),
                What::Series(s) => s.stop(),
            }
        }
    }
}

/// A scheduled request whose instant will never come (shutdown): marked so, then dropped,
/// which runs its root job here; the job finds the mark and resolves its handle `Cancelled`
/// (`lifecycle::run_root`). If the handle cancelled it first, the job is a tombstone.
fn cancel_waiting(item: Queued, book: &RequestBook) {
    if item.ctx().unschedule() {
        book.scheduled.fetch_sub(1, Ordering::Relaxed);
    }
    drop(item);
}

impl Registry {
    /// `ThreadPool::submit_at`: `req` arrives at `at` on the pool's clock.
    pub(crate) fn submit_at<F, R>(
        this: &Arc<Self>,
        at: Duration,
        req: Request<F>,
    ) -> RequestHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let entering = this.own_worker().is_none().then(|| this.enter());
        if at <= this.hooks.now() {
            this.book.queued.fetch_add(1, Ordering::Relaxed);
            let req = Request {
                arrival: Some(at),
                ..req
            };
            return Self::queue(this, req, entering);
        }
        let (handle, item) = Self::prepare(this, req, at, true);
        this.book.scheduled.fetch_add(1, Ordering::Relaxed);
        if let Err(What::Request(item)) = this.schedule.insert(at, What::Request(item)) {
            // Shutting down since we entered (we are one of its workers): its instant will
            // never come.
            cancel_waiting(item, &this.book);
        }
        this.sleep.nudge_timer_for_schedule();
        drop(entering);
        handle
    }

    /// `ThreadPool::every`.
    pub(crate) fn every(this: &Arc<Self>, period: Duration, f: SeriesFn) -> Series {
        assert!(
            !period.is_zero(),
            "ontime: ThreadPool::every needs a period longer than zero"
        );
        let entering = this.own_worker().is_none().then(|| this.enter());
        let state = Arc::new(SeriesState {
            f,
            period,
            stopped: StdAtomicBool::new(false),
            runs: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            last: Mutex::new(None),
        });
        let first = this.hooks.now().saturating_add(period);
        if this
            .schedule
            .insert(first, What::Series(Arc::clone(&state)))
            .is_err()
        {
            state.stop();
        }
        this.sleep.nudge_timer_for_schedule();
        drop(entering);
        Series { state }
    }

    /// The timer's pass over the schedule: queues what is due.
    pub(crate) fn fire_due(this: &Arc<Self>) {
        if this.schedule.is_empty() {
            return;
        }
        // Held while due work is queued: exiting workers wait for it (module docs).
        let Some(pass) = this.gate.try_enter() else {
            return; // shutting down: `Schedule::close` resolves what waits
        };
        let now = this.hooks.now();
        for e in this.schedule.take_due(now) {
            match e.what {
                What::Request(item) => {
                    if item.ctx().release_scheduled() {
                        this.book.scheduled.fetch_sub(1, Ordering::Relaxed);
                        this.book.queued.fetch_add(1, Ordering::Relaxed);
                        this.admit_later(item);
                    }
                    // Else cancelled while waiting: dropping the item runs its tombstone.
                }
                What::Series(s) => {
                    if s.stopped.load(Ordering::SeqCst) {
                        continue;
                    }
                    let following = e.due.saturating_add(s.period);
                    let next = if SeriesState::fire(&s, this) {
                        following.max(now)
                    } else if now >= following {
                        // Still unfinished a whole period later: this tick is skipped.
                        s.skipped.fetch_add(1, Ordering::Relaxed);
                        following
                    } else {
                        // The previous run is unfinished: this tick waits for it (looked at
                        // again on the timer's next pass).
                        e.due
                    };
                    if this.schedule.insert(next, What::Series(s.clone())).is_err() {
                        s.stop();
                    }
                }
            }
        }
        drop(pass);
    }
}

type SeriesFn = Box<dyn Fn() + Send + Sync + 'static>;

struct SeriesState {
    f: SeriesFn,
    period: Duration,
    stopped: StdAtomicBool,
    runs: AtomicU64,
    skipped: AtomicU64,
    /// The latest run's handle: the next tick is skipped while it is unfinished.
    last: Mutex<Option<RequestHandle<()>>>,
}

impl SeriesState {
    /// Submits one run, unless the previous one is still queued or running (false). Called
    /// by the timer with a pass through the shutdown gate.
    fn fire(this: &Arc<Self>, registry: &Arc<Registry>) -> bool {
        let mut last = lock(&this.last);
        if last.as_ref().is_some_and(|h| !h.is_finished()) {
            return false;
        }
        let me = Arc::clone(this);
        let req = Request::new(move || (me.f)()).target(this.period);
        registry.book.queued.fetch_add(1, Ordering::Relaxed);
        // Replacing the previous handle drops it: a panic of that run goes to the pool's
        // panic handler, as for any handle nobody reads.
        *last = Some(Registry::queue(registry, req, None));
        this.runs.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

/// A periodic series started by [`ThreadPool::every`](crate::ThreadPool::every). Dropping it
/// lets the series run on (until the pool shuts down); [`cancel`](Self::cancel) stops it.
pub struct Series {
    state: Arc<SeriesState>,
}

impl Series {
    /// Stops the series: no run starts after this; a run queued or running is cancelled
    /// ([`RequestHandle::cancel`]: its loops stop at their next block boundary).
    pub fn cancel(&self) {
        self.state.stop();
        if let Some(h) = lock(&self.state.last).as_ref() {
            h.cancel();
        }
    }

    /// Whether the series was cancelled or its pool shut down.
    pub fn is_stopped(&self) -> bool {
        self.state.stopped.load(Ordering::SeqCst)
    }

    /// Runs submitted so far.
    pub fn runs(&self) -> u64 {
        self.state.runs.load(Ordering::Relaxed)
    }

    /// Ticks skipped because the previous run was still unfinished when the next tick came
    /// (a tick waits for the previous run until then).
    pub fn skipped(&self) -> u64 {
        self.state.skipped.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Series")
            .field("period", &self.state.period)
            .field("runs", &self.runs())
            .field("skipped", &self.skipped())
            .field("stopped", &self.is_stopped())
            .finish()
    }
}
