//! The discrete-event simulation of an ontime pool serving a stream of loop requests, with
//! the real policy object deciding. The mechanism simulated, and where it departs from the
//! real pool, is described in `docs/simulator.md`; the rules below cite the real code they
//! follow.
//!
//! # Invariants
//! - Every item of every request runs exactly once: a range is either in one frame, in one
//!   deque, in one returned queue, or in one starting worker's `incoming` (`Run::items_run`
//!   counts them; the conservation test checks it).
//! - A frame completes only when its range is done, none of its forks is left in its
//!   worker's deque, and none is outstanding elsewhere, so a request finishes when its last
//!   item has run (join semantics).
//! - Frames only complete from the top of their stack (a nested frame must finish before
//!   the frame below it resumes), as on a real worker's call stack.
//! - Time only moves forward through the event queue; ties are broken by insertion order, so
//!   a configuration and seed give one result.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use ontime_core::{
    AdmissionQueue, IdleOrder, IdleView, Queued, RequestAction, RequestFlags, RequestInfo,
    RequestView, ShareView, StealPolicy,
};

use crate::model::{initial_splits, Fork, Frame, Incoming, Mode, Nesting, Req, Worker, Workers, W};
use crate::run::{Counters, Run};
use crate::{Arrival, Costs, Rng, Shape};

/// The real pool's bounds on nesting (`worker.rs`): queued tasks nested on one worker (32
/// with the default 2 MiB stack) and nested yields.
const MAX_ADMIT_DEPTH: u32 = 32;
const MAX_YIELD_NESTING: u32 = 4;
/// Splits a loop half makes eagerly after a split on demand (`forall.rs`, `SPARE_SPLITS`).
const SPARE_SPLITS: u32 = 1;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrive(usize),
    /// A running worker's scheduled block boundary, valid for one generation.
    Boundary(W, u64),
    Search(W),
    Start(W),
    /// A spinning worker that still found nothing goes to sleep.
    Doze(W, u64),
    Tick,
}

/// Which workers are in which state, kept in step with the workers (`Engine::refresh`) so
/// that the hot questions (who spins, who sleeps, who has shared work, who can be asked to
/// promote) cost a set lookup instead of a scan of every worker.
struct Index {
    asleep: Workers,
    /// Idle workers with no search scheduled, spinning / asleep.
    spinners: Workers,
    dozers: Workers,
    /// Workers with shared forks.
    stealable: Workers,
    /// Running workers whose heartbeat flag is down.
    askable: Workers,
}

