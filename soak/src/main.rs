//! `ontime-soak`: runs random mixes of ontime work for a while, with panics injected into user
//! work and into policy hooks, and checks that every unit of work ran exactly once and every
//! request handle resolved. Run it through `cargo xtask soak --secs N`.
//!
//! Each round builds one or two pools (1 to 4 workers, a random policy from
//! `ontime-policies` wrapped so that its hooks panic now and then), runs a random sequence of
//! operations on them, drops them, and then checks its ledger:
//! - join trees (every leaf marks itself; some leaves panic after marking),
//! - scopes with nested spawns (some jobs panic),
//! - loops: `forall`, `forall_chunked`, `forall_2d` (every index or cell marks itself),
//! - `spawn`s (some panic; the pool's drop runs the rest),
//! - requests, waited from outside, from a worker of their pool, or polled with `try_wait`
//!   on a worker (some panic: their handle must resolve with the panic),
//! - cross-pool installs (A → B → A),
//! - spawns racing with `shutdown` from another thread: each is either refused with a panic
//!   (and must never run) or accepted (and must run exactly once),
//! - requests (plain, with a loop, scheduled a few hundred microseconds ahead, or futures)
//!   cancelled from another thread while they wait or run: each resolves with its value (and
//!   ran once) or `Cancelled` (and ran at most once), as its `cancel` said.
//!
//! A unit that ran fewer times than it should is *lost*, more times *duplicated*. The exit
//! status is non-zero if any unit was lost or duplicated, any handle did not resolve as it
//! should, or the run stopped making progress for two minutes (a hang).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ontime_core::{
    join, AdmissionQueue, IdleOrder, IdleView, Request, RequestAction, RequestView, ShareView,
    StealPolicy, ThreadPool, ThreadPoolBuilder,
};

#[derive(Parser, Debug)]
#[command(
    name = "ontime-soak",
    about = "Random ontime work with injected panics, counted"
)]
struct Args {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 30)]
    secs: u64,
    /// Seed of the random mix (default: from the clock; printed, so a failure reproduces).
    #[arg(long)]
    seed: Option<u64>,
}

/// xorshift64*: small and deterministic per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// What the whole run counted.
#[derive(Default)]
struct Totals {
    units: AtomicU64,
    lost: AtomicU64,
    duplicated: AtomicU64,
    user_panics: AtomicU64,
    hook_panics: Arc<AtomicU64>,
    reported: Arc<AtomicU64>,
    handles: AtomicU64,
    handle_errors: AtomicU64,
    bad_handles: AtomicU64,
    refused: AtomicU64,
    cancelled: AtomicU64,
    progress: AtomicU64,
}

/// One round's units: how often each ran, and how often it should have.
struct Ledger {
    ran: Vec<AtomicU8>,
    expect: Vec<AtomicU8>,
    next: AtomicUsize,
}

