//! Adapters that cut or join ranges of base indices: `chain` (one iterator's indices, then
//! another's), `skip` and `take` (a prefix of an indexed iterator removed or kept).
//!
//! Each maps a range of its own base indices to ranges of its bases' indices, one to one and
//! in order, so a range given to one piece maps to ranges no other piece is given: `piece`'s
//! contract carries over. `skip` runs its first `n` indices as a loop of their own before the
//! main loop starts (their closures run, as `std`'s `skip` runs them), and `take` truncates
//! its base, so neither range can overlap the main loop's.

use std::ops::Range;

use super::consumers::ForEach;
use super::drive::drive;
use super::{IndexedParallelIterator, ParallelIterator};

/// `chain(other)`: see [`ParallelIterator::chain`].
#[derive(Clone, Debug)]
pub struct Chain<A, B> {
    a: A,
    b: B,
}

impl<A, B> Chain<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        Chain { a, b }
    }
}

/// One side of a piece of [`Chain`]: the side's piece, or nothing where the range misses it.
type Side<P> = std::iter::Flatten<std::option::IntoIter<P>>;

impl<A, B> ParallelIterator for Chain<A, B>
where
    A: ParallelIterator,
    B: ParallelIterator<Item = A::Item>,
{
    type Item = A::Item;
    type Piece<'p>
        = std::iter::Chain<Side<A::Piece<'p>>, Side<B::Piece<'p>>>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.a.base_len() + self.b.base_len()
    }

    fn min_len(&self) -> usize {
        self.a.min_len().max(self.b.min_len())
    }

    fn exact(&self) -> bool {
        self.a.exact() && self.b.exact()
    }

    fn begin(&mut self) {
        self.a.begin();
        self.b.begin();
    }

    fn truncate(&mut self, len: usize) {
        let split = self.a.base_len();
        self.a.truncate(len.min(split));
        self.b.truncate(len.saturating_sub(split));
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        let split = self.a.base_len();
        let a = range.start.min(split)..range.end.min(split);
        let b = range.start.max(split) - split..range.end.max(split) - split;
        // SAFETY: `a` and `b` are the parts of `range` below and above `split`, in each
        // side's own indices; disjoint ranges of this chain give disjoint parts.
        let a = (!a.is_empty()).then(|| unsafe { self.a.piece(a) });
        // SAFETY: as above.
        let b = (!b.is_empty()).then(|| unsafe { self.b.piece(b) });
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }
}

impl<A, B> IndexedParallelIterator for Chain<A, B>
where
    A: IndexedParallelIterator,
    B: IndexedParallelIterator<Item = A::Item>,
{
}

/// `skip(n)`: see [`IndexedParallelIterator::skip`].
#[derive(Clone, Debug)]
pub struct Skip<I> {
    base: I,
    n: usize,
}

impl<I: IndexedParallelIterator> Skip<I> {
    pub(crate) fn new(base: I, n: usize) -> Self {
        let n = n.min(base.base_len());
        Skip { base, n }
    }
}

impl<I: IndexedParallelIterator> ParallelIterator for Skip<I> {
    type Item = I::Item;
    type Piece<'p>
        = I::Piece<'p>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.base.base_len() - self.n
    }

    fn min_len(&self) -> usize {
        self.base.min_len()
    }

    fn exact(&self) -> bool {
        true
    }

    fn begin(&mut self) {
        self.base.begin();
        if self.n > 0 {
            // The skipped items are produced and dropped, in parallel, as `std`'s `skip`
            // produces them: their closures run, and an owning source drops its elements.
            drive(
                Prefix {
                    base: &self.base,
                    n: self.n,
                },
                &ForEach(drop),
            );
        }
    }

    fn truncate(&mut self, len: usize) {
        self.base.truncate(len.saturating_add(self.n));
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: shifted by `n`, disjoint ranges stay disjoint and lie above `0..n`.
        unsafe { self.base.piece(range.start + self.n..range.end + self.n) }
    }
}

impl<I: IndexedParallelIterator> IndexedParallelIterator for Skip<I> {}

/// `take(n)`: see [`IndexedParallelIterator::take`].
#[derive(Clone, Debug)]
pub struct Take<I> {
    base: I,
    n: usize,
}

impl<I: IndexedParallelIterator> Take<I> {
    pub(crate) fn new(mut base: I, n: usize) -> Self {
        // The items past `n` are never produced: an owning source drops them now.
        base.truncate(n);
        Take { base, n }
    }
}

impl<I: IndexedParallelIterator> ParallelIterator for Take<I> {
    type Item = I::Item;
    type Piece<'p>
        = I::Piece<'p>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.base.base_len().min(self.n)
    }

    fn min_len(&self) -> usize {
        self.base.min_len()
    }

    fn exact(&self) -> bool {
        true
    }

    fn begin(&mut self) {
        self.base.begin();
    }

    fn truncate(&mut self, len: usize) {
        self.n = self.n.min(len);
        self.base.truncate(self.n);
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract (`range` lies within `0..n`).
        unsafe { self.base.piece(range) }
    }
}

impl<I: IndexedParallelIterator> IndexedParallelIterator for Take<I> {}

/// The first `n` base indices of an iterator already begun: [`Skip`]'s skipped items.
struct Prefix<'a, I> {
    base: &'a I,
    n: usize,
}

impl<I: ParallelIterator> ParallelIterator for Prefix<'_, I> {
    type Item = I::Item;
    type Piece<'p>
        = I::Piece<'p>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.n
    }

    fn min_len(&self) -> usize {
        self.base.min_len()
    }

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: `range` lies within `0..n`, below every range `Skip` maps to, and is
        // forwarded under the caller's contract.
        unsafe { self.base.piece(range) }
    }
}
