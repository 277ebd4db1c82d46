//! `par_sort*` (stable): a parallel merge sort. The slice is cut into a few pieces per worker,
//! `std`'s stable `sort_by` sorts each, and sorted neighbours are merged in parallel into a
//! buffer and copied back, level by level.
//!
//! # Why it is safe when a comparison panics
//! A merge only *reads* the slice and writes bitwise copies into the buffer, whose slots are
//! `MaybeUninit` (never dropped); the copy back into the slice happens after every merge of
//! the level has finished and cannot panic. So at any panic the slice still owns each of its
//! elements exactly once (a permutation of the input), and the buffer owns nothing.
//!
//! # Stability
//! A serial merge takes from the left run unless the right element is strictly less. A
//! parallel merge cuts the longer run at its middle element `k` and the other run where it
//! keeps the same order: when cutting the left run, the right run's elements less than `k`
//! go first; when cutting the right run, the left run's elements not greater than `k` do. In
//! both cases no element moves past an equal one from the other run in the wrong direction.

use std::cmp::Ordering;
use std::mem::MaybeUninit;
use std::ptr;

use super::SERIAL;
use crate::join::join;
use crate::SyncPtr;

/// Merges this short run serially.
const SERIAL_MERGE: usize = 1 << 14;
/// Sorted pieces per worker (a power of two): few, because each level of merging copies the
/// whole slice twice.
const PIECES_PER_THREAD: usize = 2;

pub(crate) fn sort<T, F>(v: &mut [T], compare: &F)
where
    T: Send,
    F: Fn(&T, &T) -> Ordering + Sync,
{
    let threads = crate::current_num_threads();
    if v.len() <= SERIAL || threads == 1 {
        v.sort_by(compare);
        return;
    }
    let pieces = (threads * PIECES_PER_THREAD).next_power_of_two();
    let leaf = v.len().div_ceil(pieces).max(SERIAL);
    let mut buf: Vec<T> = Vec::with_capacity(v.len());
    let buf = &mut buf.spare_capacity_mut()[..v.len()];
    crate::global::in_worker(|_| merge_sort(v, buf, compare, leaf));
}

fn merge_sort<T, F>(v: &mut [T], buf: &mut [MaybeUninit<T>], compare: &F, leaf: usize)
where
    T: Send,
    F: Fn(&T, &T) -> Ordering + Sync,
{
    if v.len() <= leaf {
        v.sort_by(compare);
        return;
    }
    // A cancelled request stops here, before it splits again (`request/cancel.rs`); an
    // unwind here is safe for the reason a panicking comparison is.
    crate::request::cancel::cancellation_point();
    let mid = v.len() / 2;
    {
        let (vl, vr) = v.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        join(
            || merge_sort(vl, bl, compare, leaf),
            || merge_sort(vr, br, compare, leaf),
        );
    }
    if compare(&v[mid], &v[mid - 1]) != Ordering::Less {
        // Already in order: nothing to merge.
        return;
    }
    let src = SyncPtr::new(v.as_mut_ptr());
    let dst = SyncPtr::new(buf.as_mut_ptr().cast::<T>());
    // SAFETY: `src` holds `v.len()` initialised elements, `dst` room for as many; the merge
    // reads the two halves and writes each of `dst`'s slots once, in disjoint parallel
    // parts. `v` is not used meanwhile.
    unsafe { merge(src, mid, offset(src, mid), v.len() - mid, dst, compare) };
    // SAFETY: every slot of `dst` holds a bitwise copy of one element of `v` (a permutation
    // of them); copying them back over `v` keeps each element owned once, by `v`.
    unsafe { copy_back(dst, src, v.len()) };
}

// The parallel parts of one merge carry `SyncPtr`s to other workers: they touch disjoint
// elements, and an element only moves from one worker to another, never shared, which
// `T: Send` allows (`SyncPtr`'s contract).

/// `p + n`.
///
/// # Safety
/// As `pointer::add`.
unsafe fn offset<T>(p: SyncPtr<T>, n: usize) -> SyncPtr<T> {
    // SAFETY: the caller's.
    SyncPtr::new(unsafe { p.get().add(n) })
}

