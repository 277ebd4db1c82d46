//! Parallel loops: `forall`, `forall_chunked` and the tiled `forall_2d/3d/4d`.
//!
//! # Splitting
//! A loop runs its range block by block on one worker and checks that worker's heartbeat
//! flag between blocks (one relaxed load). When the flag is up, the remaining range is cut in
//! half at a block boundary and the halves are forked with `join`; the join promotes a
//! pending fork, so an idle worker can steal the right half. A loop entered on a pool of `n`
//! workers first splits `ceil(log2 n)` times without waiting for a heartbeat, and a half that
//! is stolen ("migrated") does the same on its thief: stolen work is re-split at once, so work
//! spreads in logarithmic time and then stays put while everyone is busy. Loops never cut a
//! range into "one chunk per thread" only.
//!
//! A heartbeat usually means an idle thief asked for work (see `sleep/README.md`, "Thieves
//! ask for promotions"), and the thief waits until its victim finishes the block it is
//! running. Four rules keep that wait short:
//! - a split on demand also re-splits the half kept locally once (`SPARE_SPLITS`), so the
//!   next thief finds a piece already in the deque;
//! - in `forall`, the tiled loops and the parallel iterators, whose bodies never see blocks,
//!   the last `TAIL_BLOCKS` blocks of a range shrink (`tail_block`), and a split on demand may
//!   cut the last block in two. On a loop whose index `i` costs `i + 1` units (4096 indices, 2
//!   threads) this cut the gap between the two workers' finishing times from about 35 µs to
//!   about 5 µs (rayon's `par_iter`: about 4 µs);
//! - in those loops, blocks are also kept to about `BLOCK_TIME` (100 µs): every frame of a
//!   split loop times the first block it runs (two clock reads per frame, none per block), and
//!   a longer block shrinks the grain of the rest of that frame's range and of the splits made
//!   from it, never below `with_min_len`. The automatic grain counts indices, not time: 3,906
//!   primality tests near 2·10^6 (the iter suite's primes case) take about 0.9 ms, and a thief
//!   waited half of that on average at every steal, about 0.5 ms of idle worker time per run
//!   where rayon, whose deques always hold pre-split pieces, waited none (measured with
//!   per-thread timestamps every 64 indices); with the bound, about 0.17 ms;
//! - `forall_chunked` keeps its contract: every block but the last is exactly `grain` long.
//!
//! Ranges shorter than the pool's minimum work size, or no longer than one block, run serially
//! on one worker (caffe2's `set_min_work_size`).
//!
//! # Where a loop runs
//! A loop always runs on a worker of its pool: called from one, in place; called from any
//! other thread (outside every pool, or a worker of another pool), through `install`, even if
//! it is small or the pool has one worker. So `current_thread_index()` inside the body, and
//! everything the body forks, belong to the loop's pool.
//!
//! # Arithmetic
//! Tile counts are multiplied with checked arithmetic (a loop with more tiles than `usize`
//! can count panics with a message, instead of running a wrapped-around number of tiles), and
//! a tile's end is `min(start.saturating_add(tile), end)`, which cannot overflow for any tile
//! size.

use std::ops::Range;

use crate::global::with_registry;
use crate::job::StackJob;
use crate::join::join_in_worker;
use crate::latch::SpinLatch;
use crate::registry::Registry;
use crate::request::cancel;
use crate::request::context::RequestCtx;
use crate::worker::WorkerThread;

/// Where a loop running inside a request reports its progress (for predictive policies):
/// its length when it starts, then each finished block. Null outside requests, so loops
/// outside requests pay one branch per block.
#[derive(Copy, Clone)]
struct Progress(*const RequestCtx);

// SAFETY: the pointer is only read through `&RequestCtx`, whose fields are atomics, and the
// context outlives the loop: the task running the loop holds a reference to it, and the loop
// returns only after every block (on any thread) has finished.
unsafe impl Send for Progress {}
// SAFETY: as above.
unsafe impl Sync for Progress {}

impl Progress {
    fn of(wt: &WorkerThread) -> Progress {
        Progress(wt.current_ctx_ptr())
    }