impl Ledger {
    fn new(capacity: usize) -> Self {
        Ledger {
            ran: (0..capacity).map(|_| AtomicU8::new(0)).collect(),
            expect: (0..capacity).map(|_| AtomicU8::new(1)).collect(),
            next: AtomicUsize::new(0),
        }
    }
    /// Reserves `n` consecutive units; returns the first.
    fn units(&self, n: usize) -> usize {
        let first = self.next.fetch_add(n, Ordering::Relaxed);
        assert!(first + n <= self.ran.len(), "soak: ledger too small");
        first
    }
    fn mark(&self, unit: usize) {
        self.ran[unit].fetch_add(1, Ordering::Relaxed);
    }
    fn never_runs(&self, unit: usize) {
        self.expect[unit].store(0, Ordering::Relaxed);
    }
    /// A cancelled request's unit: it may have run before the cancel took effect, or not,
    /// but never twice.
    fn at_most_once(&self, unit: usize) {
        let ran = self.ran[unit].load(Ordering::Relaxed);
        self.expect[unit].store(ran.min(1), Ordering::Relaxed);
    }
    fn settle(&self, t: &Totals) {
        let n = self.next.load(Ordering::Relaxed);
        for i in 0..n {
            let (ran, want) = (
                self.ran[i].load(Ordering::Relaxed),
                self.expect[i].load(Ordering::Relaxed),
            );
            if ran < want {
                t.lost.fetch_add(1, Ordering::Relaxed);
            } else if ran > want {
                t.duplicated.fetch_add(1, Ordering::Relaxed);
            }
        }
        t.units.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A real policy whose hooks panic about once in `rate` calls.
#[derive(Debug)]
struct Flaky {
    inner: Box<dyn StealPolicy>,
    rate: u64,
    calls: AtomicU64,
    panics: Arc<AtomicU64>,
}

impl Flaky {
    fn maybe_panic(&self, hook: &str) {
        let c = self.calls.fetch_add(1, Ordering::Relaxed);
        if c.wrapping_mul(0x9E37_79B9_7F4A_7C15) % self.rate == 0 {
            self.panics.fetch_add(1, Ordering::Relaxed);
            panic!("soak: injected panic in {hook}");
        }
    }
}

impl StealPolicy for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }
    fn idle_order(&self, v: &IdleView) -> IdleOrder {
        self.maybe_panic("idle_order");
        self.inner.idle_order(v)
    }
    fn first_victim(&self, v: &IdleView, seed: u64) -> usize {
        self.maybe_panic("first_victim");
        self.inner.first_victim(v, seed)
    }
    fn may_steal(&self, v: &IdleView, victim: usize) -> bool {
        self.maybe_panic("may_steal");
        self.inner.may_steal(v, victim)
    }
    fn may_share(&self, v: &ShareView) -> bool {
        self.maybe_panic("may_share");
        self.inner.may_share(v)
    }
    fn validate(&self, n: usize) -> Result<(), String> {
        self.inner.validate(n)
    }
    fn admission_queue(&self, n: usize) -> Box<dyn AdmissionQueue> {
        self.inner.admission_queue(n)
    }
    fn review(&self, v: &RequestView) -> RequestAction {
        self.maybe_panic("review");
        self.inner.review(v)
    }
    fn urgency(&self, v: &RequestView) -> Option<f64> {
        self.maybe_panic("urgency");
        self.inner.urgency(v)
    }
    fn reviews_running(&self) -> bool {
        self.inner.reviews_running()
    }
    fn rejects_late(&self) -> bool {
        // None of the soak's policies rejects: it counts every unit run exactly once.
        self.inner.rejects_late()
    }
}

fn policy(rng: &mut Rng) -> Box<dyn StealPolicy> {
    use ontime_policies as p;
    match rng.below(6) {
        0 => Box::new(p::StealFirst::new()),
        1 => Box::new(p::AdmitFirst::new()),
        2 => Box::new(p::TargetLatency::reactive()),
        3 => Box::new(p::TargetLatency::predictive().deprioritize(true)),
        4 => Box::new(p::TargetLatency::new()),
        _ => Box::new(p::earliest_deadline_first()),
    }
}

fn build(rng: &mut Rng, t: &Totals) -> ThreadPool {
    let threads = 1 + rng.below(4) as usize;
    let reported = t.reported.clone();
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .heartbeat(Duration::from_micros(10 + rng.below(200)))
        .policy(Flaky {
            inner: policy(rng),
            rate: 50 + rng.below(500),
            calls: AtomicU64::new(0),
            panics: t.hook_panics.clone(),
        })
        .panic_handler(move |_| {
            reported.fetch_add(1, Ordering::Relaxed);
        })
        .build()
        .expect("soak: build")
}

/// A unit of user work: marks its ledger entry, burns a little time, and panics if told to.
fn unit(ledger: &Ledger, i: usize, panics: bool) {
    ledger.mark(i);
    std::hint::black_box((0..64u64).fold(i as u64, |a, x| a.wrapping_mul(31) ^ x));
    if panics {
        panic!("soak: injected panic in user work");
    }
}

/// A join tree over `[first, first + n)` leaves; leaf `i` panics iff `bad(i)`.
fn tree(ledger: &Ledger, first: usize, n: usize, bad: &(dyn Fn(usize) -> bool + Sync)) {
    if n == 1 {
        unit(ledger, first, bad(first));
        return;
    }
    let half = n / 2;
    join(
        || tree(ledger, first, half, bad),
        || tree(ledger, first + half, n - half, bad),
    );
}

