//! Adapters that turn each item into several: `flat_map_iter` (serial inner iterators,
//! `std`'s `flat_map` on each piece) and `flat_map` (inner *parallel* iterators); `flatten_iter`
//! and `flatten` are the two by the identity.
//!
//! An inner parallel iterator runs serially, on the worker that produced its item: it is
//! started (`begin`) and read as one piece covering all of its base indices, which is
//! `piece`'s contract kept trivially (one call, the whole range). The parallelism comes from
//! the outer iterator's loop, as in rayon when the outer loop has split enough; what is lost
//! against rayon is only the splitting of one large inner iterator. None of these is indexed:
//! an item's number of inner items is known only when it is produced.

use std::ops::Range;

use super::{IntoParallelIterator, ParallelIterator};

/// Folds every item of a parallel iterator on this thread, in order.
fn serial_fold<P, B, G>(mut iter: P, init: B, g: G) -> B
where
    P: ParallelIterator,
    G: FnMut(B, P::Item) -> B,
{
    iter.begin();
    let n = iter.base_len();
    // SAFETY: one piece, over all of `0..base_len()`, after `begin`: no index is in two.
    unsafe { iter.piece(0..n) }.fold(init, g)
}

/// `flat_map_iter(f)`: see [`ParallelIterator::flat_map_iter`].
#[derive(Clone, Debug)]
pub struct FlatMapIter<I, F> {
    base: I,
    f: F,
}

impl<I, F> FlatMapIter<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        FlatMapIter { base, f }
    }
}

impl<I, F, U> ParallelIterator for FlatMapIter<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> U + Sync + Send,
    U: IntoIterator,
    U::Item: Send,
{
    type Item = U::Item;
    type Piece<'p>
        = std::iter::FlatMap<I::Piece<'p>, U, &'p F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        false
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.base.piece(range) }.flat_map(&self.f)
    }
}

/// `flatten_iter()`: see [`ParallelIterator::flatten_iter`]. A [`FlatMapIter`] by the
/// identity.
pub type FlattenIter<I> =
    FlatMapIter<I, fn(<I as ParallelIterator>::Item) -> <I as ParallelIterator>::Item>;

/// `flat_map(f)`: see [`ParallelIterator::flat_map`].
#[derive(Clone, Debug)]
pub struct FlatMap<I, F> {
    base: I,
    f: F,
}

impl<I, F> FlatMap<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        FlatMap { base, f }
    }
}

impl<I, F, U> ParallelIterator for FlatMap<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> U + Sync + Send,
    U: IntoParallelIterator,
{
    type Item = U::Item;
    type Piece<'p>
        = NestedPiece<I::Piece<'p>, &'p F, U>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        false
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        NestedPiece {
            // SAFETY: forwarded under the caller's contract.
            outer: unsafe { self.base.piece(range) },
            f: &self.f,
            front: Vec::new().into_iter(),
        }
    }
}

/// `flatten()`: see [`ParallelIterator::flatten`]. A [`FlatMap`] by the identity.
pub type Flatten<I> =
    FlatMap<I, fn(<I as ParallelIterator>::Item) -> <I as ParallelIterator>::Item>;

/// The items of a piece of [`FlatMap`] or [`Flatten`]. Folded (`for_each`, `sum`, `collect`
/// ...), each inner iterator is read straight into the fold; read item by item (`any`,
/// `find_any` ...), each is first gathered into `front`, since its items borrow it.
#[derive(Debug)]
pub struct NestedPiece<It, F, U: IntoParallelIterator> {
    outer: It,
    f: F,
    front: std::vec::IntoIter<U::Item>,
}

impl<It, F, U> Iterator for NestedPiece<It, F, U>
where
    It: Iterator,
    F: Fn(It::Item) -> U,
    U: IntoParallelIterator,
{
    type Item = U::Item;

    fn next(&mut self) -> Option<U::Item> {
        loop {
            if let Some(x) = self.front.next() {
                return Some(x);
            }
            let inner = (self.f)(self.outer.next()?).into_par_iter();
            let items = serial_fold(inner, Vec::new(), |mut v, x| {
                v.push(x);
                v
            });
            self.front = items.into_iter();
        }
    }

    fn fold<B, G: FnMut(B, U::Item) -> B>(self, init: B, mut g: G) -> B {
        let NestedPiece { outer, f, front } = self;
        let acc = front.fold(init, &mut g);
        outer.fold(acc, |acc, x| serial_fold(f(x).into_par_iter(), acc, &mut g))
    }
}