    #[inline]
    fn announce(self, units: usize) {
        // SAFETY: see the `Send` impl: non-null means a live context.
        if let Some(ctx) = unsafe { self.0.as_ref() } {
            ctx.announce_work(units);
        }
    }

    /// What a block boundary on worker `me` must do for the request (one relaxed load while
    /// the request shares, one branch outside requests). A cancelled request stops sharing,
    /// so its loops find the cancellation here, on the slow path, and unwind
    /// (`request/cancel.rs`).
    #[inline]
    fn at_boundary(self, me: usize) -> Boundary {
        // SAFETY: as in `announce`.
        match unsafe { self.0.as_ref() } {
            Some(ctx) if !ctx.shareable() => match ctx.unshared_home(me) {
                _ if ctx.is_cancelled() => cancel::raise(),
                Some(home) => Boundary::SendHome(home),
                None if ctx.yields() => Boundary::Yield,
                None => Boundary::Continue,
            },
            _ => Boundary::Continue,
        }
    }

    #[inline]
    fn done(self, units: usize) {
        // SAFETY: as in `announce`.
        if let Some(ctx) = unsafe { self.0.as_ref() } {
            ctx.report_work(units);
        }
    }
}

/// Upper bound on the automatic block size of `forall` and the tiled loops: at most this many
/// indices run between two heartbeat checks.
const MAX_AUTO_GRAIN: usize = 4096;
/// Automatic blocks aim for this many blocks per worker, so the last split is still fine.
const BLOCKS_PER_WORKER: usize = 256;
/// The longest a free block should take. A thief that asks for work waits until its victim
/// finishes the block it is running, so blocks of expensive indices (4,096 primality tests
/// near 2·10^6 take about 0.9 ms) left it idle for half a block on average at every steal.
/// Each frame of a split loop times its first block; a block longer than this shrinks the
/// grain of the rest of the frame's range and of every split made from it, so that blocks
/// take about this long. Per-block costs are tens of nanoseconds: a 0.05% overhead at most.
const BLOCK_TIME: std::time::Duration = std::time::Duration::from_micros(100);

/// Calls `f(i)` for every `i` in `range`, in parallel, each index exactly once.
///
/// Blocks of indices are sized automatically; use [`forall_chunked`] to choose them. Called
/// outside any pool, it runs on the global pool and blocks the caller.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// let sum = AtomicU64::new(0);
/// ontime_core::forall(0..1000, |i| { sum.fetch_add(i as u64, Ordering::Relaxed); });
/// assert_eq!(sum.into_inner(), 999 * 1000 / 2);
/// ```
pub fn forall<F>(range: Range<usize>, f: F)
where
    F: Fn(usize) + Sync + Send,
{
    with_registry(|r| forall_in(r, range, &f))
}

/// Calls `f` on consecutive sub-ranges of `range` (each at most `grain` long, all but the last
/// exactly `grain` long), in parallel; together they cover `range` exactly once.
///
/// # Panics
/// If `grain` is zero.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// let data: Vec<u64> = (0..10_000).collect();
/// let total = AtomicU64::new(0);
/// ontime_core::forall_chunked(0..data.len(), 512, |block| {
///     assert!(block.len() == 512 || block.end == data.len());
///     // One atomic add per block, not per element.
///     total.fetch_add(data[block].iter().sum(), Ordering::Relaxed);
/// });
/// assert_eq!(total.into_inner(), 9_999 * 10_000 / 2);
/// ```
///
/// To write disjoint parts of a buffer, `par_chunks_mut` (`ontime_core::prelude`) gives each
/// block its own `&mut` slice without `unsafe`.
pub fn forall_chunked<F>(range: Range<usize>, grain: usize, f: F)
where
    F: Fn(Range<usize>) + Sync + Send,
{
    assert!(
        grain > 0,
        "ontime: forall_chunked needs a grain of at least 1"
    );
    let work = range.len();
    with_registry(|r| run_blocks(r, range, grain, Blocks::Exact, work, &Each(&f)))
}