/// A panic predicate from a seed: about one leaf in `one_in`.
fn bad_leaves(seed: u64, one_in: u64) -> impl Fn(usize) -> bool + Sync {
    move |i| ((i as u64 ^ seed).wrapping_mul(0xD1B5_4A32_D192_ED03) >> 32) % one_in == 0
}

fn count_panics(t: &Totals, first: usize, n: usize, bad: &dyn Fn(usize) -> bool) -> u64 {
    let k = (first..first + n).filter(|&i| bad(i)).count() as u64;
    t.user_panics.fetch_add(k, Ordering::Relaxed);
    k
}

/// One random operation on `pool` (and, for cross-pool entry, `other`).
fn operation(
    rng: &mut Rng,
    pool: &Arc<ThreadPool>,
    other: &Arc<ThreadPool>,
    l: &Ledger,
    t: &Totals,
) {
    match rng.below(9) {
        0 => {
            let n = 1 + rng.below(2000) as usize;
            let first = l.units(n);
            let bad = bad_leaves(rng.next(), 300);
            let panics = count_panics(t, first, n, &bad);
            let r = catch_unwind(AssertUnwindSafe(|| {
                pool.install(|| tree(l, first, n, &bad))
            }));
            assert_eq!(
                r.is_err(),
                panics > 0,
                "soak: a join tree's panic went missing"
            );
        }
        1 => {
            let n = 1 + rng.below(200) as usize;
            let first = l.units(2 * n);
            let bad = bad_leaves(rng.next(), 50);
            let panics = count_panics(t, first, 2 * n, &bad);
            let r = catch_unwind(AssertUnwindSafe(|| {
                pool.scope(|s| {
                    for k in 0..n {
                        let bad = &bad;
                        s.spawn(move |s| {
                            let i = first + 2 * k;
                            s.spawn(move |_| unit(l, i + 1, bad(i + 1)));
                            unit(l, i, bad(i));
                        });
                    }
                })
            }));
            assert_eq!(r.is_err(), panics > 0, "soak: a scope's panic went missing");
        }
        2 => {
            let n = 1 + rng.below(20_000) as usize;
            let first = l.units(n);
            match rng.below(3) {
                0 => pool.forall(0..n, |i| unit(l, first + i, false)),
                1 => {
                    let grain = 1 + rng.below(300) as usize;
                    pool.forall_chunked(0..n, grain, |r| r.for_each(|i| unit(l, first + i, false)))
                }
                _ => {
                    let cols = 1 + rng.below(64) as usize;
                    let rows = n / cols;
                    // The cells past rows * cols are not part of this loop.
                    for i in rows * cols..n {
                        l.never_runs(first + i);
                    }
                    let tile = [1 + rng.below(9) as usize, 1 + rng.below(9) as usize];
                    pool.forall_2d(0..rows, 0..cols, tile, |r, c| {
                        for y in r {
                            for x in c.clone() {
                                unit(l, first + y * cols + x, false)
                            }
                        }
                    })
                }
            }
        }
        3 => {
            // Spawns: run by the pool before its drop returns; panics go to the handler.
            let n = 1 + rng.below(100) as usize;
            let first = l.units(n);
            let bad = bad_leaves(rng.next(), 20);
            count_panics(t, first, n, &bad);
            let l: &'static Ledger = leak_free_ref(l);
            for i in first..first + n {
                let panics = bad(i);
                pool.spawn(move || unit(l, i, panics));
            }
        }
        4 | 5 => {
            let n = 1 + rng.below(40) as usize;
            let first = l.units(n);
            let bad = bad_leaves(rng.next(), 10);
            count_panics(t, first, n, &bad);
            let l: &'static Ledger = leak_free_ref(l);
            let handles: Vec<_> = (first..first + n)
                .map(|i| {
                    let panics = bad(i);
                    let nested = rng.chance(3);
                    let req = Request::new(move || {
                        if nested {
                            let (a, b) = join(|| i, || i);
                            assert_eq!(a, b);
                        }
                        unit(l, i, panics);
                        i
                    })
                    .target(Duration::from_micros(50 + rng.below(5000)));
                    (i, panics, pool.submit(req))
                })
                .collect();
            // Outside submissions are waited from outside, or polled from outside.
            let poll = rng.chance(2);
            for (i, panics, mut h) in handles {
                let r = if poll {
                    loop {
                        if let Some(r) = h.try_wait() {
                            break r;
                        }
                        std::thread::yield_now();
                    }
                } else {
                    h.wait()
                };
                settle_handle(t, r, i, panics);
            }
            // A worker that submits and waits for its own requests (waiting, or polling
            // `try_wait`), nested under joins on the worker.
            let n = 1 + rng.below(10) as usize;
            let first = l.units(n);
            let bad = bad_leaves(rng.next(), 10);
            count_panics(t, first, n, &bad);
            let poll = rng.chance(2);
            let p2 = pool.clone();
            pool.install(|| {
                join(
                    || {
                        for i in first..first + n {
                            let panics = bad(i);
                            let mut h = p2.submit(Request::new(move || {
                                unit(l, i, panics);
                                i
                            }));
                            let r = if poll {
                                loop {
                                    if let Some(r) = h.try_wait() {
                                        break r;
                                    }
                                }
                            } else {
                                h.wait()
                            };
                            settle_handle(t, r, i, panics);
                        }
                    },
                    || tree(l, l.units(1), 1, &|_| false),
                )
            });
        }
        7 => cancel_race(rng, pool, l, t),
        6 => {
            let n = 1 + rng.below(500) as usize;
            let first = l.units(n);
            let none = |_| false;
            let (p2, o2) = (pool.clone(), other.clone());
            pool.install(move || {
                let p3 = p2.clone();
                o2.install(move || p3.install(|| tree(l, first, n, &none)))
            });
        }
        _ => {
            // A one-worker pool's only worker polls a request it submitted.
            let first = l.units(1);
            let l: &'static Ledger = leak_free_ref(l);
            let solo = ThreadPool::new(1).expect("soak: build");
            let r = solo.install(|| {
                let mut h = solo.submit(Request::new(move || unit(l, first, false)));
                loop {
                    if let Some(r) = h.try_wait() {
                        break r.map(|d| d.value);
                    }
                }
            });
            settle_handle(t, r.map(|()| first), first, false);
        }
    }
    t.progress.fetch_add(1, Ordering::Relaxed);
}

