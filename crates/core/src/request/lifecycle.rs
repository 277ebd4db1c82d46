//! A request's life in its pool: submission, admission bookkeeping, completion, and the
//! timer's reviews of running requests.
//!
//! # No reference cycle through the queue
//! A queued request's job does not hold its pool: the pool owns its admission queue, so a
//! job holding the pool would keep a pool whose queue never hands the item back alive
//! forever. The job finds its pool through the worker that runs it (`WorkerThread::current`,
//! checked against the pool's id). If it runs anywhere else, which happens only when the
//! queue dropped the item (`Queued`'s drop runs it on the dropping thread, for example when
//! the pool itself is dropped with the item still inside a faulty queue), it runs detached:
//! the closure runs, the handle resolves, and only the pool's counters miss it.

use super::admission::Queued;
use super::book::RequestBook;
use super::cancel;
use super::context::{Finish, RequestCtx};
use super::handle::{RequestError, RequestHandle, Slot};
use super::view::{Outcome, RequestAction};
use super::{Rejected, Request};
use crate::gate::Pass;
use crate::job::{HeapJob, Task};
use crate::registry::Registry;
use crate::sync::{lock, Arc, Ordering};
use crate::unwind;
use crate::worker::WorkerThread;

impl Registry {
    /// Submits a request: wraps its closure in a job that records its outcome, and queues it.
    /// Panics if called from outside the pool after shutdown (`entry.rs`, "Shutdown").
    pub(crate) fn submit<F, R>(this: &Arc<Self>, req: Request<F>) -> RequestHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let entering = this.own_worker().is_none().then(|| this.enter());
        this.book.queued.fetch_add(1, Ordering::Relaxed);
        Self::queue(this, req, entering)
    }

    /// Submits `req` if fewer than `max_queued` requests wait to start; else gives it back.
    /// The count is taken with a compare-and-swap, so concurrent callers never push it past
    /// the bound.
    pub(crate) fn try_submit<F, R>(
        this: &Arc<Self>,
        req: Request<F>,
    ) -> Result<RequestHandle<R>, Rejected<Request<F>>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let entering = this.own_worker().is_none().then(|| this.enter());
        let room = this
            .book
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| {
                (q < this.max_queued).then_some(q + 1)
            })
            .is_ok();
        if !room {
            this.counters.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Rejected(req));
        }
        Ok(Self::queue(this, req, entering))
    }

    /// Queues `req`, already counted in `queued` (its root job uncounts it when it starts, on
    /// a worker or detached after shutdown), holding the caller's pass through the shutdown
    /// gate (`None` on a worker) until it is queued.
    pub(crate) fn queue<F, R>(
        this: &Arc<Self>,
        req: Request<F>,
        entering: Option<Pass<'_>>,
    ) -> RequestHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let arrival = req.arrival.unwrap_or_else(|| this.hooks.now());
        let (handle, item) = Self::prepare(this, req, arrival, false);
        this.admit_later(item);
        drop(entering);
        handle
    }

    /// Makes `req` a request of this pool arriving at `arrival`: its handle, and its root job
    /// as a queue item. `scheduled`: it waits for its instant in the schedule
    /// (`schedule.rs`) before it is queued.
    pub(crate) fn prepare<F, R>(
        this: &Arc<Self>,
        req: Request<F>,
        arrival: std::time::Duration,
        scheduled: bool,
    ) -> (RequestHandle<R>, Queued)
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let id = this.counters.submitted.fetch_add(1, Ordering::Relaxed);
        let mut ctx = RequestCtx::new(id, req.info, arrival);
        ctx.complete_on_close = req.complete_on_close;
        ctx.reject_when_late = req.reject_when_late;
        if scheduled {
            ctx.mark_scheduled();
        }
        let ctx = Arc::new(ctx);
        let slot = Arc::new(Slot::new(this.hooks.panic_reporter()));
        let book = Arc::clone(&this.book);
        let handle = RequestHandle::new(
            Arc::clone(&slot),
            this.id,
            Arc::clone(&ctx),
            Arc::clone(&book),
            req.cancel_on_drop,
        );
        let pool = this.id;
        let root_ctx = Arc::clone(&ctx);
        let f = req.f;
        let job = HeapJob::into_job_ref(move || {
            let wt = WorkerThread::current();
            // SAFETY: a non-null current worker pointer is valid on its own thread.
            let on = unsafe { wt.as_ref() }
                .filter(|wt| wt.registry().id == pool)
                .map(|wt| (wt.registry(), wt.index()));
            run_root(on, &root_ctx, &book, &slot, f);
        });
        (handle, Queued::new(Task::new(job, Some(ctx)), true))
    }

    /// Whether a request that won its start resolves unrun instead, and with which error: it
    /// can no longer meet its target and it (or the policy) asked to be rejected rather than
    /// run late, or the pool was closed with `CloseMode::Cancel` (`close.rs`). Counts it and
    /// moves its state on; the caller resolves it (`Slot::resolve_unrun`). For closure and
    /// future requests alike.
    pub(crate) fn unrun_verdict(&self, ctx: &RequestCtx) -> Option<fn(Outcome) -> RequestError> {
        if self.rejects(ctx) {
            self.counters.rejected.fetch_add(1, Ordering::Relaxed);
            ctx.finished_unrun();
            return Some(RequestError::rejected);
        }
        if self.cancels_on_close(ctx) {
            self.book.cancelled.fetch_add(1, Ordering::Relaxed);
            ctx.close_cancelled();
            return Some(RequestError::cancelled);
        }
        None
    }

    /// Bookkeeping when a worker admits a request: start time, the policy's first verdict,
    /// and registration for the timer's reviews.
    pub(crate) fn request_started(&self, ctx: &Arc<RequestCtx>) {
        let now = self.hooks.now();
        ctx.set_start(now);
        if let Some(wt) = self.own_worker() {
            ctx.set_home(wt.index());
        }
        self.counters.admitted.fetch_add(1, Ordering::Relaxed);
        let view = ctx.view(now, self.num_threads(), self.queued(), self.running());
        self.apply(ctx, self.hooks.review(&view));
        if self.hooks.reviews_running() {
            lock(&self.active).insert(Arc::clone(ctx));
            // The timer may be resting (every worker busy, nothing to review until now).
            self.sleep.nudge_if_resting();
        }
    }

    /// Bookkeeping when the root closure has returned: a cancelled request counts as
    /// completed, but neither met nor missed (`resolve` counts it cancelled).
    pub(crate) fn request_finished(&self, ctx: &RequestCtx, how: Finish) -> Outcome {
        let finish = self.hooks.now();
        ctx.set_root_finished();
        let outcome = ctx.outcome(finish);
        let c = &self.counters;
        if how == Finish::Cancelled {
        } else if outcome.met() {
            c.met.fetch_add(1, Ordering::Relaxed);
        } else {
            c.missed.fetch_add(1, Ordering::Relaxed);
        }
        c.completed.fetch_add(1, Ordering::Relaxed);
        outcome
    }

    /// Requests submitted and not yet admitted (`RequestView::queued`, `PoolStats::queued`):
    /// the book's count, so no call into the policy's queue.
    fn queued(&self) -> usize {
        self.book.queued.load(Ordering::Relaxed)
    }

    /// Requests admitted whose closure has not returned yet (`RequestView::running`). Two
    /// relaxed loads: a review may count a request that is just starting or finishing, which
    /// a load estimate tolerates.
    fn running(&self) -> usize {
        let c = &self.counters;
        let admitted = c.admitted.load(Ordering::Relaxed);
        let completed = c.completed.load(Ordering::Relaxed);
        usize::try_from(admitted.saturating_sub(completed)).unwrap_or(usize::MAX)
    }

    /// Applies a policy verdict and counts the verdicts that changed something.
    fn apply(&self, ctx: &RequestCtx, action: RequestAction) {
        use RequestAction::*;
        if ctx.apply(action) {
            let counter = match action {
                StopSharing | Deprioritize => &self.counters.stop_sharing,
                Shed => &self.counters.shed,
                Continue => return,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the timer must keep ticking for running requests (the policy reviews them and
    /// some are running).
    pub(crate) fn needs_reviews(&self) -> bool {
        self.hooks.reviews_running() && !lock(&self.active).is_empty()
    }

    /// The timer's pass over running requests: drop those with no work left alive, review
    /// the others.
    pub(crate) fn review_running(&self) {
        if !self.hooks.reviews_running() {
            return;
        }
        let mut active = lock(&self.active);
        if active.is_empty() {
            self.steer.publish(None);
            return;
        }
        let now = self.hooks.now();
        let n = self.num_threads();
        let (queued, running) = (self.queued(), self.running());
        // The most urgent request this pass (`steer.rs`, which says where steering applies).
        let steering = self.steer.enabled();
        let mut most: Option<(f64, u64)> = None;
        active.retain(|_, ctx| {
            // Only the set itself (and the handle, if alive) still holds it: every task of
            // the request is done (loom model `a_request_with_a_live_task_stays_reviewed_
            // while_its_handle_drops`).
            if RequestCtx::only_bookkeeping_left(ctx) {
                return false;
            }
            let view = ctx.view(now, n, queued, running);
            let action = self.hooks.review(&view);
            self.apply(ctx, action);
            if steering && action == RequestAction::Continue && ctx.is_live(|| now) {
                if let Some(u) = self.hooks.urgency(&view) {
                    if most.map_or(true, |(m, _)| u > m) {
                        most = Some((u, ctx.id));
                    }
                }
            }
            true
        });
        self.steer.publish(most.map(|(_, id)| id));
    }
}

/// The body of a request's root job, run by `worker` of `registry` (`on`), or detached
/// (`None`, see the module docs).
pub(crate) fn run_root<F, R>(
    on: Option<(&Registry, usize)>,
    ctx: &Arc<RequestCtx>,
    book: &RequestBook,
    slot: &Slot<R>,
    f: F,
) where
    F: FnOnce() -> R,
{
    // Cancelled while queued: the canceller resolved the handle and uncounted it
    // (`cancel.rs`); this job is a tombstone. Unless the pool shut down before its instant
    // (`schedule.rs`): then it resolves the handle itself.
    if !ctx.try_start() {
        if ctx.take_unscheduled() {
            book.cancelled.fetch_add(1, Ordering::Relaxed);
            slot.resolve_unrun(ctx, book.now_or(ctx.arrival), RequestError::cancelled);
        }
        return;
    }
    book.unqueue();
    match on {
        Some((r, worker)) => {
            if let Some(error) = r.unrun_verdict(ctx) {
                slot.resolve_unrun(ctx, r.hooks.now(), error);
                return;
            }
            r.request_started(ctx);
            slot.set_running_on(Some(worker));
            let result = unwind::catch(f);
            slot.set_running_on(None);
            let finish = ctx.finish();
            let outcome = r.request_finished(ctx, finish);
            resolve(slot, book, result, outcome, finish);
        }
        None => run_detached(book, ctx, f, slot),
    }
}

/// Resolves a request whose root closure returned (or unwound). A cancelled request resolves
/// `Cancelled` unless its closure panicked for a reason of its own: a real panic is never
/// hidden, and the cancellation unwind (`cancel::raise`) is never reported as one.
pub(crate) fn resolve<R>(
    slot: &Slot<R>,
    book: &RequestBook,
    result: std::thread::Result<R>,
    outcome: Outcome,
    how: Finish,
) {
    // Only a cancelled request's work unwinds with the cancellation payload, and
    // cancellation is final, so `Done` never comes with it.
    match (how, result) {
        (Finish::Done, result) => slot.complete(result, outcome),
        (Finish::Cancelled, Err(p)) if !cancel::is_cancellation(&*p) => {
            book.cancelled.fetch_add(1, Ordering::Relaxed);
            slot.complete(Err(p), outcome)
        }
        (Finish::Cancelled, _) => {
            book.cancelled.fetch_add(1, Ordering::Relaxed);
            slot.resolve(Err(RequestError::cancelled(outcome)));
        }
    }
}

/// Runs a request whose pool is gone or out of reach (see the module docs): no counters, no
/// policy; times from the pool's clock (a panicking clock gives the arrival time).
#[cold]
fn run_detached<F, R>(book: &RequestBook, ctx: &RequestCtx, f: F, slot: &Slot<R>)
where
    F: FnOnce() -> R,
{
    ctx.set_start(book.now_or(ctx.arrival));
    let result = unwind::catch(f);
    ctx.set_root_finished();
    let finish = ctx.finish();
    let outcome = ctx.outcome(book.now_or(ctx.arrival));
    resolve(slot, book, result, outcome, finish);
}