/// Tiled 2-D loop: calls `f(rows, cols)` once per tile of at most `tile[0] × tile[1]`
/// elements; the tiles cover `rows × cols` exactly once (ragged edges give smaller tiles).
/// Any tile extent works, `usize::MAX` included (one tile spans the whole dimension).
///
/// # Panics
/// If a tile extent is zero, or if the number of tiles does not fit in a `usize`.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let cells = AtomicUsize::new(0);
/// ontime_core::forall_2d(0..100, 0..70, [16, 32], |r, c| {
///     cells.fetch_add(r.len() * c.len(), Ordering::Relaxed);
/// });
/// assert_eq!(cells.into_inner(), 7000);
/// ```
pub fn forall_2d<F>(rows: Range<usize>, cols: Range<usize>, tile: [usize; 2], f: F)
where
    F: Fn(Range<usize>, Range<usize>) + Sync + Send,
{
    with_registry(|r| forall_nd_in(r, [rows, cols], tile, &|[a, b]: [Range<usize>; 2]| f(a, b)))
}

/// Tiled 3-D loop: like [`forall_2d`], over three dimensions; `f` gets the tile's ranges.
///
/// # Panics
/// If a tile extent is zero, or if the number of tiles does not fit in a `usize`.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let cells = AtomicUsize::new(0);
/// ontime_core::forall_3d([0..10, 0..9, 0..8], [4, 4, 4], |[a, b, c]| {
///     cells.fetch_add(a.len() * b.len() * c.len(), Ordering::Relaxed);
/// });
/// assert_eq!(cells.into_inner(), 720);
/// ```
pub fn forall_3d<F>(ranges: [Range<usize>; 3], tile: [usize; 3], f: F)
where
    F: Fn([Range<usize>; 3]) + Sync + Send,
{
    with_registry(|r| forall_nd_in(r, ranges, tile, &f))
}

/// Tiled 4-D loop: like [`forall_2d`], over four dimensions; `f` gets the tile's ranges.
///
/// # Panics
/// If a tile extent is zero, or if the number of tiles does not fit in a `usize`.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let cells = AtomicUsize::new(0);
/// ontime_core::forall_4d([0..3, 0..4, 0..5, 0..6], [2, 2, 2, 2], |t| {
///     cells.fetch_add(t.iter().map(|r| r.len()).product(), Ordering::Relaxed);
/// });
/// assert_eq!(cells.into_inner(), 360);
/// ```
pub fn forall_4d<F>(ranges: [Range<usize>; 4], tile: [usize; 4], f: F)
where
    F: Fn([Range<usize>; 4]) + Sync + Send,
{
    with_registry(|r| forall_nd_in(r, ranges, tile, &f))
}

/// The automatic block size of a loop of `len` indices on `threads` workers (also the
/// parallel iterators').
pub(crate) fn auto_grain(len: usize, threads: usize) -> usize {
    (len / (threads * BLOCKS_PER_WORKER).max(1)).clamp(1, MAX_AUTO_GRAIN)
}

pub(crate) fn forall_in<F>(registry: &Registry, range: Range<usize>, f: &F)
where
    F: Fn(usize) + Sync,
{
    let grain = auto_grain(range.len(), registry.num_threads());
    let body = |block: Range<usize>| {
        for i in block {
            f(i)
        }
    };
    let work = range.len();
    run_blocks(registry, range, grain, Blocks::FREE, work, &Each(&body));
}

