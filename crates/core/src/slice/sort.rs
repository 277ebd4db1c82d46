//! `par_sort_unstable*`: a parallel quicksort. A slice is partitioned around a pivot and the
//! two sides are sorted with `join`, down to pieces that `std`'s `sort_unstable_by` sorts
//! serially.
//!
//! Partitioning is what a serial quicksort does first anyway, so the parallel levels add
//! little work; only the first partition runs on one worker alone (about one comparison and
//! one swap per element). The recursion depth is bounded: a side that a bad pivot left too
//! large (many equal keys, say) is sorted serially once the bound is reached, so at most that
//! many partition passes are spent before `std`'s sort (which copes with any input) takes
//! over. Everything is safe code: a comparison that panics leaves a permutation.

use std::cmp::Ordering;

use super::SERIAL;
use crate::join::join;

/// Pieces per worker the recursion aims for, so that stealing can even out the workers.
const PIECES_PER_THREAD: usize = 8;

pub(crate) fn sort_unstable<T, F>(v: &mut [T], compare: &F)
where
    T: Send,
    F: Fn(&T, &T) -> Ordering + Sync,
{
    let threads = crate::current_num_threads();
    if v.len() <= SERIAL || threads == 1 {
        v.sort_unstable_by(compare);
        return;
    }
    let pieces = threads * PIECES_PER_THREAD;
    let leaf = (v.len() / pieces).max(SERIAL);
    let depth = 2 * pieces.next_power_of_two().trailing_zeros() + 4;
    crate::global::in_worker(|_| quick(v, compare, leaf, depth));
}

fn quick<T, F>(v: &mut [T], compare: &F, leaf: usize, depth: u32)
where
    T: Send,
    F: Fn(&T, &T) -> Ordering + Sync,
{
    if v.len() <= leaf || depth == 0 {
        v.sort_unstable_by(compare);
        return;
    }
    // A cancelled request stops here, before it splits again (`request/cancel.rs`).
    crate::request::cancel::cancellation_point();
    let p = pivot(v, compare);
    v.swap(0, p);
    let (head, rest) = v.split_at_mut(1);
    let mid = partition(rest, &head[0], compare);
    // `v[1..=mid]` are less than the pivot: putting the pivot at `mid` leaves the smaller
    // elements before it and the others after it.
    v.swap(0, mid);
    let (left, right) = v.split_at_mut(mid);
    let right = &mut right[1..];
    join(
        || quick(left, compare, leaf, depth - 1),
        || quick(right, compare, leaf, depth - 1),
    );
}

/// Moves the elements less than `pivot` to the front and returns how many there are.
///
/// Lomuto's scheme without a branch on the comparison: every element is swapped with the
/// first one not known to be less, and that position advances only past a smaller element.
/// Everything between that position and the scan is not less than the pivot, so an
/// unconditional swap keeps the invariant, and the loop has no unpredictable branch.
fn partition<T, F>(v: &mut [T], pivot: &T, compare: &F) -> usize
where
    F: Fn(&T, &T) -> Ordering,
{
    let mut lt = 0;
    for i in 0..v.len() {
        let less = compare(&v[i], pivot) == Ordering::Less;
        v.swap(lt, i);
        lt += usize::from(less);
    }
    lt
}

/// The index of a pivot: the median of three medians of three, spread over the slice.
fn pivot<T, F>(v: &[T], compare: &F) -> usize
where
    F: Fn(&T, &T) -> Ordering,
{
    let n = v.len();
    let med = |a: usize, b: usize, c: usize| {
        let less = |x: usize, y: usize| compare(&v[x], &v[y]) == Ordering::Less;
        if less(a, b) {
            if less(b, c) {
                b
            } else if less(a, c) {
                c
            } else {
                a
            }
        } else if less(a, c) {
            a
        } else if less(b, c) {
            c
        } else {
            b
        }
    };
    let q = n / 4;
    let d = (n / 16).max(1);
    med(
        med(q - d, q, q + d),
        med(2 * q - d, 2 * q, 2 * q + d),
        med(3 * q - d, 3 * q, 3 * q + d),
    )
}
