//! Futures as requests: [`Request::from_future`], [`ThreadPool::submit_future`]
//! (crate::ThreadPool::submit_future) and [`ThreadPool::spawn_future`]
//! (crate::ThreadPool::spawn_future).
//!
//! A future request is polled on the pool's workers. Its first poll is admitted like any
//! request (it starts the request: admission counters, the policy's first verdict); when a
//! poll returns `Pending`, the future rests until its waker is called, and the wake queues one
//! more poll in the admission queue as a *follow-up* ([`Queued::is_followup`]), which a policy
//! may rank (Smartpool's follow-up channel). Every poll runs with the request as the current
//! one, so loops, iterators and forks inside `poll` belong to it like anywhere else; the handle
//! resolves when the future returns `Ready` (or panics).
//!
//! # Protocol: wake versus poll ([`PollState`])
//! One state byte: `IDLE` (pending, waiting for a wake), `QUEUED` (a poll is queued), `RUNNING`
//! (a worker polls it), `NOTIFIED` (woken while being polled), `DONE`.
//! - `wake`: `IDLE` → `QUEUED` (and the waker queues a poll); `RUNNING` → `NOTIFIED`; any other
//!   state: nothing (a poll is already coming, or it is done).
//! - a poll starts only from `QUEUED` (→ `RUNNING`); after a `Pending` poll, `RUNNING` → `IDLE`,
//!   or, if that fails because it was `NOTIFIED`, → `QUEUED` and the poller queues the next
//!   poll itself.
//!
//! Invariant: at most one poll is queued or running at a time (so the future is never polled
//! concurrently and only its poller touches it), and a wake that comes during a poll is not
//! lost: it leads to exactly one more poll. Loom model:
//! `a_wake_during_a_poll_leads_to_exactly_one_more_poll`.
//!
//! # When the pool is gone
//! The future holds its pool weakly. A wake after the pool shut down (or was dropped), or the
//! last waker dropped while the future waits, resolves the handle `Cancelled` and drops the
//! future: no handle is left unresolved. Cancelling the request ([`RequestHandle::cancel`])
//! wakes it; its next poll does not run, and it resolves `Cancelled`.

use std::cell::UnsafeCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc as StdArc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use super::admission::Queued;
use super::book::RequestBook;
use super::context::RequestCtx;
use super::handle::{RequestError, RequestHandle, Slot};
use super::poll_state::PollState;
use super::Request;
use crate::job::{HeapJob, Task};
use crate::registry::Registry;
use crate::sync::{Arc, Ordering};
use crate::unwind;
use crate::worker::WorkerThread;

/// The body of a request made from a future ([`Request::from_future`]).
pub struct FromFuture<Fut>(Fut);

impl<Fut> std::fmt::Debug for FromFuture<Fut> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FromFuture(..)")
    }
}

impl<Fut> Request<FromFuture<Fut>>
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    /// A request that polls `fut` on the pool's workers until it is ready; submit it with
    /// [`ThreadPool::submit_future`](crate::ThreadPool::submit_future). The builder methods
    /// (target, class, priority, ...) apply as to any request.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::{Request, ThreadPool};
    /// let pool = ThreadPool::new(2).unwrap();
    /// let h = pool.submit_future(Request::from_future(async { 6 * 7 }).target(Duration::from_secs(1)));
    /// assert_eq!(h.wait().unwrap().value, 42);
    /// ```
    pub fn from_future(fut: Fut) -> Self {
        Request {
            f: FromFuture(fut),
            info: Default::default(),
            arrival: None,
            cancel_on_drop: false,
            complete_on_close: false,
            reject_when_late: false,
        }
    }
}

/// A future being polled as a request; its waker is an `Arc` of it.
struct FutureTask<Fut: Future> {
    poll: PollState,
    /// Touched only by whoever the state says owns it: the poller while `RUNNING`, the one
    /// who moved it to `QUEUED` until the poll starts, the one who made it `DONE`.
    fut: UnsafeCell<Option<Pin<Box<Fut>>>>,
    ctx: Arc<RequestCtx>,
    slot: Arc<Slot<Fut::Output>>,
    book: Arc<RequestBook>,
    pool: Weak<Registry>,
}

