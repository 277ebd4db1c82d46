//! Adapters whose closures keep state across the items of one piece: `fold` and `fold_with`
//! (one accumulator per piece, yielded as that piece's one item) and `map_init` and
//! `map_with` (one state value per piece, lent to every call).
//!
//! A piece is one block of the loop that drives the iterator (`drive.rs`): at most 4,096
//! base indices, or about 100 µs of work when the items are dear, unless `with_min_len`
//! asks for more. So `fold`'s accumulators and `map_init`'s states are made once per block,
//! not once per item, and not once per worker: how many there are depends on how the loop
//! was split, as in rayon, where it depends on the splits too.

use std::marker::PhantomData;
use std::ops::Range;

use super::{IndexedParallelIterator, ParallelIterator};

/// How a piece's accumulator or state is made: a call of a function, or a clone of a value.
pub trait Start<T> {
    #[doc(hidden)]
    fn start(&self) -> T;
}

/// Starts by calling a function (`fold`, `map_init`).
#[derive(Debug)]
pub struct Call<'p, F>(&'p F);

impl<T, F: Fn() -> T> Start<T> for Call<'_, F> {
    #[inline]
    fn start(&self) -> T {
        (self.0)()
    }
}

/// Starts from a clone of a value (`fold_with`, `map_with`).
#[derive(Debug)]
pub struct CloneOf<'p, T>(&'p T);

impl<T: Clone> Start<T> for CloneOf<'_, T> {
    #[inline]
    fn start(&self) -> T {
        self.0.clone()
    }
}

/// `fold(identity, op)`: see [`ParallelIterator::fold`].
#[derive(Clone, Debug)]
pub struct Fold<I, ID, F> {
    base: I,
    identity: ID,
    op: F,
}

impl<I, ID, F> Fold<I, ID, F> {
    pub(crate) fn new(base: I, identity: ID, op: F) -> Self {
        Fold { base, identity, op }
    }
}

impl<I, ID, F, T> ParallelIterator for Fold<I, ID, F>
where
    I: ParallelIterator,
    ID: Fn() -> T + Sync + Send,
    F: Fn(T, I::Item) -> T + Sync + Send,
    T: Send,
{
    type Item = T;
    type Piece<'p>
        = FoldPiece<I::Piece<'p>, Call<'p, ID>, &'p F, T>
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
            start: Call(&self.identity),
            op: &self.op,
            acc: PhantomData,
        }
    }
}

/// `fold_with(init, op)`: see [`ParallelIterator::fold_with`].
#[derive(Clone, Debug)]
pub struct FoldWith<I, T, F> {
    base: I,
    init: T,
    op: F,
}

impl<I, T, F> FoldWith<I, T, F> {
    pub(crate) fn new(base: I, init: T, op: F) -> Self {
        FoldWith { base, init, op }
    }
}

impl<I, T, F> ParallelIterator for FoldWith<I, T, F>
where
    I: ParallelIterator,
    T: Clone + Send + Sync,
    F: Fn(T, I::Item) -> T + Sync + Send,
{
    type Item = T;
    type Piece<'p>
        = FoldPiece<I::Piece<'p>, CloneOf<'p, T>, &'p F, T>
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
            start: CloneOf(&self.init),
            op: &self.op,
            acc: PhantomData,
        }
    }
}

/// The one item of a piece of [`Fold`] or [`FoldWith`]: the piece's items folded, when it is
/// asked for (a piece dropped unread folds nothing and drops its items).
#[derive(Debug)]
pub struct FoldPiece<It, S, F, T> {
    items: Option<It>,
    start: S,
    op: F,
    acc: PhantomData<fn() -> T>,
}

impl<It, S, F, T> Iterator for FoldPiece<It, S, F, T>
where
    It: Iterator,
    S: Start<T>,
    F: Fn(T, It::Item) -> T,
{
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let items = self.items.take()?;
        Some(items.fold(self.start.start(), &self.op))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.items.is_some());
        (n, Some(n))
    }
}

/// `map_init(init, f)`: see [`ParallelIterator::map_init`].
#[derive(Clone, Debug)]
pub struct MapInit<I, INIT, F> {
    base: I,
    init: INIT,
    f: F,
}

impl<I, INIT, F> MapInit<I, INIT, F> {
    pub(crate) fn new(base: I, init: INIT, f: F) -> Self {
        MapInit { base, init, f }
    }
}

impl<I, INIT, F, T, R> ParallelIterator for MapInit<I, INIT, F>
where
    I: ParallelIterator,
    INIT: Fn() -> T + Sync + Send,
    F: Fn(&mut T, I::Item) -> R + Sync + Send,
    R: Send,
{
    type Item = R;
    type Piece<'p>
        = MapStatePiece<I::Piece<'p>, T, &'p F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        MapStatePiece {
            // SAFETY: forwarded under the caller's contract.
            items: unsafe { self.base.piece(range) },
            state: Call(&self.init).start(),
            f: &self.f,
        }
    }
}

impl<I, INIT, F, T, R> IndexedParallelIterator for MapInit<I, INIT, F>
where
    I: IndexedParallelIterator,
    INIT: Fn() -> T + Sync + Send,
    F: Fn(&mut T, I::Item) -> R + Sync + Send,
    R: Send,
{
}

/// `map_with(init, f)`: see [`ParallelIterator::map_with`].
#[derive(Clone, Debug)]
pub struct MapWith<I, T, F> {
    base: I,
    init: T,
    f: F,
}

impl<I, T, F> MapWith<I, T, F> {
    pub(crate) fn new(base: I, init: T, f: F) -> Self {
        MapWith { base, init, f }
    }
}

impl<I, T, F, R> ParallelIterator for MapWith<I, T, F>
where
    I: ParallelIterator,
    T: Clone + Send + Sync,
    F: Fn(&mut T, I::Item) -> R + Sync + Send,
    R: Send,
{
    type Item = R;
    type Piece<'p>
        = MapStatePiece<I::Piece<'p>, T, &'p F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        MapStatePiece {
            // SAFETY: forwarded under the caller's contract.
            items: unsafe { self.base.piece(range) },
            state: CloneOf(&self.init).start(),
            f: &self.f,
        }
    }
}

impl<I, T, F, R> IndexedParallelIterator for MapWith<I, T, F>
where
    I: IndexedParallelIterator,
    T: Clone + Send + Sync,
    F: Fn(&mut T, I::Item) -> R + Sync + Send,
    R: Send,
{
}

/// The items of a piece of [`MapInit`] or [`MapWith`]: `f(&mut state, item)` for each, with
/// one state for the whole piece.
#[derive(Debug)]
pub struct MapStatePiece<It, T, F> {
    items: It,
    state: T,
    f: F,
}

impl<It, T, F, R> Iterator for MapStatePiece<It, T, F>
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
        let MapStatePiece {
            items,
            mut state,
            f,
        } = self;
        items.fold(init, move |acc, x| g(acc, f(&mut state, x)))
    }
}
