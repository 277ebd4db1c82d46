//! Admission queues: where submitted requests wait for a worker, in the policy's order.

use std::fmt;
use std::time::Duration;

use super::context::RequestCtx;
use super::view::RequestInfo;
use crate::deque::Injector;
use crate::job::Task;

/// A request (or re-scheduled work of a shed request) waiting for admission.
///
/// Queues may reorder and route these freely but must hand every one back through `pop`
/// eventually. As a last resort, dropping a `Queued` runs it on the dropping thread, so a
/// faulty queue loses no request (see [`AdmissionQueue`], "A faulty queue").
pub struct Queued {
    task: Option<Task>,
    root: bool,
    followup: bool,
}

impl Queued {
    pub(crate) fn new(task: Task, root: bool) -> Self {
        debug_assert!(
            task.ctx.is_some(),
            "queued work always belongs to a request"
        );
        Queued {
            task: Some(task),
            root,
            followup: false,
        }
    }

    /// A queued entry for request `id` with no work attached: running or dropping it does
    /// nothing. For driving an [`AdmissionQueue`] from outside a pool, as the simulator
    /// (`ontime-sim`) and queue tests do: the queue sees the same `id`, `info`, `arrival`,
    /// `deadline`, `is_root` and `is_shed` a real request would show it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ontime_core::{AdmissionQueue, FifoQueue, Queued, RequestInfo};
    /// let q = FifoQueue::new();
    /// q.push(Queued::stand_in(7, RequestInfo::default(), Duration::from_millis(1)));
    /// q.push(Queued::stand_in(8, RequestInfo::default(), Duration::from_millis(2)).into_shed_work());
    /// let first = q.pop(0, Duration::ZERO).unwrap();
    /// assert_eq!((first.id(), first.is_root(), first.is_shed()), (7, true, false));
    /// let second = q.pop(0, Duration::ZERO).unwrap();
    /// assert_eq!((second.id(), second.is_root(), second.is_shed()), (8, false, true));
    /// ```
    pub fn stand_in(id: u64, info: RequestInfo, arrival: Duration) -> Queued {
        let ctx = crate::sync::Arc::new(RequestCtx::new(id, info, arrival));
        let job = crate::job::HeapJob::into_job_ref(|| {});
        Queued::new(Task::new(job, Some(ctx)), true)
    }

    /// This entry as re-scheduled work of a request the policy shed (`is_root` false,
    /// `is_shed` true), as a pool queues the spawns of a shed request.
    pub fn into_shed_work(mut self) -> Queued {
        self.ctx().apply(super::RequestAction::Shed);
        self.root = false;
        self
    }

    pub(crate) fn into_task(mut self) -> Task {
        self.task
            .take()
            .expect("a Queued holds its task until taken")
    }

    pub(crate) fn ctx(&self) -> &RequestCtx {
        self.task
            .as_ref()
            .and_then(|t| t.ctx.as_deref())
            .expect("a Queued holds a request's task")
    }

    /// The request's identifier.
    pub fn id(&self) -> u64 {
        self.ctx().id
    }

    /// What the submitter said about the request.
    pub fn info(&self) -> &RequestInfo {
        &self.ctx().info
    }

    /// When the request arrived (pool clock).
    pub fn arrival(&self) -> Duration {
        self.ctx().arrival
    }

    /// Arrival plus target, if any.
    pub fn deadline(&self) -> Option<Duration> {
        self.info().target.map(|t| self.arrival().saturating_add(t))
    }

    /// True for a request's first admission; false for re-scheduled work of a request that
    /// the policy shed.
    pub fn is_root(&self) -> bool {
        self.root
    }

    /// True for the next poll of a future request that was woken ([`ThreadPool::submit_future`](crate::ThreadPool::submit_future)
    /// (crate::ThreadPool::submit_future)): the request has started already, and this item
    /// continues it (Smartpool's follow-up channel). A policy may rank follow-ups ahead of new
    /// requests, since finishing what has started is what meets targets.
    pub fn is_followup(&self) -> bool {
        self.followup
    }