pub(crate) fn forall_nd_in<const N: usize, F>(
    registry: &Registry,
    ranges: [Range<usize>; N],
    tile: [usize; N],
    f: &F,
) where
    F: Fn([Range<usize>; N]) + Sync,
{
    assert!(
        tile.iter().all(|&t| t > 0),
        "ontime: tile extents must be at least 1, got {tile:?}"
    );
    if ranges.iter().any(|r| r.is_empty()) {
        return;
    }
    let counts: [usize; N] = std::array::from_fn(|d| ranges[d].len().div_ceil(tile[d]));
    let tiles = counts
        .iter()
        .try_fold(1usize, |acc, &c| acc.checked_mul(c))
        .unwrap_or_else(|| {
            panic!(
                "ontime: a {N}-D loop over {ranges:?} in tiles of {tile:?} has more tiles than a \
                 usize can count; use larger tiles"
            )
        });
    let elements = ranges
        .iter()
        .fold(1usize, |acc, r| acc.saturating_mul(r.len()));
    let tile_of = |mut t: usize| -> [Range<usize>; N] {
        let mut out: [Range<usize>; N] = std::array::from_fn(|_| 0..0);
        // Row-major: the last dimension varies fastest, for locality.
        for d in (0..N).rev() {
            let k = t % counts[d];
            t /= counts[d];
            // `k < counts[d]`, so `k * tile[d] < len`: no overflow, and `start < end`. The end
            // saturates instead of wrapping. Measured (interleaved rounds against the previous
            // `(start + tile).min(end)`, 512² tiled matrix product, 2 threads): this form is
            // level (1.008-1.011x), while `start + min(tile, end - start)` and a `checked_add`
            // made LLVM compile the loop body differently and ran 1.07-1.09x slower.
            let start = ranges[d].start + k * tile[d];
            let stop = start.saturating_add(tile[d]).min(ranges[d].end);
            out[d] = start..stop;
        }
        out
    };
    let body = |block: Range<usize>| {
        for t in block {
            f(tile_of(t))
        }
    };
    run_blocks(
        registry,
        0..tiles,
        auto_grain(tiles, registry.num_threads()),
        Blocks::FREE,
        elements,
        &Each(&body),
    );
}

/// Whether a loop's blocks must be exactly `grain` long.
#[derive(Copy, Clone)]
pub(crate) enum Blocks {
    /// `forall_chunked`: every block but the last is exactly `grain` long (its contract).
    Exact,
    /// `forall`, the tiled loops and the parallel iterators, whose bodies see single indices
    /// or tiles: blocks may be shorter than `grain` at the end of a range (`tail_block`),
    /// when a thief asks for work while one block is left, and when a block takes longer
    /// than [`BLOCK_TIME`] (the grain then shrinks, never below `floor`).
    Free {
        /// The shortest block the time bound may make (`with_min_len`; 1 for loops). A floor
        /// of 0 counts as 1 ([`Blocks::shrinkable`]): a block is never empty.
        floor: usize,
    },
}

impl Blocks {
    /// Free blocks that may shrink to single indices.
    pub(crate) const FREE: Blocks = Blocks::Free { floor: 1 };

    /// The floor `grain` may still shrink to ([`BLOCK_TIME`]): `None` for exact blocks and
    /// for a grain already at its floor, whose blocks are then not timed at all.
    #[inline]
    fn shrinkable(self, grain: usize) -> Option<usize> {
        match self {
            Blocks::Free { floor } => {
                let floor = floor.max(1);
                (grain > floor).then_some(floor)
            }
            Blocks::Exact => None,
        }
    }

    /// The grain that makes the blocks of a range last about [`BLOCK_TIME`], given that a
    /// block of `len` indices took `took`; `None` to keep `grain`.
    #[inline]
    fn shorter(self, grain: usize, len: usize, took: std::time::Duration) -> Option<usize> {
        let floor = self.shrinkable(grain)?;
        if took <= BLOCK_TIME {
            return None;
        }
        let fit = len as u128 * BLOCK_TIME.as_nanos() / took.as_nanos().max(1);
        Some((fit as usize).clamp(floor, grain))
    }

    /// The longest range that a split on demand leaves whole.
    #[inline]
    fn min_split(self, grain: usize) -> usize {
        match self {
            Blocks::Exact => grain,
            Blocks::Free { .. } => 1,
        }
    }

    /// The next block of a range with `len` indices left.
    #[inline]
    fn next(self, grain: usize, len: usize) -> usize {
        match self {
            Blocks::Exact => grain.min(len),
            Blocks::Free { .. } => tail_block(grain, len),
        }
    }
}