/// Requests of four kinds, a random subset cancelled from another thread while they wait or
/// run: a handle resolves with its value only if its cancel (if any) said it was too late,
/// and `Cancelled` only if its cancel said it took effect.
fn cancel_race(rng: &mut Rng, pool: &Arc<ThreadPool>, l: &Ledger, t: &Totals) {
    let n = 1 + rng.below(40) as usize;
    let first = l.units(n);
    let l: &'static Ledger = leak_free_ref(l);
    let handles: Vec<_> = (first..first + n)
        .map(|i| {
            let h = match rng.below(4) {
                0 => pool.submit(Request::new(move || {
                    unit(l, i, false);
                    i
                })),
                // A loop first: a cancel while it runs unwinds it before the unit runs.
                1 => pool.submit(Request::new(move || {
                    ontime_core::forall(0..2000, |k| {
                        std::hint::black_box(k);
                    });
                    unit(l, i, false);
                    i
                })),
                2 => pool.submit_after(
                    Duration::from_micros(rng.below(400)),
                    Request::new(move || {
                        unit(l, i, false);
                        i
                    }),
                ),
                _ => pool.spawn_future(async move {
                    unit(l, i, false);
                    i
                }),
            };
            (i, rng.chance(2), h)
        })
        .collect();
    let handles = Arc::new(handles);
    let h2 = handles.clone();
    let canceller = std::thread::spawn(move || {
        h2.iter()
            .map(|(_, cancel, h)| *cancel && h.cancel())
            .collect::<Vec<bool>>()
    });
    let said = canceller.join().expect("soak: canceller");
    let handles = Arc::into_inner(handles).expect("soak: handles");
    for ((i, _, h), cancelled) in handles.into_iter().zip(said) {
        t.handles.fetch_add(1, Ordering::Relaxed);
        match h.wait() {
            Ok(f) if f.value == i && !cancelled => {}
            Err(e) if e.is_cancelled() && cancelled => {
                t.cancelled.fetch_add(1, Ordering::Relaxed);
                l.at_most_once(i);
            }
            _ => {
                t.bad_handles.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Checks what a handle resolved to: the value, or the request's panic if it panicked.
fn settle_handle<E>(t: &Totals, r: Result<impl HandleValue, E>, i: usize, panics: bool) {
    t.handles.fetch_add(1, Ordering::Relaxed);
    match r {
        Ok(v) if !panics && v.value() == i => {}
        Err(_) if panics => {
            t.handle_errors.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            t.bad_handles.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A resolved handle's value: a `Finished<usize>`, or a bare index.
trait HandleValue {
    fn value(&self) -> usize;
}
impl HandleValue for ontime_core::Finished<usize> {
    fn value(&self) -> usize {
        self.value
    }
}
impl HandleValue for usize {
    fn value(&self) -> usize {
        *self
    }
}

/// The ledger outlives every job of its round (the round drops its pools, which run every
/// queued job, before it settles and frees the ledger); `'static` closures need a
/// `'static` borrow of it.
fn leak_free_ref(l: &Ledger) -> &'static Ledger {
    // SAFETY: see the doc comment: `round` keeps the ledger alive until both pools are
    // dropped and joined, and no job outlives its pool's drop.
    unsafe { &*(l as *const Ledger) }
}

/// Spawns from another thread while the pool shuts down: each is refused (and must never
/// run) or accepted (and must run once).
fn race_shutdown(pool: Arc<ThreadPool>, l: &Ledger, t: &Totals) {
    let n = 2000;
    let first = l.units(n);
    let l: &'static Ledger = leak_free_ref(l);
    let p2 = pool.clone();
    let spawner = std::thread::spawn(move || {
        let mut refused = 0;
        for i in first..first + n {
            let r = catch_unwind(AssertUnwindSafe(|| p2.spawn(move || unit(l, i, false))));
            if r.is_err() {
                l.never_runs(i);
                refused += 1;
            }
        }
        refused
    });
    std::thread::yield_now();
    pool.shutdown();
    let refused = spawner.join().expect("soak: spawner");
    t.refused.fetch_add(refused, Ordering::Relaxed);
    drop(pool);
}

fn round(rng: &mut Rng, t: &Totals) {
    let ledger = Ledger::new(200_000);
    {
        let a = Arc::new(build(rng, t));
        let b = Arc::new(build(rng, t));
        for _ in 0..1 + rng.below(12) {
            operation(rng, &a, &b, &ledger, t);
        }
        if rng.chance(4) {
            race_shutdown(a, &ledger, t);
        } else {
            drop(a);
        }
        drop(b);
    }
    ledger.settle(t);
}

fn main() {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1
    });
    // Thousands of injected panics: keep stderr for the summary.
    std::panic::set_hook(Box::new(|_| {}));
    let totals = Arc::new(Totals::default());
    let watchdog = {
        let t = totals.clone();
        std::thread::spawn(move || {
            let mut last = (u64::MAX, Instant::now());
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let p = t.progress.load(Ordering::Relaxed);
                if p != last.0 {
                    last = (p, Instant::now());
                } else if last.1.elapsed() > Duration::from_secs(120) {
                    eprintln!("soak: FAILED: no progress for 120 s (a hang)");
                    std::process::exit(2);
                }
            }
        })
    };
    let _ = watchdog;
    let start = Instant::now();
    let mut rng = Rng(seed);
    let mut rounds = 0u64;
    while start.elapsed() < Duration::from_secs(args.secs) {
        round(&mut rng, &totals);
        rounds += 1;
    }
    let _ = std::panic::take_hook();
    let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let t = &*totals;
    println!(
        "soak: {:.1} s, seed {seed}, {rounds} rounds, {} units of work, {} panics injected in \
         user work and {} in policy hooks ({} reported to panic handlers), {} handles resolved \
         ({} with their request's panic, {} cancelled), {} spawns refused after shutdown",
        start.elapsed().as_secs_f64(),
        g(&t.units),
        g(&t.user_panics),
        g(&t.hook_panics),
        g(&t.reported),
        g(&t.handles),
        g(&t.handle_errors),
        g(&t.cancelled),
        g(&t.refused),
    );
    println!(
        "soak: {} lost, {} duplicated, {} handles resolved wrongly",
        g(&t.lost),
        g(&t.duplicated),
        g(&t.bad_handles)
    );
    if g(&t.lost) + g(&t.duplicated) + g(&t.bad_handles) > 0 {
        eprintln!("soak: FAILED (rerun with --seed {seed})");
        std::process::exit(1);
    }
}
