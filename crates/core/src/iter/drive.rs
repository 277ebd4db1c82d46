//! The one driver every parallel iterator consumer goes through: the iterator's base indices
//! are run as a loop (`forall.rs`'s adaptive splitting, with its request context, progress
//! reports and hand-back rules), and each block of indices becomes one serial piece that a
//! [`Consumer`] folds into its accumulator.

use std::ops::Range;

use crate::forall::{auto_grain, run_blocks, BlockFold, Blocks};
use crate::global::with_registry;

use super::ParallelIterator;

/// What a consumer does with the pieces of an iterator.
pub(crate) trait Consumer<T>: Sync {
    type Acc: Send;
    /// The accumulator of no items.
    fn start(&self) -> Self::Acc;
    /// Folds the items of the base indices `range` (which follow everything `acc` covers).
    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Self::Acc,
        range: Range<usize>,
        items: I,
    ) -> Self::Acc;
    /// `left` covers the indices just before `right`'s.
    fn combine(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc;
}

struct Blocked<'a, P, C> {
    iter: &'a P,
    consumer: &'a C,
}

impl<P: ParallelIterator, C: Consumer<P::Item>> BlockFold for Blocked<'_, P, C> {
    type Acc = C::Acc;

    #[inline]
    fn start(&self) -> C::Acc {
        self.consumer.start()
    }

    #[inline]
    fn block(&self, acc: C::Acc, block: Range<usize>) -> C::Acc {
        // SAFETY: the loop hands out every block of `0..base_len` exactly once (the blocks of
        // a loop are disjoint and each runs once: `forall.rs`), which is `piece`'s contract.
        let items = unsafe { self.iter.piece(block.clone()) };
        self.consumer.feed(acc, block, items)
    }

    #[inline]
    fn combine(&self, left: C::Acc, right: C::Acc) -> C::Acc {
        self.consumer.combine(left, right)
    }
}

/// Runs `iter` into `consumer` on the current pool (or the global one).
pub(crate) fn drive<P: ParallelIterator, C: Consumer<P::Item>>(
    mut iter: P,
    consumer: &C,
) -> C::Acc {
    iter.begin();
    let len = iter.base_len();
    with_registry(|r| {
        // Blocks sized as `forall`'s, but never below `with_min_len`.
        let floor = iter.min_len();
        let grain = auto_grain(len, r.num_threads()).max(floor);
        let fold = Blocked {
            iter: &iter,
            consumer,
        };
        run_blocks(r, 0..len, grain, Blocks::Free { floor }, len, &fold)
    })
}
