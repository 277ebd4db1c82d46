//! loom models of every synchronisation protocol in the runtime (`cargo xtask loom`).
//!
//! Each model runs the shipping code (latches, sleep, deque model, jobs) under loom, which
//! explores the thread interleavings and memory orderings up to the preemption bound. A lost
//! wake-up shows up as a loom deadlock; a double run or a missed write as a failed assert.

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use crate::deque::{new_local, Injector};
use crate::job::{HeapJob, JobRef, StackJob};
use crate::latch::{CoreLatch, CountLatch, Latch, SpinLatch, WakeTarget};
use crate::sleep::Sleep;

/// The owner's side of `WorkerThread::wait_until`, reduced to the latch and the sleep state
/// (no queues to search): block until `latch` is set, following the sleep protocol.
fn wait_on_latch(sleep: &Sleep, index: usize, latch: &CoreLatch) {
    while !latch.probe() {
        let ticket = sleep.prepare();
        if latch.probe() {
            sleep.cancel(ticket);
            break;
        }
        if !latch.get_sleepy() {
            sleep.cancel(ticket);
            continue;
        }
        sleep.sleep(index, ticket);
        latch.wake_up();
    }
}

struct Shared {
    sleep: Sleep,
    target: WakeTarget,
}

fn shared(workers: usize) -> Arc<Shared> {
    let sleep = Sleep::new(workers);
    let mut s = Arc::new(Shared {
        sleep,
        target: WakeTarget {
            sleep: std::ptr::null(),
            index: 0,
        },
    });
    let p: *const Sleep = &s.sleep;
    Arc::get_mut(&mut s).expect("unique").target.sleep = p;
    s
}

/// A fork that counts its runs in `runs` and returns `value`, waking `target` when done.
fn counted_job(
    runs: &Arc<AtomicUsize>,
    target: &WakeTarget,
    value: u32,
) -> StackJob<SpinLatch, impl FnOnce(bool) -> u32 + Send, u32> {
    let runs = runs.clone();
    StackJob::new(
        move |_migrated: bool| {
            runs.fetch_add(1, Ordering::Relaxed);
            value
        },
        SpinLatch::new(target),
    )
}

#[test]
fn latch_set_always_wakes_a_sleeping_owner() {
    loom::model(|| {
        let s = shared(1);
        let latch = Arc::new(SpinLatch::new(&s.target));
        let setter = {
            let latch = latch.clone();
            let _keep = s.clone();
            thread::spawn(move || {
                let _keep = _keep;
                // SAFETY: the latch is kept alive by the Arc.
                unsafe { SpinLatch::set(&*latch) };
            })
        };
        wait_on_latch(&s.sleep, 0, &latch.core);
        assert!(latch.core.probe());
        setter.join().unwrap();
    });
}

/// A thread that pushes `job` into `queue` and announces it, as a publisher does.
fn publish(s: &Arc<Shared>, queue: &Arc<Injector<u32>>, job: u32) -> thread::JoinHandle<()> {
    let (s, queue) = (s.clone(), queue.clone());
    thread::spawn(move || {
        queue.push(job);
        s.sleep.new_work(1);
    })
}

/// Worker 0's side of the sleep protocol against one queue until it pops a job: search,
/// announce itself as a sleeper, search again, block.
fn pop_or_sleep(sleep: &Sleep, queue: &Injector<u32>) -> u32 {
    loop {
        if let Some(x) = queue.pop() {
            return x;
        }
        let ticket = sleep.prepare();
        if let Some(x) = queue.pop() {
            sleep.cancel(ticket);
            return x;
        }
        sleep.sleep(0, ticket);
    }
}

#[test]
fn sleep_new_work_is_never_lost() {
    loom::model(|| {
        let s = shared(1);
        let queue = Arc::new(Injector::<u32>::new());
        let publisher = publish(&s, &queue, 7);
        let got = pop_or_sleep(&s.sleep, &queue);
        assert_eq!(got, 7);
        publisher.join().unwrap();
    });
}

