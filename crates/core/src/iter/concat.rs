//! Joining the runs of a non-indexed `collect` (a `filter`'s, say) into one `Vec`, in order;
//! `concat_map` does the same through a function of `Copy` elements (`partition` of
//! references into a `Vec` of values).
//!
//! A non-indexed collect gathers each run of blocks into a `Vec` of its own
//! (`consumers.rs`, `CollectBlocks`), and the result is those runs one after another. A small
//! result is joined on the calling worker: the first run's vector grows to hold the others,
//! so only they are copied. A large one (at least [`PARALLEL_BYTES`], on a pool of more than
//! one worker) is copied into a fresh vector by a parallel loop over the result's positions,
//! each block copying its positions from the runs that hold them, with the output prefaulted
//! as an indexed collect's is (`prefault.rs`). Joined serially, a filter that keeps tens of
//! megabytes would end in a serial copy of them, with a page fault per 4 KiB of the result.
//!
//! **Invariant: each element moves exactly once, and is dropped at most once.** The loop hands
//! out each position of `0..total` in exactly one block, once (`forall.rs`); position `p` is
//! element `p - start[i]` of the run `i` with `start[i] <= p < start[i + 1]`, so blocks read
//! disjoint elements and write disjoint slots. The copies are bitwise. Only when the loop has
//! returned does the result take ownership (its length becomes `total`) and each run give it
//! up (its length becomes 0, then its buffer is freed). If the loop unwinds instead (a
//! cancelled request), the result still has length 0 and every run still owns its
//! elements, so they are dropped once, by the runs, and the result's copies never are.

use std::mem::size_of;

use super::prefault::Prefault;
use crate::SyncPtr;

/// Results smaller than this are joined on the calling worker.
const PARALLEL_BYTES: usize = super::prefault::MIN_BYTES;

/// Bytes each block of the parallel copy moves.
const BLOCK_BYTES: usize = 64 << 10;

/// The runs of a collect, left to right, as one vector.
pub(crate) fn concat<T: Send>(mut runs: Vec<Vec<T>>) -> Vec<T> {
    if runs.len() <= 1 {
        return runs.pop().unwrap_or_default();
    }
    let total: usize = runs.iter().map(Vec::len).sum();
    let size = size_of::<T>();
    if size == 0 || total * size < PARALLEL_BYTES || crate::current_num_threads() < 2 {
        return serial(runs, total);
    }
    join(runs, total, |src, dst, n| {
        // SAFETY: `join`'s contract: `n` initialised elements at `src`, `n` free slots at
        // `dst`, in distinct allocations, touched by this call only.
        unsafe { std::ptr::copy_nonoverlapping(src, dst, n) }
    })
}

/// The runs, left to right, each element passed through `f` (`partition`'s references into
/// owned values). The elements are `Copy`, so reading them moves nothing out of the runs:
/// they still drop their (trivial) elements, and a panic in `f` leaks only what was written.
pub(crate) fn concat_map<S, T, F>(runs: Vec<Vec<S>>, f: F) -> Vec<T>
where
    S: Copy + Send + Sync,
    T: Send,
    F: Fn(S) -> T + Sync,
{
    let total: usize = runs.iter().map(Vec::len).sum();
    let size = size_of::<T>().max(size_of::<S>());
    if runs.len() <= 1
        || size == 0
        || total * size < PARALLEL_BYTES
        || crate::current_num_threads() < 2
    {
        return runs.iter().flatten().map(|&x| f(x)).collect();
    }
    join(runs, total, |src: *const S, dst: *mut T, n| {
        for k in 0..n {
            // SAFETY: `join`'s contract: `src + k` is an initialised element and `dst + k`
            // a free slot of this call's; `S: Copy`, so the read leaves the run intact.
            unsafe { dst.add(k).write(f(src.add(k).read())) }
        }
    })
}