/// What a loop computes from its blocks. `forall` and its kin only run them ([`Each`]);
/// parallel iterators (`crate::iter`) fold each block into an accumulator and combine
/// neighbouring accumulators, always left with right, so a fold sees its range in index order.
///
/// The splitting below is the same for both: a frame starts its own accumulator, folds its
/// blocks into it, and at a split combines it with the left half's, then with the right
/// half's (`acc ++ left ++ right` is the frame's range in order).
pub(crate) trait BlockFold: Sync {
    type Acc: Send;
    /// The accumulator of an empty range.
    fn start(&self) -> Self::Acc;
    /// Folds the next block (which follows everything `acc` covers) into `acc`.
    fn block(&self, acc: Self::Acc, block: Range<usize>) -> Self::Acc;
    /// `left` covers the indices just before `right`'s.
    fn combine(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc;
}

/// The fold of `forall`: runs each block, computes nothing.
pub(crate) struct Each<'f, F>(pub(crate) &'f F);

impl<F: Fn(Range<usize>) + Sync> BlockFold for Each<'_, F> {
    type Acc = ();

    #[inline]
    fn start(&self) {}

    #[inline]
    fn block(&self, (): (), block: Range<usize>) {
        run_block(self.0, block)
    }

    #[inline]
    fn combine(&self, (): (), (): ()) {}
}

/// Folds `range` in blocks of `grain` on a worker of `registry` (see "Where a loop runs"), in
/// parallel unless the loop is small: `work` elements (the range's length, or a tiled loop's
/// element count) below the minimum work size, or one block.
pub(crate) fn run_blocks<B: BlockFold>(
    registry: &Registry,
    range: Range<usize>,
    grain: usize,
    blocks: Blocks,
    work: usize,
    fold: &B,
) -> B::Acc {
    if range.is_empty() {
        return fold.start();
    }
    registry.install(|wt| {
        let len = range.len();
        let progress = Progress::of(wt);
        progress.announce(len);
        if len <= grain || work < registry.min_work_size() || registry.num_threads() == 1 {
            return run_serial(wt, range, grain, fold, progress);
        }
        let splits = initial_splits(registry.num_threads());
        let s = Split {
            grain,
            initial: splits,
            progress,
            blocks,
        };
        split_run(wt, range.start, range.end, fold, splits, s)
    })
}

fn run_serial<B: BlockFold>(
    wt: &WorkerThread,
    range: Range<usize>,
    grain: usize,
    fold: &B,
    p: Progress,
) -> B::Acc {
    let mut acc = fold.start();
    let mut start = range.start;
    while start < range.end {
        // A serial loop never sends work home (it is small, or the pool has one worker),
        // but a deprioritized request still yields at its boundaries.
        if let Boundary::Yield = p.at_boundary(wt.index()) {
            wt.yield_to_queued();
        }
        let stop = start + grain.min(range.end - start);
        acc = fold.block(acc, start..stop);
        p.done(stop - start);
        start = stop;
    }
    acc
}

/// Runs one block of a loop body.
///
/// Kept out of line on purpose: the body (often a numeric kernel) is then compiled into this
/// small leaf function, as it would be in a hand-written loop, instead of into the large,
/// recursive `split_run`, where it measured about 3% slower (a 512×512 tiled matrix
/// product, 2 threads). One direct call per block costs nothing at block granularity.
#[inline(never)]
fn run_block<F: Fn(Range<usize>)>(f: &F, block: Range<usize>) {
    f(block)
}

/// What a loop does at a block boundary.
enum Boundary {
    /// Run the next block.
    Continue,
    /// The request stopped sharing and this worker is not its home: send the rest home.
    SendHome(usize),
    /// The request is deprioritized: run a queued request first.
    Yield,
}

/// What stays the same across one loop's splits.
#[derive(Copy, Clone)]
struct Split {
    grain: usize,
    /// Eager splits a loop (or a stolen half of it) starts with.
    initial: u32,
    progress: Progress,
    blocks: Blocks,
}

/// `ceil(log2(threads))`: eager splits that give every worker a piece without waiting for
/// a heartbeat.
fn initial_splits(threads: usize) -> u32 {
    threads.next_power_of_two().trailing_zeros()
}

