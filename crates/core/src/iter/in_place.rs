//! `collect`, `collect_into_vec`, `par_extend` and `unzip` of an indexed iterator: item `i`
//! is written straight to position `i` after the output's existing elements (for `unzip`,
//! the two halves of item `i` to position `i` of two outputs), with no intermediate buffer.
//!
//! **Invariant**: an output's length covers only written slots. Blocks write disjoint
//! positions: each base index is in one block, and a block writes only the positions of its
//! own range; each block checks that it wrote exactly one item per index of its range, and an
//! output's length is set only after every block has, so no slot is ever read uninitialised.
//! A panic leaks the items already written (the lengths are never set). Blocks share each
//! buffer through a `SyncPtr`, into which `Send` items move. A large fresh buffer is mapped
//! window by window just before the blocks write it (`prefault.rs`).

use std::mem::MaybeUninit;
use std::ops::Range;

use super::drive::{drive, Consumer};
use super::prefault::Prefault;
use super::ParallelIterator;
use crate::SyncPtr;

/// Appends `iter`'s items to `out`, in order.
pub(crate) fn append<T: Send, P: ParallelIterator<Item = T>>(out: &mut Vec<T>, iter: P) {
    let n = iter.base_len();
    let slot = Slot::after(out, n);
    check(drive(iter, &InPlace(slot)), n);
    // SAFETY: `check` passed: positions `len..len + n` were each written once, within the
    // capacity `Slot::after` reserved.
    unsafe { out.set_len(out.len() + n) };
}

/// Appends the first and second halves of `iter`'s items to `a` and `b`, in order.
pub(crate) fn unzip_append<A: Send, B: Send, P: ParallelIterator<Item = (A, B)>>(
    a: &mut Vec<A>,
    b: &mut Vec<B>,
    iter: P,
) {
    let n = iter.base_len();
    let slots = (Slot::after(a, n), Slot::after(b, n));
    check(drive(iter, &InPlace(slots)), n);
    // SAFETY: as in `append`, for both outputs.
    unsafe {
        a.set_len(a.len() + n);
        b.set_len(b.len() + n);
    }
}

fn check(written: usize, n: usize) {
    assert_eq!(
        written, n,
        "ontime: an indexed parallel iterator gave {written} items for {n} indices"
    );
}

/// The `n` slots after a vector's elements (reserved here), prefaulted if large and fresh.
struct Slot<T> {
    base: SyncPtr<MaybeUninit<T>>,
    prefault: Prefault,
}

impl<T: Send> Slot<T> {
    fn after(out: &mut Vec<T>, n: usize) -> Self {
        out.reserve(n);
        let spare = &mut out.spare_capacity_mut()[..n];
        Slot {
            prefault: Prefault::new(spare),
            base: SyncPtr::new(spare.as_mut_ptr()),
        }
    }
}

/// Where the items of one block go: one output, or the two halves of each item to two.
trait Slots<T>: Sync {
    /// Readies the slots of the positions `range` (prefaulting).
    fn block(&self, range: Range<usize>);
    /// Writes `item` at position `i`.
    ///
    /// # Safety
    /// `i` is below the `n` slots reserved, and no other call writes position `i`.
    unsafe fn write(&self, i: usize, item: T);
}

impl<T: Send> Slots<T> for Slot<T> {
    fn block(&self, range: Range<usize>) {
        self.prefault.block(range);
    }

    #[inline]
    unsafe fn write(&self, i: usize, item: T) {
        // SAFETY: `i` is within the slots reserved and written by this call only (the
        // caller's contract).
        unsafe { (*self.base.get().add(i)).write(item) };
    }
}

impl<A: Send, B: Send> Slots<(A, B)> for (Slot<A>, Slot<B>) {
    fn block(&self, range: Range<usize>) {
        self.0.block(range.clone());
        self.1.block(range);
    }

    #[inline]
    unsafe fn write(&self, i: usize, (a, b): (A, B)) {
        // SAFETY: forwarded under the caller's contract; both outputs have `n` slots.
        unsafe {
            self.0.write(i, a);
            self.1.write(i, b);
        }
    }
}

/// The consumer: each block writes its items to their positions and counts them.
struct InPlace<S>(S);

impl<T, S: Slots<T>> Consumer<T> for InPlace<S> {
    type Acc = usize;

    fn start(&self) -> usize {
        0
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: usize, range: Range<usize>, items: I) -> usize {
        self.0.block(range.clone());
        // Internal iteration (`fold`), so that pieces made of several parts (`chain`) run
        // each part as its own loop.
        let k = items.fold(0, |k, item| {
            assert!(
                k < range.len(),
                "ontime: an indexed parallel iterator gave more items than indices"
            );
            // SAFETY: `range.start + k < range.end <= n`, and no other block writes this
            // position (see the module note).
            unsafe { self.0.write(range.start + k, item) };
            k + 1
        });
        assert_eq!(
            k,
            range.len(),
            "ontime: an indexed parallel iterator gave fewer items than indices"
        );
        acc + k
    }

    fn combine(&self, left: usize, right: usize) -> usize {
        left + right
    }
}
