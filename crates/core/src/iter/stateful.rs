//! Adapters whose closures keep state across the items of one piece: `fold` and `fold_with`
//! (one accumulator per piece, yielded as that piece's one item) and `map_init` and
//! `map_with` (one state value per piece, lent to every call).
//!
//! A piece is one block of the loop that drives the iterator (`drive.rs`): at most 4,096
//! base indices, or about 100 µs of work when the items are dear, unless `with_min_len`
//! asks for more. So `fold`'s accumulators and `map_init`'s states are made once per block,
//! not once per item, and not once per worker: how many there are depends on how the loop
//! was split, as in rayon, where it depends on the splits too.
//!
//! Each pair is one adapter over where its first value comes from ([`Source`]): a function
//! called (`fold`, `map_init`) or a value cloned ([`WithValue`]: `fold_with`, `map_with`).

use std::ops::Range;

use super::{IndexedParallelIterator, ParallelIterator};

/// Where a piece's first accumulator or state comes from.
pub trait Source: Sync + Send {
    /// The value made (it stays on the worker that made it).
    type Value;
    #[doc(hidden)]
    fn make(&self) -> Self::Value;
}

impl<T, F: Fn() -> T + Sync + Send> Source for F {
    type Value = T;

    #[inline]
    fn make(&self) -> T {
        self()
    }
}

/// A value cloned for every piece (`fold_with`, `map_with`).
#[derive(Clone, Debug)]
pub struct WithValue<T>(pub(crate) T);

impl<T: Clone + Send + Sync> Source for WithValue<T> {
    type Value = T;

    #[inline]
    fn make(&self) -> T {
        self.0.clone()
    }
}

/// `fold(identity, op)` and `fold_with(init, op)` (`S` is the identity function, or
/// [`WithValue`]): see [`ParallelIterator::fold`].
#[derive(Clone, Debug)]
pub struct Fold<I, S, F> {
    base: I,
    start: S,
    op: F,
}

/// `fold_with(init, op)`: see [`ParallelIterator::fold_with`].
pub type FoldWith<I, T, F> = Fold<I, WithValue<T>, F>;

impl<I, S, F> Fold<I, S, F> {
    pub(crate) fn new(base: I, start: S, op: F) -> Self {
        Fold { base, start, op }
    }
}

impl<I, S, F> ParallelIterator for Fold<I, S, F>
where
    I: ParallelIterator,
    S: Source<Value: Send>,
    F: Fn(S::Value, I::Item) -> S::Value + Sync + Send,
{
    type Item = S::Value;
    type Piece<'p>
        = FoldPiece<'p, I::Piece<'p>, S, F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        false
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        FoldPiece {
            // SAFETY: forwarded under the caller's contract.
            items: Some(unsafe { self.base.piece(range) }),
            start: &self.start,
            op: &self.op,
        }
    }
}

/// The one item of a piece of [`Fold`]: the piece's items folded, when it is asked for (a
/// piece dropped unread folds nothing and drops its items).
#[derive(Debug)]
pub struct FoldPiece<'p, It, S, F> {
    items: Option<It>,
    start: &'p S,
    op: &'p F,
}

impl<It, S, F> Iterator for FoldPiece<'_, It, S, F>
where
    It: Iterator,
    S: Source,
    F: Fn(S::Value, It::Item) -> S::Value,
{
    type Item = S::Value;

    fn next(&mut self) -> Option<S::Value> {
        let items = self.items.take()?;
        Some(items.fold(self.start.make(), self.op))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.items.is_some());
        (n, Some(n))
    }
}

/// `map_init(init, f)` and `map_with(init, f)` (`S` is `init`, or [`WithValue`]): see
/// [`ParallelIterator::map_init`].
#[derive(Clone, Debug)]
pub struct MapInit<I, S, F> {
    base: I,
    start: S,
    f: F,
}

/// `map_with(init, f)`: see [`ParallelIterator::map_with`].
pub type MapWith<I, T, F> = MapInit<I, WithValue<T>, F>;

impl<I, S, F> MapInit<I, S, F> {
    pub(crate) fn new(base: I, start: S, f: F) -> Self {
        MapInit { base, start, f }
    }
}

impl<I, S, F, R> ParallelIterator for MapInit<I, S, F>
where
    I: ParallelIterator,
    S: Source,
    F: Fn(&mut S::Value, I::Item) -> R + Sync + Send,
    R: Send,
{
    type Item = R;
    type Piece<'p>
        = MapInitPiece<'p, I::Piece<'p>, S::Value, F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        MapInitPiece {
            // SAFETY: forwarded under the caller's contract.
            items: unsafe { self.base.piece(range) },
            state: self.start.make(),
            f: &self.f,
        }
    }
}

impl<I, S, F, R> IndexedParallelIterator for MapInit<I, S, F>
where
    I: IndexedParallelIterator,
    S: Source,
    F: Fn(&mut S::Value, I::Item) -> R + Sync + Send,
    R: Send,
{
}

/// The items of a piece of [`MapInit`]: `f(&mut state, item)` for each, with one state for
/// the whole piece.
#[derive(Debug)]
pub struct MapInitPiece<'p, It, T, F> {
    items: It,
    state: T,
    f: &'p F,
}

impl<It, T, F, R> Iterator for MapInitPiece<'_, It, T, F>
where
    It: Iterator,
    F: Fn(&mut T, It::Item) -> R,
{
    type Item = R;

    #[inline]
    fn next(&mut self) -> Option<R> {
        let x = self.items.next()?;
        Some((self.f)(&mut self.state, x))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }

    #[inline]
    fn fold<B, G: FnMut(B, R) -> B>(self, init: B, mut g: G) -> B {
        let MapInitPiece {
            items,
            mut state,
            f,
        } = self;
        items.fold(init, move |acc, x| g(acc, f(&mut state, x)))
    }
}