fn split_run<B: BlockFold>(
    wt: &WorkerThread,
    mut start: usize,
    end: usize,
    fold: &B,
    splits: u32,
    mut s: Split,
) -> B::Acc {
    let mut acc = fold.start();
    // The first block this frame runs is timed (`BLOCK_TIME`): two clock reads per frame.
    let mut timed = s.blocks.shrinkable(s.grain).is_some();
    while start < end {
        let grain = s.grain;
        match s.progress.at_boundary(wt.index()) {
            Boundary::Continue => {}
            Boundary::SendHome(home) => {
                let rest = send_home(wt, home, start, end, fold, s);
                return fold.combine(acc, rest);
            }
            Boundary::Yield => wt.yield_to_queued(),
        }
        let len = end - start;
        // Eager splits stop at one block; a split on demand may cut the last block in two,
        // so the last idle worker gets half of it instead of waiting for all of it.
        if (len > grain && splits > 0) || (len > s.blocks.min_split(grain) && wt.heartbeat_due()) {
            let mid = if len > grain {
                start + (len.div_ceil(grain) / 2) * grain
            } else {
                start + len / 2
            };
            if splits > 0 {
                // Make the join below share its fork now rather than at the next heartbeat.
                wt.request_heartbeat();
            }
            // A split on demand (a heartbeat: an idle thief asked, or the timer ticked) also
            // re-splits the half kept here once, so a second piece already waits in this
            // worker's deque when the next thief comes.
            let next = if splits > 0 { splits - 1 } else { SPARE_SPLITS };
            let (left, right) = join_in_worker(
                wt,
                || split_run(wt, start, mid, fold, next, s),
                move |migrated| {
                    let thief = WorkerThread::current();
                    // SAFETY: forks only ever run on worker threads.
                    let thief = unsafe { &*thief };
                    let again = if migrated { s.initial } else { next };
                    split_run(thief, mid, end, fold, again, s)
                },
            );
            return fold.combine(fold.combine(acc, left), right);
        }
        let stop = start + s.blocks.next(grain, len);
        let clock = std::mem::take(&mut timed).then(std::time::Instant::now);
        acc = fold.block(acc, start..stop);
        if let Some(g) = clock.and_then(|c| s.blocks.shorter(grain, stop - start, c.elapsed())) {
            s.grain = g;
        }
        s.progress.done(stop - start);
        start = stop;
    }
    acc
}

/// Eager re-splits of the half a worker keeps after a split on demand.
const SPARE_SPLITS: u32 = 1;

/// How many remaining blocks a range keeps at full size before its blocks start to shrink.
const TAIL_BLOCKS: usize = 8;

/// The next block of a range with `len` indices left: `grain`, except in the range's last
/// `TAIL_BLOCKS` blocks, where it is `len / TAIL_BLOCKS` (at least 1).
///
/// A thief that asks for work waits until its victim finishes the block it is running, so
/// the blocks a range ends with bound how long the last idle worker waits. Shrinking them
/// (as in guided self-scheduling) costs about `TAIL_BLOCKS * log2(grain)` extra block
/// boundaries per range (a few hundred nanoseconds), and stops a loop whose last indices are
/// its most expensive from ending on one worker's long final block.
#[inline]
fn tail_block(grain: usize, len: usize) -> usize {
    grain.min(len.div_ceil(TAIL_BLOCKS))
}

/// This worker holds part of a loop whose request stopped sharing: the request must not be
/// helped any more, so the rest of the range (and every pending fork of the request) goes to
/// the request's home worker, and this worker waits for it, running other work meanwhile
/// (typically admitting new requests). See `request/README.md`.
#[cold]
#[inline(never)]
fn send_home<B: BlockFold>(
    wt: &WorkerThread,
    home: usize,
    start: usize,
    end: usize,
    fold: &B,
    s: Split,
) -> B::Acc {
    let job = StackJob::new(
        move |_migrated| {
            let runner = WorkerThread::current();
            // SAFETY: handed-back jobs only ever run on worker threads.
            let runner = unsafe { &*runner };
            split_run(runner, start, end, fold, 0, s)
        },
        SpinLatch::new(wt.wake_target()),
    );
    // SAFETY: `job` stays in this frame, unmoved, until its latch is set below.
    wt.send_home(home, unsafe { job.as_job_ref() });
    wt.wait_until(&job.latch.core);
    // SAFETY: the latch is set: the home worker has run the job and let go of it.
    unsafe { job.take_result() }
}