pub(crate) struct Engine<'a> {
    index: Index,
    policy: &'a dyn StealPolicy,
    queue: Box<dyn AdmissionQueue>,
    reviews: bool,
    /// `StealPolicy::rejects_late`: a request that cannot meet its target when a worker
    /// pops it is rejected unrun (`RequestInfo::cannot_meet`, the pool's own rule).
    rejects: bool,
    costs: Costs,
    item: u64,
    shape: Shape,
    now: u64,
    seq: u64,
    events: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    reqs: Vec<Req>,
    workers: Vec<Worker>,
    /// Requests admitted and not finished, reviewed at every tick.
    active: Vec<usize>,
    /// The most urgent request of the last review pass (core's `steer.rs`).
    steer: Option<usize>,
    finished: usize,
    /// Requests admitted (`PoolStats::admitted`).
    started: usize,
    last_publication: u64,
    rng: Rng,
    target: u64,
    counters: Counters,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl<'a> Engine<'a> {
    pub(crate) fn new(
        policy: &'a dyn StealPolicy,
        workers: usize,
        stream: &[Arrival],
        target: Duration,
        shape: Shape,
        costs: Costs,
        seed: u64,
    ) -> Result<Self, String> {
        policy.validate(workers)?;
        let reqs = stream
            .iter()
            .map(|a| Req {
                items: a.items.max(1),
                arrival: ns(a.at),
                start: None,
                finish: None,
                rejected: false,
                home: 0,
                flags: RequestFlags::default(),
                done: 0,
                total: 0,
                runners: Vec::new(),
            })
            .collect();
        let mut e = Engine {
            index: Index {
                asleep: Workers::with_capacity(workers),
                spinners: Workers::with_capacity(workers),
                dozers: Workers::with_capacity(workers),
                stealable: Workers::with_capacity(workers),
                askable: Workers::with_capacity(workers),
            },
            queue: policy.admission_queue(workers),
            reviews: policy.reviews_running(),
            steer: None,
            rejects: policy.rejects_late(),
            policy,
            item: ns(costs.item).max(1),
            costs,
            shape,
            now: 0,
            seq: 0,
            events: BinaryHeap::new(),
            reqs,
            workers: (0..workers).map(|_| Worker::new()).collect(),
            active: Vec::new(),
            finished: 0,
            started: 0,
            last_publication: 0,
            rng: Rng::new(seed ^ 0x51_u64.wrapping_mul(0x9e37_79b9)),
            target: ns(target),
            counters: Counters::default(),
        };
        for w in 0..workers {
            e.refresh(w);
        }
        // Arrivals are queued one at a time (each schedules the next), so the event queue
        // holds about one event per worker rather than the whole stream.
        if let Some(a) = stream.first() {
            e.at(ns(a.at), Ev::Arrive(0));
        }
        let first = e.heartbeat_gap();
        e.at(first, Ev::Tick);
        Ok(e)
    }

    /// Puts `w` in the index sets its state says it belongs to.
    fn refresh(&mut self, w: W) {
        let wk = &self.workers[w];
        let ix = &mut self.index;
        let set = |s: &mut Workers, on: bool| s.set(w, on);
        set(&mut ix.asleep, wk.mode == Mode::Idle { sleeping: true });
        set(
            &mut ix.spinners,
            wk.mode == (Mode::Idle { sleeping: false }) && !wk.search_pending,
        );
        set(
            &mut ix.dozers,
            wk.mode == (Mode::Idle { sleeping: true }) && !wk.search_pending,
        );
        set(&mut ix.stealable, wk.shared > 0);
        set(&mut ix.askable, wk.mode == Mode::Running && !wk.flag);
    }

    fn set_mode(&mut self, w: W, mode: Mode) {
        self.workers[w].mode = mode;
        self.refresh(w);
    }

    fn set_flag(&mut self, w: W, on: bool) {
        self.workers[w].flag = on;
        self.refresh(w);
    }

    fn at(&mut self, t: u64, ev: Ev) {
        self.seq += 1;
        self.events.push(Reverse((t, self.seq, ev)));
    }

    fn heartbeat_gap(&mut self) -> u64 {
        let j = ns(self.costs.jitter);
        let jitter = if j == 0 {
            0
        } else {
            self.rng.next_u64() % (j + 1)
        };
        ns(self.costs.heartbeat).max(1) + jitter
    }

    /// Runs every request to completion.
    pub(crate) fn run(mut self) -> Run {
        // No schedule can take longer than every item run serially after the last arrival,
        // with every transfer paid once per item; past that the simulated pool hung.
        let per_item =
            self.item + ns(self.costs.steal) + ns(self.costs.admit) + ns(self.costs.wake);
        let work: u64 = self.reqs.iter().map(|r| r.items).sum();
        let last = self.reqs.iter().map(|r| r.arrival).max().unwrap_or(0);
        let horizon = last + work.saturating_mul(per_item) + 1_000_000_000;
        while self.finished < self.reqs.len() {
            let Some(Reverse((t, _, ev))) = self.events.pop() else {
                unreachable!("the timer always has its next tick queued");
            };
            assert!(
                t <= horizon,
                "the simulated pool hung: {} of {} requests finished by {} ns",
                self.finished,
                self.reqs.len(),
                t
            );
            debug_assert!(t >= self.now, "time went backwards");
            self.now = t;
            match ev {
                Ev::Arrive(r) => {
                    if let Some(next) = self.reqs.get(r + 1) {
                        let at = next.arrival.max(self.now);
                        self.at(at, Ev::Arrive(r + 1));
                    }
                    self.arrive(r);
                }
                Ev::Boundary(w, gen) => {
                    if self.workers[w].gen == gen && self.workers[w].mode == Mode::Running {
                        self.workers[w].next_at = u64::MAX;
                        self.commit(w);
                        self.step(w);
                    }
                }
                Ev::Search(w) => {
                    self.workers[w].search_pending = false;
                    if self.workers[w].mode == (Mode::Idle { sleeping: true }) {
                        // Awake now: it spins again before it next sleeps.
                        self.workers[w].idle_since = self.now;
                        self.set_mode(w, Mode::Idle { sleeping: false });
                    }
                    self.refresh(w);
                    if self.workers[w].is_idle() {
                        self.search(w);
                    }
                }
                Ev::Start(w) => self.start(w),
                Ev::Doze(w, since) => {
                    let wk = &self.workers[w];
                    if wk.mode == (Mode::Idle { sleeping: false }) && wk.idle_since == since {
                        self.set_mode(w, Mode::Idle { sleeping: true });
                    }
                }
                Ev::Tick => self.tick(),
            }
        }
        let latency_ns = self
            .reqs
            .iter()
            // A rejected request never gets an answer: it counts as missed, at any target.
            .map(|r| {
                if r.rejected {
                    u64::MAX
                } else {
                    r.finish.expect("finished") - r.arrival
                }
            })
            .collect();
        let start_ns = self
            .reqs
            .iter()
            .map(|r| r.start.expect("admitted"))
            .collect();
        Run {
            latency_ns,
            start_ns,
            arrival_ns: self.reqs.iter().map(|r| r.arrival).collect(),
            target_ns: self.target,
            counters: self.counters,
        }
    }

    // ---- arrivals and admission --------------------------------------------------------

    fn info(&self) -> RequestInfo {
        let mut info = RequestInfo::default();
        info.target = Some(Duration::from_nanos(self.target));
        info
    }

    fn arrive(&mut self, r: usize) {
        let info = self.info();
        let arrival = Duration::from_nanos(self.reqs[r].arrival);
        self.queue.push(Queued::stand_in(r as u64, info, arrival));
        // Deprioritized loops yield at their next block boundary now that something waits.
        for w in 0..self.workers.len() {
            if self.top_yields(w) {
                self.poke(w);
            }
        }
        self.publish();
    }

    fn top_yields(&self, w: W) -> bool {
        let wk = &self.workers[w];
        wk.mode == Mode::Running
            && wk
                .stack
                .last()
                .is_some_and(|f| self.reqs[f.req].flags.deprioritized)
    }

    /// Pops the policy's queue for `w`, as `WorkerThread::admit` does (refused past the admit
    /// depth).
    fn admit(&mut self, w: W) -> Option<usize> {
        if self.workers[w].depth >= MAX_ADMIT_DEPTH {
            return None;
        }
        loop {
            let now = Duration::from_nanos(self.now);
            let q = self.queue.pop(w, now)?;
            assert!(
                q.is_root(),
                "loop requests re-schedule nothing, so every item is a root"
            );
            let r = usize::try_from(q.id()).expect("ids are indices");
            // As the pool's root job does (`Registry::rejects`): rejected unrun, at once.
            let reject = self.rejects && q.info().cannot_meet(q.arrival(), now, self.workers.len());
            drop(q);
            if !reject {
                return Some(r);
            }
            let req = &mut self.reqs[r];
            req.start = Some(self.now);
            req.finish = Some(self.now);
            req.rejected = true;
            self.finished += 1;
            self.counters.rejected += 1;
        }
    }

    /// `RequestCtx::view`: the policy's view of request `r` now, with the requests waiting to
    /// start and those started and not finished (rejected ones never start).
    fn view(&self, r: usize) -> RequestView {
        let q = &self.reqs[r];
        let mut v = RequestView::new(
            self.info(),
            Duration::from_nanos(q.arrival),
            Duration::from_nanos(q.start.unwrap_or(self.now)),
            Duration::from_nanos(self.now),
            self.workers.len(),
        );
        v.id = r as u64;
        v.queued = self.queue.len();
        v.running = self.started - (self.finished - self.counters.rejected as usize);
        // Live progress: what is reported plus the blocks running frames have finished.
        let live: u64 = q
            .runners
            .iter()
            .map(|&w| {
                let f = self.workers[w].stack.last().expect("a runner has a frame");
                ((self.now - f.t0) / self.item).min(f.hi - f.lo)
            })
            .sum();
        v.work_done = if self.shape == Shape::Loop {
            q.done + live
        } else {
            0
        };
        v.work_total = q.total;
        v.shareable = !q.flags.unshared;
        v.shed = q.flags.shed;
        v.deprioritized = q.flags.deprioritized;
        v.root_finished = q.finish.is_some();
        v
    }

    /// Applies a verdict (`RequestFlags::apply`, as the pool's `RequestCtx::apply`); pokes
    /// the request's runners if it changed anything, so their next block boundary acts on it.
    fn apply(&mut self, r: usize, action: RequestAction) {
        if self.reqs[r].flags.apply(action) {
            self.counters.verdicts += 1;
            for w in self.reqs[r].runners.clone() {
                self.poke(w);
            }
        }
    }

    // ---- the timer ---------------------------------------------------------------------

    fn sleeping(&self) -> usize {
        self.index.asleep.len()
    }

    /// The timer thread: raises every worker's heartbeat flag (unless it rests: nobody
    /// asleep and nothing to review), and reviews running requests if the policy asks.
    fn tick(&mut self) {
        self.active.retain(|&r| self.reqs[r].finish.is_none());
        let reviewing = self.reviews && !self.active.is_empty();
        if self.sleeping() > 0 || reviewing {
            while let Some(w) = self.index.askable.first() {
                self.set_flag(w, true);
                self.poke(w);
            }
        }
        if reviewing {
            // Steering as the pool does it (`request/lifecycle.rs`): only with more than
            // 2 workers, among the requests this pass leaves live.
            let steering = self.workers.len() > 2;
            let mut most: Option<(f64, usize)> = None;
            for i in 0..self.active.len() {
                let r = self.active[i];
                let v = self.view(r);
                let a = self.policy.review(&v);
                self.apply(r, a);
                if steering && a == RequestAction::Continue && self.is_live(r) {
                    if let Some(u) = self.policy.urgency(&v).filter(|u| !u.is_nan()) {
                        if most.map_or(true, |(m, _)| u > m) {
                            most = Some((u, r));
                        }
                    }
                }
            }
            self.steer = most.map(|(_, r)| r);
        } else {
            self.steer = None;
        }
        let gap = self.heartbeat_gap();
        self.at(self.now + gap, Ev::Tick);
    }

    // ---- running frames ----------------------------------------------------------------

    /// Books the blocks the top frame finished since its block started.
    fn commit(&mut self, w: W) {
        let now = self.now;
        let item = self.item;
        let f = self.workers[w].stack.last_mut().expect("running frame");
        let k = ((now - f.t0) / item).min(f.hi - f.lo);
        f.lo += k;
        f.t0 += k * item;
        let r = f.req;
        self.reqs[r].done += k;
        self.counters.items_run += k;
    }

    /// The top frame stops running (it waits, nests something, or completes).
    fn leave(&mut self, w: W) {
        let r = self.workers[w].stack.last().expect("frame").req;
        let runners = &mut self.reqs[r].runners;
        if let Some(i) = runners.iter().position(|&x| x == w) {
            runners.swap_remove(i);
        }
        self.workers[w].gen += 1;
        self.workers[w].next_at = u64::MAX;
        self.set_mode(w, Mode::Idle { sleeping: false });
    }

    /// The top frame (re)starts running at `now`.
    fn enter(&mut self, w: W) {
        let now = self.now;
        let f = self.workers[w].stack.last_mut().expect("frame");
        f.t0 = now;
        let r = f.req;
        self.reqs[r].runners.push(w);
        self.set_mode(w, Mode::Running);
    }

    /// Schedules the top frame's next boundary: the next block if something may need the
    /// boundary (a heartbeat split, a yield, a trip home), else the end of its range.
    fn schedule(&mut self, w: W) {
        let wk = &self.workers[w];
        let f = wk.stack.last().expect("frame");
        let q = &self.reqs[f.req];
        let len = f.hi - f.lo;
        let attention = self.shape == Shape::Tree
            || (wk.flag && len > 1)
            || (q.flags.deprioritized && !self.queue.is_empty())
            || (q.flags.unshared && q.home != w);
        let at = f.t0
            + if attention {
                self.item
            } else {
                len * self.item
            };
        let wk = &mut self.workers[w];
        wk.gen += 1;
        wk.next_at = at;
        let gen = wk.gen;
        self.at(at, Ev::Boundary(w, gen));
    }

    /// Something changed for `w`'s running frame: make its next block boundary an event.
    fn poke(&mut self, w: W) {
        let wk = &self.workers[w];
        if wk.mode != Mode::Running {
            return;
        }
        let f = wk.stack.last().expect("running frame");
        let blocks = (self.now - f.t0).div_ceil(self.item).max(1);
        let at = f.t0 + blocks.min((f.hi - f.lo).max(1)) * self.item;
        if at < wk.next_at {
            let wk = &mut self.workers[w];
            wk.gen += 1;
            wk.next_at = at;
            let gen = wk.gen;
            self.at(at, Ev::Boundary(w, gen));
        }
    }

    /// Splits the top frame's range in half at a block boundary; the right half becomes a
    /// pending fork (`join_in_worker` pushes it pending), promoted at once if the heartbeat
    /// flag is up.
    fn split(&mut self, w: W, splits_right: u32) {
        let wk = &mut self.workers[w];
        let idx = wk.stack.len() - 1;
        let f = wk.stack.last_mut().expect("frame");
        let mid = f.lo + (f.hi - f.lo) / 2;
        wk.deque.push_back(Fork {
            req: f.req,
            lo: mid,
            hi: f.hi,
            parent: (w, idx),
            splits: splits_right,
        });
        f.hi = mid;
        if wk.flag {
            self.promote(w);
        }
    }

    /// The heartbeat fired on `w`: offer its oldest pending fork to thieves, if its request
    /// shares and the policy agrees (`WorkerThread::promote`).
    fn promote(&mut self, w: W) {
        self.set_flag(w, false);
        let pending = self.workers[w].pending();
        if pending == 0 {
            return;
        }
        let r = self.workers[w].stack.last().expect("frame").req;
        if self.reqs[r].flags.unshared {
            return;
        }
        let view = ShareView::new(w, pending, self.sleeping());
        if !self.policy.may_share(&view) {
            return;
        }
        self.workers[w].shared += 1;
        self.refresh(w);
        self.counters.promotions += 1;
        self.publish();
    }

    /// Makes every pending fork stealable (`flush_pending`, before a worker nests other work).
    fn flush(&mut self, w: W) {
        let wk = &mut self.workers[w];
        if wk.pending() > 0 {
            wk.shared = wk.deque.len();
            self.refresh(w);
            self.publish();
        }
    }

    /// The top frame of `w` reached a block boundary at `now` (its finished blocks already
    /// booked): act as the real loop does there, then run on, wait, or finish.
    fn step(&mut self, w: W) {
        loop {
            let wk = &self.workers[w];
            let f = wk.stack.last().expect("frame");
            let (r, len) = (f.req, f.hi - f.lo);
            if len > 0 {
                if self.shape == Shape::Tree {
                    // A join tree forks down to single leaves at once, promoting at a join
                    // when the flag is up.
                    while self.workers[w].stack.last().map_or(0, |f| f.hi - f.lo) > 1 {
                        self.split(w, u32::MAX);
                    }
                    self.schedule(w);
                    return;
                }
                let q = &self.reqs[r];
                // `Progress::at_boundary`: a thief's frame of a request that stopped sharing
                // sends its range home; a deprioritized one runs a queued request first.
                if q.flags.unshared && q.home != w {
                    self.send_home(w);
                    continue;
                }
                if q.flags.deprioritized && self.try_yield(w) {
                    return;
                }
                let f = self.workers[w].stack.last_mut().expect("frame");
                if f.splits > 0 && len > 1 {
                    f.splits -= 1;
                    let s = f.splits;
                    self.split(w, s);
                    continue;
                }
                if self.workers[w].flag && len > 1 {
                    self.workers[w].stack.last_mut().expect("frame").splits = SPARE_SPLITS;
                    self.split(w, SPARE_SPLITS);
                    continue;
                }
                self.schedule(w);
                return;
            }
            // The range is done: take back the frame's newest fork, if nobody stole it.
            if let Some(fork) = self.workers[w].pop_own() {
                self.refresh(w);
                let now = self.now;
                let f = self.workers[w].stack.last_mut().expect("frame");
                (f.lo, f.hi, f.splits, f.t0) = (fork.lo, fork.hi, fork.splits, now);
                continue;
            }
            if self.workers[w].stack.last().expect("frame").outstanding > 0 {
                // Blocked in a join: look for other work meanwhile (`wait_until`).
                self.leave(w);
                self.workers[w].idle_since = self.now;
                self.search(w);
                return;
            }
            if !self.complete(w) {
                return;
            }
        }
    }

    /// The top frame of `w` is done: pop it, tell its parent or finish its request. Returns
    /// true if a frame below can run on at once.
    fn complete(&mut self, w: W) -> bool {
        self.leave(w);
        let f = self.workers[w].stack.pop().expect("frame");
        match f.nesting {
            Nesting::None => {}
            Nesting::Admitted => self.workers[w].depth -= 1,
            Nesting::Yielded => {
                self.workers[w].depth -= 1;
                self.workers[w].yields -= 1;
            }
        }
        match f.parent {
            Some((pw, idx)) => {
                let p = &mut self.workers[pw].stack[idx];
                p.outstanding -= 1;
                let ready = p.outstanding == 0 && idx + 1 == self.workers[pw].stack.len();
                if ready && pw != w && self.workers[pw].is_idle() {
                    // The latch is set: its owner wakes (or notices, if it spins).
                    self.wake(pw);
                }
            }
            None => {
                let q = &mut self.reqs[f.req];
                q.finish = Some(self.now);
                self.finished += 1;
            }
        }
        let wk = &self.workers[w];
        match wk.stack.last() {
            None => {
                self.workers[w].idle_since = self.now;
                self.search(w);
                false
            }
            Some(below) if below.hi > below.lo || below.outstanding == 0 => {
                // A yield returns to its loop mid-range; a join whose forks all came back
                // finishes.
                self.enter(w);
                true
            }
            Some(_) => {
                self.workers[w].idle_since = self.now;
                self.search(w);
                false
            }
        }
    }

    /// A deprioritized loop's block boundary: run a queued request first
    /// (`yield_to_queued`), within the nesting bounds. True if one started.
    fn try_yield(&mut self, w: W) -> bool {
        let wk = &self.workers[w];
        if wk.yields >= MAX_YIELD_NESTING || wk.depth >= MAX_ADMIT_DEPTH || self.queue.is_empty() {
            return false;
        }
        let Some(r) = self.admit(w) else {
            return false;
        };
        self.counters.yields += 1;
        self.flush(w);
        self.leave(w);
        self.take(w, Incoming::Root(r, Nesting::Yielded), ns(self.costs.admit));
        true
    }

    /// A thief's frame of a request that stopped sharing: its remaining range, and its
    /// pending forks, go to the home worker's returned queue; the frame waits for them
    /// (`forall::send_home`).
    fn send_home(&mut self, w: W) {
        let idx = self.workers[w].stack.len() - 1;
        let (r, lo, hi) = {
            let f = &self.workers[w].stack[idx];
            (f.req, f.lo, f.hi)
        };
        let home = self.reqs[r].home;
        let mut sent = vec![Fork {
            req: r,
            lo,
            hi,
            parent: (w, idx),
            splits: 0,
        }];
        while self.workers[w].pending() > 0
            && self.workers[w]
                .deque
                .back()
                .is_some_and(|k| k.parent == (w, idx))
        {
            sent.push(self.workers[w].deque.pop_back().expect("pending"));
        }
        let f = &mut self.workers[w].stack[idx];
        f.lo = f.hi;
        f.outstanding += sent.len() as u32;
        self.counters.sent_home += sent.len() as u64;
        self.workers[home].returned.extend(sent);
        if self.workers[home].is_idle() {
            self.wake(home);
        }
    }

    /// Whether request `r` can still meet its target (`RequestCtx::is_live`): its deadline
    /// has not passed and no verdict has given up on it.
    fn is_live(&self, r: usize) -> bool {
        !self.given_up(r) && self.now <= self.reqs[r].arrival + self.target
    }

    /// Whether a verdict has given up on request `r` (`RequestCtx::is_given_up`).
    fn given_up(&self, r: usize) -> bool {
        let f = &self.reqs[r].flags;
        f.unshared || f.deprioritized
    }

    // ---- idle workers ------------------------------------------------------------------

    /// Work was published (a promotion, an arrival): one idle worker looks for it, a
    /// spinning one first (it reacts within `react`), else a sleeping one (`wake`), as
    /// `Sleep::new_work` wakes one sleeper while spinning workers find work themselves.
    fn publish(&mut self) {
        self.last_publication = self.now;
        let pick = (self.index.spinners.first()).or_else(|| self.index.dozers.first());
        if let Some(w) = pick {
            self.wake(w);
        }
    }

    /// Schedules a search by idle worker `w`.
    fn wake(&mut self, w: W) {
        let wk = &mut self.workers[w];
        if wk.search_pending {
            return;
        }
        wk.search_pending = true;
        let delay = match wk.mode {
            Mode::Idle { sleeping: true } => ns(self.costs.wake),
            _ => ns(self.costs.react),
        };
        self.refresh(w);
        self.at(self.now + delay, Ev::Search(w));
    }

    /// `WorkerThread::find_work` for idle (or blocked) worker `w`: its own deque, its
    /// returned queue, then steal or admit in the policy's order.
    fn search(&mut self, w: W) {
        // A blocked frame whose forks all finished resumes (its latch is set).
        if let Some(f) = self.workers[w].stack.last() {
            if f.outstanding == 0 && f.hi == f.lo {
                self.enter(w);
                self.step(w);
                return;
            }
        }
        // A worker blocked inside a live request leaves alone the work of requests given up
        // on (`WorkerThread::search`): the newest fork of its deque if it is such work, and
        // its whole returned queue (only given-up requests have work there). The real worker
        // then looks again instead of sleeping; here it searches again at the live request's
        // deadline, or earlier if woken.
        let blocked = !self.workers[w].stack.is_empty();
        let live = self.workers[w]
            .stack
            .last()
            .map(|f| f.req)
            .filter(|&r| self.is_live(r));
        let declines_own = live.is_some_and(|me| {
            self.workers[w]
                .deque
                .back()
                .is_some_and(|k| k.req != me && self.given_up(k.req))
        });
        if !declines_own {
            if let Some(fork) = self.workers[w].pop_any() {
                self.refresh(w);
                let (pw, idx) = fork.parent;
                self.workers[pw].stack[idx].outstanding += 1;
                self.run_fork(w, fork);
                return;
            }
        }
        let declines_returned = live.is_some() && !self.workers[w].returned.is_empty();
        if !declines_returned {
            if let Some(fork) = self.workers[w].returned.pop_front() {
                self.run_fork(w, fork);
                return;
            }
        }
        if let Some(me) = live.filter(|_| declines_own || declines_returned) {
            // Just past the deadline: the request is no longer live then.
            let deadline = self.reqs[me].arrival + self.target;
            self.at(deadline + 1, Ev::Search(w));
        }
        let view =
            IdleView::new(w, self.workers.len(), self.queue.len(), blocked).on_live(live.is_some());
        let got = match self.policy.idle_order(&view) {
            IdleOrder::AdmitFirst => self.try_admit(w, blocked) || self.try_steal(w, &view),
            // Refused queued work is passed on below, as a worker that may not take it.
            IdleOrder::StealOnly if blocked => self.try_steal(w, &view),
            // `StealOnly` means `StealFirst` for a free worker.
            IdleOrder::StealFirst | IdleOrder::StealOnly => {
                self.try_steal(w, &view) || self.try_admit(w, blocked)
            }
        };
        if got {
            return;
        }
        // Nothing: spin, then sleep. If work is still out there that this worker may not
        // take (a routed queue, a victim it may not steal from), let another idle worker look.
        let wk = &mut self.workers[w];
        let since = wk.idle_since;
        // The first failed search of an idle period queues its doze (any earlier failure
        // was at or before `since`); later ones would only queue the same doze again.
        let first = wk.failed_at.map_or(true, |t| t <= since);
        wk.failed_at = Some(self.now);
        if first && wk.mode == (Mode::Idle { sleeping: false }) {
            let doze = since + ns(self.costs.spin);
            self.at(doze.max(self.now), Ev::Doze(w, since));
        }
        if !self.queue.is_empty() || !self.index.stealable.is_empty() {
            let last = self.last_publication;
            let n = self.workers.len();
            let fresh = |x: W| x != w && self.workers[x].failed_at.map_or(true, |t| t < last);
            let first_fresh =
                |set: &Workers| set.ring_now(w, n).map(|(_, x)| x).find(|&x| fresh(x));
            let next =
                first_fresh(&self.index.spinners).or_else(|| first_fresh(&self.index.dozers));
            if let Some(x) = next {
                self.wake(x);
            }
        }
    }

    /// Runs a fork taken from this worker's own deque or returned queue (no transfer).
    fn run_fork(&mut self, w: W, fork: Fork) {
        self.workers[w].stack.push(Frame {
            req: fork.req,
            lo: fork.lo,
            hi: fork.hi,
            t0: self.now,
            splits: fork.splits,
            outstanding: 0,
            parent: Some(fork.parent),
            nesting: Nesting::None,
        });
        self.enter(w);
        self.step(w);
    }

    /// `WorkerThread::steal`: victims in ring order from the policy's first victim; a fork of
    /// a request that stopped sharing goes back to its owner; a victim with nothing shared is
    /// asked to promote.
    fn try_steal(&mut self, w: W, view: &IdleView) -> bool {
        let n = self.workers.len();
        if n <= 1 {
            return false;
        }
        let seed = self.rng.next_u64();
        let first = self.policy.first_victim(view, seed) % n;
        // Steering (core's `steer.rs`): the first worker from `first` in ring order that
        // runs the most urgent request (its top frame's) and has a shared fork.
        let start = self
            .steer
            .and_then(|r| {
                (0..n).map(|k| (first + k) % n).find(|&v| {
                    v != w
                        && self.workers[v].shared > 0
                        && self.workers[v].stack.last().is_some_and(|f| f.req == r)
                })
            })
            .unwrap_or(first);
        let spinning = self.workers[w].mode == (Mode::Idle { sleeping: false });
        // The ring walk of the real loop, visiting only victims with shared forks: the
        // others have nothing to take and are only asked to promote (below). Each walk
        // lists its set's members once: during a walk only the visited victim's membership
        // changes (a steal, a hand-back, a raised flag; the thief itself holds no shared
        // fork), so the listed walk is the one the live sets would give.
        let mut found = None;
        'victims: for (d, v) in self.index.stealable.ring(start, n) {
            if v == w || !self.policy.may_steal(view, v) {
                continue;
            }
            while let Some(fork) = self.workers[v].steal() {
                self.refresh(v);
                let (pw, idx) = fork.parent;
                self.workers[pw].stack[idx].outstanding += 1;
                if self.reqs[fork.req].flags.unshared {
                    self.counters.handed_back += 1;
                    self.workers[v].returned.push_back(fork);
                    if self.workers[v].is_idle() {
                        self.wake(v);
                    }
                    continue;
                }
                self.counters.steals += 1;
                self.take(w, Incoming::Stolen(fork), ns(self.costs.steal));
                found = Some(d);
                break 'victims;
            }
        }
        // Thieves ask the victims they passed for promotions while they spin
        // (`ask_to_promote`).
        if spinning {
            let reach = found.unwrap_or(n);
            for (d, v) in self.index.askable.ring(start, n) {
                if d >= reach {
                    break;
                }
                if v != w && self.policy.may_steal(view, v) {
                    self.set_flag(v, true);
                    self.poke(v);
                }
            }
        }
        found.is_some()
    }

    fn try_admit(&mut self, w: W, blocked: bool) -> bool {
        let Some(r) = self.admit(w) else {
            return false;
        };
        let nesting = if blocked {
            Nesting::Admitted
        } else {
            Nesting::None
        };
        self.take(w, Incoming::Root(r, nesting), ns(self.costs.admit));
        true
    }

    /// `w` took work; it starts after `delay`.
    fn take(&mut self, w: W, what: Incoming, delay: u64) {
        let wk = &mut self.workers[w];
        wk.incoming = Some(what);
        self.set_mode(w, Mode::Starting);
        self.at(self.now + delay, Ev::Start(w));
    }

    fn start(&mut self, w: W) {
        let what = self.workers[w]
            .incoming
            .take()
            .expect("a starting worker took work");
        let n = self.workers.len();
        let frame = match what {
            Incoming::Stolen(fork) => Frame {
                req: fork.req,
                lo: fork.lo,
                hi: fork.hi,
                t0: self.now,
                splits: initial_splits(n),
                outstanding: 0,
                parent: Some(fork.parent),
                nesting: Nesting::None,
            },
            Incoming::Root(r, nesting) => {
                let q = &mut self.reqs[r];
                q.start = Some(self.now);
                q.home = w;
                q.total = q.items;
                if nesting != Nesting::None {
                    self.workers[w].depth += 1;
                }
                if nesting == Nesting::Yielded {
                    self.workers[w].yields += 1;
                }
                self.started += 1;
                let v = self.view(r);
                let a = self.policy.review(&v);
                self.apply(r, a);
                if self.reviews {
                    self.active.push(r);
                }
                Frame {
                    req: r,
                    lo: 0,
                    hi: self.reqs[r].items,
                    t0: self.now,
                    splits: initial_splits(n),
                    outstanding: 0,
                    parent: None,
                    nesting,
                }
            }
        };
        self.workers[w].stack.push(frame);
        self.enter(w);
        if self.sleeping() > 0 {
            // Work arrived from elsewhere while others sleep: share its first fork at once.
            self.set_flag(w, true);
        }
        self.step(w);
    }
}
