//! Searches in index order: `find_first` and `find_last` (and through them `position_first`,
//! `position_last` and `try_for_each`).
//!
//! **Invariant**: the result is the item a serial search would find. Each block searches its
//! own items in order, and neighbouring results are combined preferring the left one
//! (`find_first`) or the right one (`find_last`), which gives the serial answer whatever the
//! splits. Blocks that cannot hold that answer are skipped to stop early: once a block
//! starting at base index `s` has found an item, no block starting after `s` can hold the
//! first one (a block's base indices, and so its items, all follow those of every block that
//! starts before it), and for the last one, no block ending at or before the start of a
//! block with a hit can hold it. The bound is published with `fetch_min` / `fetch_max`, so it
//! only tightens; a block that reads it late just searches for nothing. A skipped block's
//! piece is still made and dropped, so an owning source drops its elements.

use std::ops::{ControlFlow, Range};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::drive::Consumer;

/// `find_first`: the first item in index order for which `pred` holds.
pub(crate) struct FindFirst<P> {
    pred: P,
    /// The smallest start of a block that found an item (`usize::MAX`: none yet).
    bound: AtomicUsize,
}

impl<P> FindFirst<P> {
    pub(crate) fn new(pred: P) -> Self {
        FindFirst {
            pred,
            bound: AtomicUsize::new(usize::MAX),
        }
    }
}

impl<T: Send, P: Fn(&T) -> bool + Sync> Consumer<T> for FindFirst<P> {
    type Acc = Option<T>;

    fn start(&self) -> Option<T> {
        None
    }

    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Option<T>,
        range: Range<usize>,
        mut items: I,
    ) -> Option<T> {
        // `acc` covers indices before `range`: an item there comes first.
        if acc.is_some() || range.start > self.bound.load(Ordering::Relaxed) {
            return acc;
        }
        let hit = items.find(&self.pred);
        if hit.is_some() {
            self.bound.fetch_min(range.start, Ordering::Relaxed);
        }
        hit
    }

    fn combine(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        left.or(right)
    }
}

/// `find_last`: the last item in index order for which `pred` holds.
pub(crate) struct FindLast<P> {
    pred: P,
    /// One more than the largest start of a block that found an item (0: none yet).
    bound: AtomicUsize,
}

impl<P> FindLast<P> {
    pub(crate) fn new(pred: P) -> Self {
        FindLast {
            pred,
            bound: AtomicUsize::new(0),
        }
    }
}

impl<T: Send, P: Fn(&T) -> bool + Sync> Consumer<T> for FindLast<P> {
    type Acc = Option<T>;

    fn start(&self) -> Option<T> {
        None
    }

    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Option<T>,
        range: Range<usize>,
        items: I,
    ) -> Option<T> {
        // Every index of `range` comes before the start of a block that found an item.
        if range.end < self.bound.load(Ordering::Relaxed) {
            return acc;
        }
        let hit = items.filter(&self.pred).last();
        if hit.is_some() {
            self.bound.fetch_max(range.start + 1, Ordering::Relaxed);
        }
        hit.or(acc)
    }

    fn combine(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        right.or(left)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// What a `try_for_each` closure may return: `Result<(), E>`, `Option<()>` or
/// `ControlFlow<B>`. An `Err`, a `None` or a `Break` stops the iteration.
pub trait TryOutcome: Send + sealed::Sealed {
    /// True for the outcomes that stop (`Err`, `None`, `Break`).
    fn stops(&self) -> bool;
    /// The outcome of going on to the end (`Ok(())`, `Some(())`, `Continue(())`).
    fn finished() -> Self;
}

impl<E> sealed::Sealed for Result<(), E> {}
impl<E: Send> TryOutcome for Result<(), E> {
    fn stops(&self) -> bool {
        self.is_err()
    }
    fn finished() -> Self {
        Ok(())
    }
}

impl sealed::Sealed for Option<()> {}
impl TryOutcome for Option<()> {
    fn stops(&self) -> bool {
        self.is_none()
    }
    fn finished() -> Self {
        Some(())
    }
}

impl<B> sealed::Sealed for ControlFlow<B> {}
impl<B: Send> TryOutcome for ControlFlow<B> {
    fn stops(&self) -> bool {
        self.is_break()
    }
    fn finished() -> Self {
        ControlFlow::Continue(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Consumer, FindFirst, FindLast};

    // Blocks fed out of order, as workers may finish them: a block that cannot hold the
    // answer is skipped (its predicate never runs), one that can is searched, and combining
    // gives the serial answer.
    #[test]
    fn searches_skip_only_blocks_that_cannot_hold_the_answer() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let pred = |x: &usize| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            x % 10 == 5
        };
        let first = FindFirst::new(pred);
        let far = first.feed(None, 20..30, 20..30);
        assert_eq!(far, Some(25));
        let right = first.feed(None, 30..40, 30..40);
        assert_eq!(right, None, "a block after a hit is skipped");
        let mid = first.feed(None, 10..20, 10..20);
        assert_eq!(mid, Some(15), "a block before a hit is searched");
        let left = first.feed(None, 0..10, 0..10);
        assert_eq!(left, Some(5), "a block before a hit is searched");
        let joined = first.combine(first.combine(left, mid), first.combine(far, right));
        assert_eq!(joined, Some(5));

        let last = FindLast::new(pred);
        let mid = last.feed(None, 10..20, 10..20);
        let left = last.feed(None, 0..10, 0..10);
        assert_eq!(left, None, "a block before a hit is skipped");
        let right = last.feed(None, 20..30, 20..30);
        assert_eq!(right, Some(25), "a block after a hit is searched");
        assert_eq!(last.combine(last.combine(left, mid), right), Some(25));
        // Searched: 3 blocks of 6 (first stops at its hit), 2 of 10 (last reads its blocks
        // whole); the two skipped blocks call nothing.
        assert_eq!(calls.into_inner(), 38);
    }
}