    /// This entry as the follow-up poll of a started future request (`is_root` false,
    /// `is_followup` true).
    pub(crate) fn into_followup(mut self) -> Queued {
        self.root = false;
        self.followup = true;
        self
    }

    /// Whether the policy shed this request (its re-scheduled work is routed anew).
    pub fn is_shed(&self) -> bool {
        self.ctx().is_shed()
    }
}

impl fmt::Debug for Queued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.task.as_ref().and_then(|t| t.ctx.as_deref()) {
            Some(ctx) => f
                .debug_struct("Queued")
                .field("id", &ctx.id)
                .field("info", &ctx.info)
                .field("root", &self.root)
                .field("followup", &self.followup)
                .finish(),
            None => f.write_str("Queued(taken)"),
        }
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // SAFETY: the task came from a queue and has not run; running it here is the only
            // way to honour "nothing queued is lost" when a queue drops it.
            unsafe { task.job.execute() };
        }
    }
}

/// Where submitted requests wait, in the order a policy chooses. Made by
/// [`StealPolicy::admission_queue`](crate::StealPolicy::admission_queue), once per pool.
///
/// Contract: `push` and `pop` may be called concurrently from any thread, must not block for
/// long (a short lock is fine), and must not call into the pool. Every pushed item must be
/// returned by `pop` eventually to some worker that asks; `pop(worker, ..)` may refuse items
/// to a worker (routing), as long as some worker of the pool accepts them. `len` is a snapshot.
///
/// # A faulty queue
/// What a queue that breaks the contract can do:
/// - withhold an item: its request, and whatever waits for it (its handle, a scope waiting
///   for a shed request's job), is delayed until the pool is dropped. Then the queue is
///   dropped with the pool, and each item it still holds runs on the dropping thread,
///   detached from the pool (no counters, no policy), and its handle resolves;
/// - panic in a method: the panic is contained and reported once (the pool's panic handler),
///   and the call takes a fallback answer (`pop`: `None`; `len`: 0; `is_empty`: `false`;
///   `push`: the item, unless the queue kept it, runs at once on the pushing thread).
///
/// What it cannot do: run a request twice (`Queued` is consumed by running it), lose one,
/// kill a worker, or keep the pool alive (queued jobs hold no reference to their pool).
/// See `docs/reliability.md`.
///
/// ```
/// use std::time::Duration;
/// use ontime_core::{AdmissionQueue, FifoQueue, Request, StealPolicy, ThreadPoolBuilder};
///
/// #[derive(Debug)]
/// struct Fifo;
/// impl StealPolicy for Fifo {
///     fn name(&self) -> &str { "fifo" }
///     fn admission_queue(&self, _threads: usize) -> Box<dyn AdmissionQueue> {
///         Box::new(FifoQueue::new())
///     }
/// }
/// let pool = ThreadPoolBuilder::new().num_threads(2).policy(Fifo).build().unwrap();
/// assert_eq!(pool.submit(Request::new(|| 1)).wait().unwrap().value, 1);
/// ```
pub trait AdmissionQueue: Send + Sync + fmt::Debug {
    /// Queues a request (routing, if any, happens here).
    fn push(&self, item: Queued);
    /// The next request for `worker` at time `now`, if any.
    fn pop(&self, worker: usize, now: Duration) -> Option<Queued>;
    /// Number of waiting requests (a snapshot).
    fn len(&self) -> usize;
    /// Whether no request waits (a snapshot).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// First come, first served: one crossbeam `Injector` shared by every worker.
pub struct FifoQueue {
    queue: Injector<Queued>,
}

impl FifoQueue {
    /// An empty queue.
    pub fn new() -> Self {
        FifoQueue {
            queue: Injector::new(),
        }
    }
}

impl Default for FifoQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FifoQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FifoQueue")
            .field("len", &self.queue.len())
            .finish()
    }
}

impl AdmissionQueue for FifoQueue {
    fn push(&self, item: Queued) {
        self.queue.push(item)
    }
    fn pop(&self, _worker: usize, _now: Duration) -> Option<Queued> {
        self.queue.pop()
    }
    fn len(&self) -> usize {
        self.queue.len()
    }
}