/// A raw pointer that may be shared between the iterations of a parallel loop, for bodies that
/// write disjoint elements of one buffer. For experts: the safe way to write disjoint parts of
/// a buffer is `par_iter_mut()` or `par_chunks_mut(n)` (`ontime_core::prelude`), which cost
/// the same.
///
/// # Safety contract
/// Creating and copying one is safe; every dereference is `unsafe`, and the caller must make
/// sure that
/// - every offset stays inside the allocation (a `SyncPtr` carries no length: an index
///   mistake is undefined behaviour, not a panic);
/// - no element is written by two iterations, or read by one while another writes it;
/// - the buffer outlives the loop and is not used through anything else meanwhile (hold the
///   `&mut` borrow the pointer came from until the loop returns).
///
/// ```
/// let mut out = vec![0usize; 100];
/// let p = ontime_core::SyncPtr::new(out.as_mut_ptr());
/// ontime_core::forall(0..100, |i| {
///     // SAFETY: each index is visited once, so each element has one writer.
///     unsafe { *p.get().add(i) = i * i }
/// });
/// assert_eq!(out[9], 81);
/// ```
#[derive(Debug)]
pub struct SyncPtr<T>(*mut T);

impl<T> Clone for SyncPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SyncPtr<T> {}

// SAFETY: the pointer itself is just an address; every dereference is an `unsafe` operation
// whose caller vouches for the absence of data races.
unsafe impl<T: Send> Send for SyncPtr<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SyncPtr<T> {}

impl<T> SyncPtr<T> {
    /// Wraps `ptr`.
    pub fn new(ptr: *mut T) -> Self {
        SyncPtr(ptr)
    }
    /// The wrapped pointer.
    pub fn get(self) -> *mut T {
        self.0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use super::{tail_block, Blocks, BLOCK_TIME, TAIL_BLOCKS};

    #[test]
    fn tail_blocks_shrink_only_at_the_end_and_cover_the_range() {
        for grain in [1, 3, 8, 4096] {
            for len in [1, 2, 7, 8, 9, 63, 64, 65, 1000, 100_000] {
                let mut left = len;
                let mut blocks = Vec::new();
                while left > 0 {
                    let b = tail_block(grain, left);
                    assert!(
                        b >= 1 && b <= grain,
                        "grain {grain}, {left} left: block {b}"
                    );
                    if left >= grain * TAIL_BLOCKS {
                        assert_eq!(b, grain, "full blocks until the tail");
                    }
                    blocks.push(b);
                    left -= b;
                }
                assert_eq!(blocks.iter().sum::<usize>(), len);
                // Non-increasing: the last blocks are the shortest.
                assert!(blocks.windows(2).all(|w| w[0] >= w[1]));
            }
        }
    }

    #[test]
    fn a_slow_free_block_shrinks_the_grain_to_the_block_time_never_below_its_floor() {
        let us = Duration::from_micros;
        let free = Blocks::FREE;
        // 4,096 indices in 900 µs: blocks of the time bound hold 4096 × 100 / 900 of them.
        assert_eq!(free.shorter(4096, 4096, us(900)), Some(455));
        // Measured on a shorter block (a tail block): the rate is what counts.
        assert_eq!(free.shorter(4096, 1024, us(400)), Some(256));
        // Fast enough, or already single indices: unchanged.
        assert_eq!(free.shorter(4096, 4096, BLOCK_TIME), None);
        assert_eq!(free.shorter(1, 1, us(10_000)), None);
        // Extremely slow indices: one per block, never zero.
        assert_eq!(free.shorter(4096, 4096, Duration::from_secs(10)), Some(1));
        // `with_min_len(64)`: never below 64, and a grain at its floor stays.
        let floored = Blocks::Free { floor: 64 };
        assert_eq!(
            floored.shorter(4096, 4096, Duration::from_secs(10)),
            Some(64)
        );
        assert_eq!(floored.shorter(64, 64, Duration::from_secs(10)), None);
        // `forall_chunked`'s blocks are the caller's: never resized.
        assert_eq!(Blocks::Exact.shorter(4096, 4096, us(900)), None);
    }
}