/// The pool wakes without the timer (`sleep/README.md`, "The pool wakes without the timer"):
/// a timer parked on the idle gate stays there when a worker takes the pool out of "all
/// asleep", and is released by the worker when it starts a request that needs reviews
/// (`nudge_if_resting`, after making the request visible). Loom reports a deadlock if the
/// release can be missed: without the idle-gate notify in `nudge_if_resting`, or without
/// the timer's `timer_parked` flag raised before it checks whether every worker sleeps.
#[test]
fn a_timer_parked_on_the_idle_gate_is_released_by_a_request_that_needs_reviews() {
    loom::model(|| {
        let s = shared(1);
        let queue = Arc::new(Injector::<u32>::new());
        // The heartbeat timer: parks on the idle gate while every worker sleeps; returning
        // stands for its first tick.
        let timer = {
            let s = s.clone();
            thread::spawn(move || s.sleep.wait_while_idle(None, || false))
        };
        let publisher = publish(&s, &queue, 7);
        let got = pop_or_sleep(&s.sleep, &queue);
        assert_eq!(got, 7);
        // Whichever way the worker left (cancel, early return, or woken while blocked),
        // it is no longer counted as a sleeper.
        assert_eq!(s.sleep.sleepers(), 0);
        // The job is a request that needs reviews (made visible before the nudge).
        s.sleep.nudge_if_resting();
        publisher.join().unwrap();
        timer.join().unwrap();
    });
}

/// The schedule's wake-up (`request/schedule.rs`): while every worker sleeps, the timer
/// parks on the idle gate unless the schedule changed; an insertion raises the generation
/// and then notifies under the gate's lock. Loom reports a deadlock if the timer can park
/// after the insertion without being woken.
#[test]
fn a_timer_parked_on_the_idle_gate_sees_a_new_schedule_entry() {
    loom::model(|| {
        let s = shared(1);
        // The only worker is announced as a sleeper: the pool is idle.
        let _ticket = s.sleep.prepare();
        let generation = Arc::new(AtomicUsize::new(0));
        let timer = {
            let (s, g) = (s.clone(), generation.clone());
            thread::spawn(move || {
                s.sleep
                    .wait_while_idle(None, || g.load(Ordering::SeqCst) != 0)
            })
        };
        generation.fetch_add(1, Ordering::SeqCst);
        s.sleep.nudge_timer_for_schedule();
        timer.join().unwrap();
    });
}

/// A scheduled request's release (`RequestCtx::release_scheduled`, by the timer) against its
/// cancel (through the handle): exactly one wins; the queue count is raised only by a release
/// and lowered only by a start, and the handle resolves once.
#[test]
fn release_versus_cancel_of_a_scheduled_request_has_one_winner() {
    use crate::request::handle::{RequestHandle, Slot};
    loom::model(|| {
        let slot = Arc::new(Slot::<u32>::new(crate::hooks::PanicReporter::default()));
        let (ctx, book) = request_parts();
        ctx.mark_scheduled();
        book.scheduled.fetch_add(1, Ordering::Relaxed);
        let handle = RequestHandle::new(slot.clone(), 0, ctx.clone(), book.clone(), false);
        let runs = Arc::new(AtomicUsize::new(0));
        let (s, c, b, r) = (slot.clone(), ctx.clone(), book.clone(), runs.clone());
        let timer = thread::spawn(move || {
            // The timer's release, then the worker that pops the item (here, at once).
            if c.release_scheduled() {
                b.scheduled.fetch_sub(1, Ordering::Relaxed);
                b.queued.fetch_add(1, Ordering::Relaxed);
            }
            crate::request::lifecycle::run_root(None, &c, &b, &s, move || {
                r.fetch_add(1, Ordering::SeqCst);
                5
            });
        });
        let cancelled = handle.cancel();
        let result = handle.wait();
        timer.join().unwrap();
        let ran = runs.load(Ordering::SeqCst);
        match result {
            Ok(f) => assert_eq!((f.value, ran, cancelled), (5, 1, false)),
            Err(e) => assert!(e.is_cancelled() && cancelled && ran <= 1),
        }
        assert_eq!(
            book.queued.load(Ordering::Relaxed),
            0,
            "the queue count is off"
        );
        assert_eq!(
            book.scheduled.load(Ordering::Relaxed),
            0,
            "the scheduled count is off"
        );
        assert!(slot.try_take().is_none(), "resolved exactly once");
    });
}

/// `close.rs`: two workers count themselves out while a caller waits and a task awaits; the
/// last exit must release the waiter (loom reports a deadlock otherwise) and wake the task.
#[test]
fn the_last_worker_to_exit_releases_close_waiters_and_wakes_awaiters() {
    use crate::close::ExitSignal;
    loom::model(|| {
        let exit = Arc::new(ExitSignal::new(2));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let e = exit.clone();
                thread::spawn(move || e.worker_exited())
            })
            .collect();
        let flag = std::sync::Arc::new(FlagWaker(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(flag.clone());
        let ready_at_once = exit.poll(&waker);
        exit.wait();
        for w in workers {
            w.join().unwrap();
        }
        if !ready_at_once {
            assert_eq!(
                flag.0.load(Ordering::SeqCst),
                1,
                "an awaiting task was not woken"
            );
        }
        assert!(exit.poll(&waker));
    });
}