/// The element at `p + i`.
///
/// # Safety
/// `i` is in bounds of an initialised run, and no one writes it meanwhile.
unsafe fn at<'a, T>(p: SyncPtr<T>, i: usize) -> &'a T {
    // SAFETY: the caller's.
    unsafe { &*p.get().add(i) }
}

/// Merges the sorted runs `a[..na]` and `b[..nb]` into `dst[..na + nb]` by bitwise copies.
///
/// # Safety
/// The runs are initialised and not written meanwhile; `dst` has room for `na + nb` elements
/// and overlaps neither run.
unsafe fn merge<T, F>(
    a: SyncPtr<T>,
    na: usize,
    b: SyncPtr<T>,
    nb: usize,
    dst: SyncPtr<T>,
    compare: &F,
) where
    T: Send,
    F: Fn(&T, &T) -> Ordering + Sync,
{
    if na + nb <= SERIAL_MERGE || na == 0 || nb == 0 {
        // SAFETY: the caller's.
        unsafe { merge_serial(a, na, b, nb, dst, compare) };
        return;
    }
    let (ia, ib) = if na >= nb {
        let ia = na / 2;
        // SAFETY: indices below `na` / `nb`, in initialised runs.
        let k = unsafe { at(a, ia) };
        let ib = partition_point(nb, |j| {
            // SAFETY: `j < nb`, in the initialised run `b`.
            compare(unsafe { at(b, j) }, k) == Ordering::Less
        });
        (ia, ib)
    } else {
        let ib = nb / 2;
        // SAFETY: as above.
        let k = unsafe { at(b, ib) };
        let ia = partition_point(na, |i| {
            // SAFETY: `i < na`, in the initialised run `a`.
            compare(unsafe { at(a, i) }, k) != Ordering::Greater
        });
        (ia, ib)
    };
    // SAFETY: the parts split both runs and `dst` at matching points, so each part's
    // destination has room for its runs and the parts touch disjoint elements.
    unsafe {
        let (a2, b2, dst2) = (offset(a, ia), offset(b, ib), offset(dst, ia + ib));
        join(
            move || merge(a, ia, b, ib, dst, compare),
            move || merge(a2, na - ia, b2, nb - ib, dst2, compare),
        );
    }
}

/// The first index in `0..n` for which `pred` is false (`pred` true then false).
fn partition_point(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let m = lo + (hi - lo) / 2;
        if pred(m) {
            lo = m + 1;
        } else {
            hi = m;
        }
    }
    lo
}

/// # Safety
/// As [`merge`].
unsafe fn merge_serial<T, F>(
    a: SyncPtr<T>,
    na: usize,
    b: SyncPtr<T>,
    nb: usize,
    dst: SyncPtr<T>,
    compare: &F,
) where
    F: Fn(&T, &T) -> Ordering,
{
    let (a, b, dst) = (a.get().cast_const(), b.get().cast_const(), dst.get());
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < na && j < nb {
        // SAFETY: `i < na` and `j < nb` index the runs; `k = i + j < na + nb` indexes `dst`.
        unsafe {
            let take_b = compare(&*b.add(j), &*a.add(i)) == Ordering::Less;
            let src = if take_b { b.add(j) } else { a.add(i) };
            ptr::copy_nonoverlapping(src, dst.add(k), 1);
            i += usize::from(!take_b);
            j += usize::from(take_b);
        }
        k += 1;
    }
    // SAFETY: the rest of each run fits in the rest of `dst`.
    unsafe {
        ptr::copy_nonoverlapping(a.add(i), dst.add(k), na - i);
        ptr::copy_nonoverlapping(b.add(j), dst.add(k + na - i), nb - j);
    }
}

/// Copies `n` elements from `src` back to `dst`, in parallel parts.
///
/// # Safety
/// Both hold `n` slots and do not overlap.
unsafe fn copy_back<T: Send>(src: SyncPtr<T>, dst: SyncPtr<T>, n: usize) {
    const PART: usize = 1 << 16;
    crate::forall_chunked(0..n, PART, |r| {
        // SAFETY: `r` lies in `0..n`, and the parts are disjoint.
        unsafe { ptr::copy_nonoverlapping(src.get().add(r.start), dst.get().add(r.start), r.len()) }
    });
}