// SAFETY: the future is `Send` and only one thread touches it at a time (the state machine
// hands it over, with acquire/release orderings); the other fields are thread-safe.
unsafe impl<Fut: Future + Send> Send for FutureTask<Fut> where Fut::Output: Send {}
// SAFETY: as above.
unsafe impl<Fut: Future + Send> Sync for FutureTask<Fut> where Fut::Output: Send {}

impl<Fut> FutureTask<Fut>
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    /// The queue item of one poll (the first is the request's root; later ones follow up).
    fn item(this: &StdArc<Self>, first: bool) -> Queued {
        let me = StdArc::clone(this);
        let job = HeapJob::into_job_ref(move || Self::run_poll(&me, first));
        let item = Queued::new(Task::new(job, Some(Arc::clone(&this.ctx))), first);
        if first {
            item
        } else {
            item.into_followup()
        }
    }

    /// Queues the next poll (the state is `QUEUED` and the caller owns the future); if the
    /// pool is gone or shutting down, the request resolves `Cancelled` instead.
    fn queue_poll(this: &StdArc<Self>) {
        if let Some(r) = this.pool.upgrade() {
            if let Some(pass) = r.gate.try_enter() {
                r.admit_later(Self::item(this, false));
                drop(pass);
                return;
            }
        }
        Self::give_up(this);
    }

    /// Drops the future and resolves the request `Cancelled` (the caller owns the future).
    fn give_up(this: &Self) {
        // SAFETY: the caller owns the future (module docs).
        drop(unsafe { (*this.fut.get()).take() });
        this.poll.done();
        this.book.cancelled.fetch_add(1, Ordering::Relaxed);
        let now = this.book.now_or(this.ctx.arrival);
        this.slot
            .resolve(Err(RequestError::cancelled(this.ctx.outcome(now))));
    }

    /// One poll, on a worker (the job's body).
    fn run_poll(this: &StdArc<Self>, first: bool) {
        this.poll.start_poll();
        let wt = WorkerThread::current();
        // SAFETY: a non-null current worker pointer is valid on its own thread.
        let registry = unsafe { wt.as_ref() }.map(WorkerThread::registry);
        if first {
            if !this.ctx.try_start() {
                // Cancelled while queued: the handle is resolved; drop the future.
                // SAFETY: we own it while `RUNNING`.
                drop(unsafe { (*this.fut.get()).take() });
                this.poll.done();
                return;
            }
            this.book.unqueue();
            if let Some(r) = registry {
                // As a closure request's root job (`lifecycle::run_root`): rejected when late
                // if it asked, cancelled if the pool was closed with `CloseMode::Cancel`.
                if let Some(error) = r.unrun_verdict(&this.ctx) {
                    // SAFETY: we own the future while `RUNNING`.
                    drop(unsafe { (*this.fut.get()).take() });
                    this.poll.done();
                    this.slot.resolve_unrun(&this.ctx, r.hooks.now(), error);
                    return;
                }
                r.request_started(&this.ctx);
            }
        }
        if this.ctx.is_cancelled() {
            return Self::finish(this, registry, End::Cancelled);
        }
        let waker = Waker::from(StdArc::clone(this));
        let mut cx = Context::from_waker(&waker);
        // SAFETY: we own the future while `RUNNING`.
        let fut = unsafe { &mut *this.fut.get() };
        let polled = match fut.as_mut() {
            Some(f) => unwind::catch(|| f.as_mut().poll(&mut cx)),
            None => return,
        };
        match polled {
            Ok(Poll::Pending) if !this.ctx.is_cancelled() => {
                if this.poll.pending() {
                    Self::queue_poll(this);
                }
            }
            Ok(Poll::Pending) => Self::finish(this, registry, End::Cancelled),
            Ok(Poll::Ready(v)) => Self::finish(this, registry, End::Ready(v)),
            Err(p) if super::cancel::is_cancellation(&*p) => {
                Self::finish(this, registry, End::Cancelled)
            }
            Err(p) => Self::finish(this, registry, End::Panicked(p)),
        }
    }

    /// The future is done (ready, panicked, or its request cancelled): drop it and resolve.
    fn finish(this: &Self, registry: Option<&Registry>, end: End<Fut::Output>) {
        // SAFETY: we own the future while `RUNNING`.
        drop(unsafe { (*this.fut.get()).take() });
        this.poll.done();
        let how = this.ctx.finish();
        let outcome = match registry {
            Some(r) => r.request_finished(&this.ctx, how),
            None => {
                this.ctx.set_root_finished();
                this.ctx.outcome(this.book.now_or(this.ctx.arrival))
            }
        };
        match end {
            End::Ready(v) => super::lifecycle::resolve(&this.slot, &this.book, Ok(v), outcome, how),
            End::Panicked(p) => {
                super::lifecycle::resolve(&this.slot, &this.book, Err(p), outcome, how)
            }
            End::Cancelled => {
                this.book.cancelled.fetch_add(1, Ordering::Relaxed);
                this.slot.resolve(Err(RequestError::cancelled(outcome)));
            }
        }
    }
}