/// A future request's wake against its poll (`request/future.rs`, "Protocol"): the waker
/// publishes data and wakes while a worker polls. Either the poll saw the data, or exactly one
/// more poll is queued (by the waker, or by the poller that finds itself notified), never two.
#[test]
fn a_wake_during_a_poll_leads_to_exactly_one_more_poll() {
    use crate::request::poll_state::PollState;
    loom::model(|| {
        let state = Arc::new(PollState::new());
        let data = Arc::new(AtomicUsize::new(0));
        let (s, d) = (state.clone(), data.clone());
        let waker = thread::spawn(move || {
            d.store(1, Ordering::SeqCst);
            s.wake()
        });
        state.start_poll();
        let saw = data.load(Ordering::SeqCst) == 1;
        let requeued = state.pending();
        let queued_by_waker = waker.join().unwrap();
        let more = usize::from(requeued) + usize::from(queued_by_waker);
        assert!(more <= 1, "two polls queued at once");
        assert!(saw || more == 1, "a wake was lost");
    });
}

#[test]
fn sleep_two_sleepers_one_job_someone_takes_it() {
    loom::model(|| {
        let s = shared(2);
        let queue = Arc::new(Injector::<u32>::new());
        let taken = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(CoreLatch::new());
        let mut handles = Vec::new();
        for index in 0..2 {
            let (s, queue, taken, done) = (s.clone(), queue.clone(), taken.clone(), done.clone());
            handles.push(thread::spawn(move || loop {
                if done.probe() {
                    return;
                }
                if queue.pop().is_some() {
                    taken.fetch_add(1, Ordering::SeqCst);
                    // Like a shutdown: tell the other sleeper to stop.
                    // SAFETY: the latch lives in an Arc held by this thread.
                    unsafe { CoreLatch::set(&*done) };
                    s.sleep.wake_all();
                    return;
                }
                let ticket = s.sleep.prepare();
                if done.probe() || !queue_is_empty(&queue) {
                    s.sleep.cancel(ticket);
                    continue;
                }
                s.sleep.sleep(index, ticket);
            }));
        }
        queue.push(1);
        s.sleep.new_work(1);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(taken.load(Ordering::SeqCst), 1);
    });
}

fn queue_is_empty(q: &Injector<u32>) -> bool {
    q.len() == 0
}

#[test]
fn scope_count_latch_opens_after_every_job_and_sees_their_writes() {
    loom::model(|| {
        let s = shared(1);
        let latch = Arc::new(CountLatch::new(&s.target));
        let data = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let mut jobs = Vec::new();
        for i in 0..2 {
            latch.increment();
            let (latch, data, keep) = (latch.clone(), data.clone(), s.clone());
            jobs.push(thread::spawn(move || {
                let _keep = keep;
                data[i].store(1, Ordering::Relaxed);
                // SAFETY: the latch is kept alive by the Arc.
                unsafe { CountLatch::set(&*latch) };
            }));
        }
        // The scope body returns: drop its own count, then wait.
        // SAFETY: as above.
        unsafe { CountLatch::set(&*latch) };
        wait_on_latch(&s.sleep, 0, &latch.latch.core);
        assert_eq!(
            data[0].load(Ordering::Relaxed) + data[1].load(Ordering::Relaxed),
            2
        );
        for j in jobs {
            j.join().unwrap();
        }
    });
}