/// The parallel loop of [`concat`] and [`concat_map`] over the `total` positions of the
/// result: `move_run(src, dst, n)` moves `n` elements of one run to their slots. Each call
/// gets a source range no other call reads and a destination range no other call writes.
fn join<S: Send, T: Send>(
    mut runs: Vec<Vec<S>>,
    total: usize,
    move_run: impl Fn(*const S, *mut T, usize) + Sync,
) -> Vec<T> {
    // `starts[i]` is run `i`'s first position in the result; `starts[runs.len()] == total`.
    let mut starts = Vec::with_capacity(runs.len() + 1);
    let mut at = 0;
    for r in &runs {
        starts.push(at);
        at += r.len();
    }
    starts.push(total);
    let srcs: Vec<SyncPtr<S>> = runs
        .iter_mut()
        .map(|r| SyncPtr::new(r.as_mut_ptr()))
        .collect();
    let mut out: Vec<T> = Vec::with_capacity(total);
    let spare = out.spare_capacity_mut();
    let prefault = Prefault::new(spare);
    let dst = SyncPtr::new(spare.as_mut_ptr().cast::<T>());
    let grain = (BLOCK_BYTES / size_of::<T>().max(1)).max(1);
    crate::forall_chunked(0..total, grain, |block| {
        prefault.block(block.clone());
        let mut p = block.start;
        // The last run that starts at or before `p` holds it (empty runs are skipped).
        let mut i = starts.partition_point(|&s| s <= p) - 1;
        while p < block.end {
            let n = starts[i + 1].min(block.end) - p;
            // Positions `p..p + n` are in run `i` (`starts[i] <= p` and `p + n <=
            // starts[i + 1]`), so the source is `n` initialised elements of that run; the
            // destination is inside the result's reserved capacity (`p + n <= total`); no
            // other block reads or writes these positions (the invariant above), and the two
            // buffers are distinct allocations.
            // SAFETY: both offsets stay inside their allocations, as just said.
            let (src, to) = unsafe { (srcs[i].get().add(p - starts[i]), dst.get().add(p)) };
            move_run(src, to, n);
            p += n;
            i += 1;
        }
    });
    // SAFETY: the loop returned, so every position below `total` holds the element moved
    // there; the runs give theirs up just below.
    unsafe { out.set_len(total) };
    for mut r in runs {
        // SAFETY: every element of `r` was moved into `out` above (or, for `concat_map`,
        // copied: `S: Copy`, nothing to drop); with length 0, dropping `r` frees its buffer.
        unsafe { r.set_len(0) };
    }
    out
}

/// The first run's vector (`concat` passes at least two), grown to hold the others.
fn serial<T>(runs: Vec<Vec<T>>, total: usize) -> Vec<T> {
    let mut runs = runs.into_iter();
    let mut out = runs.next().unwrap_or_default();
    out.reserve(total - out.len());
    for mut r in runs {
        out.append(&mut r);
    }
    out
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{concat, concat_map};
    use crate::ThreadPoolBuilder;

    /// Runs of every shape, empty ones among them, joined in order on 1 and 2 workers, above
    /// and below the parallel threshold; owned elements are neither dropped twice nor lost.
    #[test]
    fn runs_join_in_order_whatever_their_lengths() {
        for threads in [1, 2] {
            let pool = ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for lens in [
                vec![],
                vec![5],
                vec![0, 3, 0],
                vec![1, 2, 3],
                vec![100_000, 0, 1, 150_000, 7],
                vec![300_000, 300_000],
                vec![1; 1000],
            ] {
                let mut next = 0u64;
                let runs: Vec<Vec<u64>> = lens
                    .iter()
                    .map(|&n| {
                        let r = (next..next + n).collect();
                        next += n;
                        r
                    })
                    .collect();
                let got = pool.install(|| concat(runs));
                assert_eq!(got.len() as u64, next, "lengths {lens:?}");
                assert!(got.iter().enumerate().all(|(i, &x)| x == i as u64));
                // Owned elements (Strings) over the threshold: each moved once.
                let strings: Vec<Vec<String>> = lens
                    .iter()
                    .map(|&n| (0..n).map(|i| i.to_string()).collect())
                    .collect();
                let want: Vec<String> = strings.iter().flatten().cloned().collect();
                assert_eq!(pool.install(|| concat(strings)), want);
                // Through a function, from references: the same order, every element once.
                let values: Vec<u64> = (0..next).collect();
                let mut at = 0;
                let refs: Vec<Vec<&u64>> = lens
                    .iter()
                    .map(|&n| {
                        let r = values[at as usize..(at + n) as usize].iter().collect();
                        at += n;
                        r
                    })
                    .collect();
                let got = pool.install(|| concat_map(refs, |x: &u64| *x * 2));
                assert!(got.iter().enumerate().all(|(i, &x)| x == 2 * i as u64));
                assert_eq!(got.len() as u64, next);
            }
        }
    }
}