/// How a future request ended.
enum End<T> {
    Ready(T),
    Panicked(Box<dyn std::any::Any + Send>),
    /// Its request was cancelled before the future was ready.
    Cancelled,
}

impl<Fut> Wake for FutureTask<Fut>
where
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        if self.poll.wake() {
            Self::queue_poll(self);
        }
    }
}

impl<Fut: Future> Drop for FutureTask<Fut> {
    /// The last reference is gone (no waker, no queued poll) while the future waited: nobody
    /// can ever poll it again. Its handle resolves `Cancelled`.
    fn drop(&mut self) {
        if self.poll.is_done() {
            return;
        }
        self.poll.done();
        drop(self.fut.get_mut().take());
        self.book.cancelled.fetch_add(1, Ordering::Relaxed);
        let now = self.book.now_or(self.ctx.arrival);
        self.slot
            .resolve(Err(RequestError::cancelled(self.ctx.outcome(now))));
    }
}

impl Registry {
    /// `ThreadPool::submit_future`.
    pub(crate) fn submit_future<Fut>(
        this: &Arc<Self>,
        req: Request<FromFuture<Fut>>,
    ) -> RequestHandle<Fut::Output>
    where
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let entering = this.own_worker().is_none().then(|| this.enter());
        this.book.queued.fetch_add(1, Ordering::Relaxed);
        let id = this.counters.submitted.fetch_add(1, Ordering::Relaxed);
        let arrival = req.arrival.unwrap_or_else(|| this.hooks.now());
        let mut ctx = RequestCtx::new(id, req.info, arrival);
        ctx.complete_on_close = req.complete_on_close;
        ctx.reject_when_late = req.reject_when_late;
        let ctx = Arc::new(ctx);
        let slot = Arc::new(Slot::new(this.hooks.panic_reporter()));
        let task = StdArc::new(FutureTask {
            poll: PollState::new(),
            fut: UnsafeCell::new(Some(Box::pin(req.f.0))),
            ctx: Arc::clone(&ctx),
            slot: Arc::clone(&slot),
            book: Arc::clone(&this.book),
            pool: StdArc::downgrade(this),
        });
        let mut handle = RequestHandle::new(
            slot,
            this.id,
            ctx,
            Arc::clone(&this.book),
            req.cancel_on_drop,
        );
        handle.set_cancel_waker(Waker::from(StdArc::clone(&task)));
        this.admit_later(FutureTask::item(&task, true));
        drop(entering);
        handle
    }
}