#[test]
fn promoted_fork_runs_exactly_once_whether_stolen_or_popped() {
    loom::model(|| {
        let s = shared(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let (local, stealer) = new_local::<JobRef>();
        let job = counted_job(&runs, &s.target, 5u32);
        // SAFETY: `job` stays in this frame, unmoved, until it has run (checked below).
        let job_ref = unsafe { job.as_job_ref() };
        // Promotion: the owner makes the fork visible to thieves.
        local.push(job_ref);
        s.sleep.new_work(1);
        let thief = {
            let keep = s.clone();
            thread::spawn(move || {
                let _keep = keep;
                if let Some(j) = stealer.steal() {
                    // SAFETY: a stolen JobRef has not run; its owner waits for the latch.
                    unsafe { j.execute() };
                }
            })
        };
        // End of the owner's join: take it back, or wait for the thief.
        let result = match local.pop() {
            Some(j) => {
                assert_eq!(j.id(), job_ref.id());
                // SAFETY: we removed the only JobRef.
                unsafe { job.run_inline() }
            }
            None => {
                wait_on_latch(&s.sleep, 0, &job.latch.core);
                // SAFETY: the latch is set.
                unsafe { job.take_result() }
            }
        };
        assert_eq!(result, 5);
        thief.join().unwrap();
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    });
}

#[test]
fn heap_job_spawned_into_queue_runs_once() {
    loom::model(|| {
        let runs = Arc::new(AtomicUsize::new(0));
        let q = Arc::new(Injector::<JobRef>::new());
        let r = runs.clone();
        q.push(HeapJob::into_job_ref(move || {
            r.fetch_add(1, Ordering::Relaxed);
        }));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || {
                    if let Some(j) = q.pop() {
                        // SAFETY: popped once from the queue.
                        unsafe { j.execute() };
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    });
}

/// A request outcome with every time at zero (the handle models only check ids and values).
fn outcome(id: u64) -> crate::request::Outcome {
    let zero = std::time::Duration::ZERO;
    crate::request::Outcome {
        id,
        arrival: zero,
        start: zero,
        finish: zero,
        target: None,
    }
}

/// A fresh request's context and a book with a manual clock, for handle models.
fn request_parts() -> (
    Arc<crate::request::context::RequestCtx>,
    Arc<crate::request::book::RequestBook>,
) {
    let ctx = crate::request::context::RequestCtx::new(
        0,
        crate::request::RequestInfo::default(),
        std::time::Duration::ZERO,
    );
    let clock: std::sync::Arc<dyn crate::Clock> = std::sync::Arc::new(crate::ManualClock::new());
    let book = crate::request::book::RequestBook::new(clock);
    (Arc::new(ctx), Arc::new(book))
}

/// The cancel-versus-admit protocol (`request/cancel.rs`): a worker runs the request's root
/// job (`lifecycle::run_root`, detached: the pool's bookkeeping is not part of the race)
/// while the submitter cancels it. Exactly one outcome: it ran and kept its value, it ran
/// and resolved `Cancelled` (cancelled while running), or it never ran and resolved
/// `Cancelled`; the handle resolves once and the queue count comes back to zero.
#[test]
fn cancel_versus_admit_runs_the_request_or_resolves_it_cancelled_never_both() {
    use crate::request::handle::{RequestHandle, Slot};
    loom::model(|| {
        let slot = Arc::new(Slot::<u32>::new(crate::hooks::PanicReporter::default()));
        let (ctx, book) = request_parts();
        book.queued.fetch_add(1, Ordering::Relaxed);
        let handle = RequestHandle::new(slot.clone(), 0, ctx.clone(), book.clone(), false);
        let runs = Arc::new(AtomicUsize::new(0));
        let (s, c, b, r) = (slot.clone(), ctx.clone(), book.clone(), runs.clone());
        let worker = thread::spawn(move || {
            crate::request::lifecycle::run_root(None, &c, &b, &s, move || {
                r.fetch_add(1, Ordering::SeqCst);
                11
            });
        });
        let cancelled = handle.cancel();
        let result = handle.wait();
        worker.join().unwrap();
        let ran = runs.load(Ordering::SeqCst);
        assert!(ran <= 1, "the closure ran twice");
        match result {
            Ok(f) => {
                assert!(
                    !cancelled,
                    "a cancel that took effect left the value standing"
                );
                assert_eq!((f.value, ran), (11, 1));
            }
            Err(e) => {
                assert!(
                    e.is_cancelled() && cancelled,
                    "resolved cancelled without a cancel"
                );
            }
        }
        assert_eq!(
            book.queued.load(Ordering::Relaxed),
            0,
            "the queue count is off"
        );
        let counted = book.cancelled.load(Ordering::Relaxed);
        assert_eq!(counted, u64::from(cancelled), "cancellations miscounted");
        assert!(slot.try_take().is_none(), "resolved exactly once");
    });
}

#[test]
fn request_handle_wait_returns_the_completed_value_exactly_once() {
    use crate::request::handle::Slot;
    loom::model(|| {
        let slot = Arc::new(Slot::<u32>::new(crate::hooks::PanicReporter::default()));
        let s = slot.clone();
        let root = thread::spawn(move || {
            s.complete(Ok(42), outcome(7));
        });
        // A poller may see it early or not at all, but never twice.
        let early = slot.try_take();
        let v = match early {
            Some(v) => v,
            None => slot.wait(),
        };
        let f = v.unwrap_or_else(|_| panic!("no panic was stored"));
        assert_eq!((f.value, f.outcome.id), (42, 7));
        assert!(slot.try_take().is_none());
        root.join().unwrap();
    });
}

/// A waker that records its wakes (loom's atomics, so the model sees them).
struct FlagWaker(AtomicUsize);

impl std::task::Wake for FlagWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn an_awaited_handle_is_woken_whichever_of_completion_and_poll_comes_first() {
    use crate::request::handle::Slot;
    loom::model(|| {
        let slot = Arc::new(Slot::<u32>::new(crate::hooks::PanicReporter::default()));
        let s = slot.clone();
        let root = thread::spawn(move || {
            s.complete(Ok(5), outcome(1));
        });
        let flag = std::sync::Arc::new(FlagWaker(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(flag.clone());
        let first = slot.poll_take(&waker);
        root.join().unwrap();
        let v = match first {
            // Ready at once: the completion came first, and nobody was to be woken.
            Some(v) => {
                assert_eq!(flag.0.load(Ordering::SeqCst), 0);
                v
            }
            // Pending: the completion came after the registration and must have woken it.
            None => {
                assert_eq!(flag.0.load(Ordering::SeqCst), 1, "a wake-up was lost");
                slot.poll_take(&waker).expect("woken, so ready")
            }
        };
        let f = v.unwrap_or_else(|_| panic!("no panic was stored"));
        assert_eq!((f.value, f.outcome.id), (5, 1));
        assert!(slot.try_take().is_none(), "the value is taken once");
    });
}

#[test]
fn a_dropped_handle_s_panic_is_reported_once_whichever_of_drop_and_completion_comes_first() {
    use crate::request::handle::Slot;
    loom::model(|| {
        let reports = Arc::new(AtomicUsize::new(0));
        let r = reports.clone();
        let reporter = crate::hooks::PanicReporter::new(Some(std::sync::Arc::new(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
        })));
        let slot = Arc::new(Slot::<u32>::new(reporter));
        let (ctx, book) = request_parts();
        let handle = crate::request::handle::RequestHandle::new(slot.clone(), 0, ctx, book, false);
        let s = slot.clone();
        let root = thread::spawn(move || {
            s.complete(Err(Box::new("boom")), outcome(3));
        });
        drop(handle);
        root.join().unwrap();
        assert_eq!(reports.load(Ordering::SeqCst), 1, "reported exactly once");
        assert!(slot.try_take().is_none(), "nothing left behind");
    });
}

#[test]
fn stop_sharing_hands_a_stolen_job_back_and_it_runs_exactly_once() {
    use crate::job::Task;
    use crate::request::context::RequestCtx;
    use crate::request::{RequestAction, RequestInfo};
    use std::time::Duration;
    loom::model(|| {
        let s = shared(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let ctx = Arc::new(RequestCtx::new(1, RequestInfo::default(), Duration::ZERO));
        let returned = Arc::new(Injector::<Task>::new());
        let (local, stealer) = new_local::<Task>();
        let job = counted_job(&runs, &s.target, 9u32);
        // SAFETY: `job` stays in this frame, unmoved, until it has run (checked below).
        let job_ref = unsafe { job.as_job_ref() };
        // Promotion while the request still shares.
        local.push(Task::new(job_ref, Some(ctx.clone())));
        s.sleep.new_work(1);
        // The timer's verdict, concurrently.
        let timer = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.apply(RequestAction::StopSharing))
        };
        // A thief: runs shareable work, hands the rest back to worker 0 and wakes it.
        let thief = {
            let (keep, returned) = (s.clone(), returned.clone());
            thread::spawn(move || {
                if let Some(t) = stealer.steal() {
                    if t.shareable() {
                        // SAFETY: a stolen job has not run; its owner waits for the latch.
                        unsafe { t.job.execute() };
                    } else {
                        returned.push(t);
                        keep.sleep.wake_worker(0);
                    }
                }
            })
        };
        // The owner's end of join: its own deque, then handed-back work, then sleep.
        let result = match local.pop() {
            Some(t) => {
                assert_eq!(t.job.id(), job_ref.id());
                // SAFETY: we removed the only reference.
                unsafe { job.run_inline() }
            }
            None => {
                let latch = &job.latch.core;
                while !latch.probe() {
                    if let Some(t) = returned.pop() {
                        // SAFETY: handed back unrun; we are its owner.
                        unsafe { t.job.execute() };
                        continue;
                    }
                    let ticket = s.sleep.prepare();
                    if latch.probe() {
                        s.sleep.cancel(ticket);
                        break;
                    }
                    if let Some(t) = returned.pop() {
                        s.sleep.cancel(ticket);
                        // SAFETY: as above.
                        unsafe { t.job.execute() };
                        continue;
                    }
                    if !latch.get_sleepy() {
                        s.sleep.cancel(ticket);
                        continue;
                    }
                    s.sleep.sleep(0, ticket);
                    latch.wake_up();
                }
                // SAFETY: the latch is set.
                unsafe { job.take_result() }
            }
        };
        assert_eq!(result, 9);
        thief.join().unwrap();
        timer.join().unwrap();
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    });
}

#[test]
fn a_caller_racing_shutdown_is_refused_or_its_job_is_drained() {
    use crate::gate::Gate;
    loom::model(|| {
        let gate = Arc::new(Gate::new());
        let queue = Arc::new(Injector::<u32>::new());
        let (g, q) = (gate.clone(), queue.clone());
        let caller = thread::spawn(move || match g.try_enter() {
            Some(pass) => {
                q.push(7);
                drop(pass);
                true
            }
            None => false,
        });
        // Shutdown, then the exiting worker's drain (`WorkerThread::drain_before_exit`).
        assert!(gate.close());
        let mut drained = false;
        loop {
            let quiet = gate.is_quiet();
            match queue.pop() {
                Some(7) => drained = true,
                Some(_) => unreachable!(),
                None if quiet => break,
                None => thread::yield_now(),
            }
        }
        let accepted = caller.join().unwrap();
        assert_eq!(
            accepted, drained,
            "an accepted job was lost, or a refused one ran"
        );
    });
}

#[test]
fn a_worker_waiting_on_a_handle_gets_the_value_once_and_its_latch_is_never_used_after_free() {
    use crate::latch::CrossLatch;
    use crate::request::handle::Slot;
    loom::model(|| {
        let slot = Arc::new(Slot::<u32>::new(crate::hooks::PanicReporter::default()));
        let sleep = Arc::new(Sleep::new(1));
        let s = slot.clone();
        let root = thread::spawn(move || {
            s.complete(Ok(9), outcome(3));
        });
        // The waiting worker (`Slot::wait_on_worker`), its wait reduced to the latch protocol
        // of `WorkerThread::wait_until`: announce, re-check, block until woken.
        let v = {
            let latch = CrossLatch::new(&sleep, 0);
            // SAFETY: `latch` lives until `take_after_latch` returns, below.
            match unsafe { slot.take_or_register(&latch) } {
                Some(v) => v,
                None => {
                    while !latch.core.probe() {
                        let ticket = sleep.prepare();
                        if latch.core.probe() || !latch.core.get_sleepy() {
                            sleep.cancel(ticket);
                            continue;
                        }
                        sleep.sleep(0, ticket);
                        latch.core.wake_up();
                    }
                    slot.take_after_latch()
                }
            }
        };
        let f = v.unwrap_or_else(|_| panic!("no panic was stored"));
        assert_eq!((f.value, f.outcome.id), (9, 3));
        assert!(slot.try_take().is_none(), "the value is taken exactly once");
        root.join().unwrap();
    });
}

/// The timer's review set drops a request once only bookkeeping holds it
/// (`RequestCtx::only_bookkeeping_left`), racing the request's handle being dropped: a request
/// with a task still alive never looks finished, whatever the interleaving, and one whose last
/// task is gone does.
#[test]
fn a_request_with_a_live_task_stays_reviewed_while_its_handle_drops() {
    use crate::request::context::RequestCtx;
    use crate::request::RequestInfo;
    use std::time::Duration;
    loom::model(|| {
        // The set's reference, the handle's, and one live task's.
        let set = Arc::new(RequestCtx::new(1, RequestInfo::default(), Duration::ZERO));
        let handle = set.clone();
        let task = set.clone();
        let dropper = thread::spawn(move || {
            handle.release_handle();
            drop(handle);
        });
        let looked_done = RequestCtx::only_bookkeeping_left(&set);
        dropper.join().unwrap();
        assert!(!looked_done, "a request with a live task left the reviews");
        drop(task);
        assert!(RequestCtx::only_bookkeeping_left(&set));
    });
}
