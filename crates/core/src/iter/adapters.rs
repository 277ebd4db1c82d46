//! Adapters: each wraps an iterator and maps its pieces with the matching `std` adapter, so a
//! piece runs as the serial iterator chain it would be in a `for` loop.

use std::ops::Range;

use super::{IndexedParallelIterator, ParallelIterator};

/// `map(f)`: see [`ParallelIterator::map`].
#[derive(Clone, Debug)]
pub struct Map<I, F> {
    base: I,
    f: F,
}

impl<I, F> Map<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        Map { base, f }
    }
}

impl<I, F, R> ParallelIterator for Map<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> R + Sync + Send,
    R: Send,
{
    type Item = R;
    type Piece<'p>
        = std::iter::Map<I::Piece<'p>, &'p F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.base.piece(range) }.map(&self.f)
    }
}

impl<I, F, R> IndexedParallelIterator for Map<I, F>
where
    I: IndexedParallelIterator,
    F: Fn(I::Item) -> R + Sync + Send,
    R: Send,
{
}

/// `filter(pred)`: see [`ParallelIterator::filter`].
#[derive(Clone, Debug)]
pub struct Filter<I, P> {
    base: I,
    pred: P,
}

impl<I, P> Filter<I, P> {
    pub(crate) fn new(base: I, pred: P) -> Self {
        Filter { base, pred }
    }
}

impl<I, P> ParallelIterator for Filter<I, P>
where
    I: ParallelIterator,
    P: Fn(&I::Item) -> bool + Sync + Send,
{
    type Item = I::Item;
    type Piece<'p>
        = FilterPiece<'p, I::Piece<'p>, P>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        false
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        let it = unsafe { self.base.piece(range) };
        FilterPiece {
            it,
            pred: &self.pred,
        }
    }
}

/// The items of one piece of a [`Filter`]: `std`'s `filter`, except that it calls the
/// predicate itself rather than through `&P`'s `FnMut`. Through that forwarding call, a
/// predicate with a loop inside (the iter suite's primality test by trial division) stayed
/// out of line, called once per item from the consumer's loop (`perf`: the forwarding call
/// and the loop around it took 1.6% of the samples where rayon's whole loop took 0.9%, with
/// the test itself out of line in both); called directly, it is compiled into the consumer's
/// loop (0.6%), as it is in rayon's.
#[derive(Debug)]
pub struct FilterPiece<'p, It, P> {
    it: It,
    pred: &'p P,
}

impl<It, P> Iterator for FilterPiece<'_, It, P>
where
    It: Iterator,
    P: Fn(&It::Item) -> bool,
{
    type Item = It::Item;

    #[inline]
    fn next(&mut self) -> Option<It::Item> {
        let pred = self.pred;
        self.it.find(|x| (*pred)(x))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.it.size_hint().1)
    }

    #[inline]
    fn fold<B, G: FnMut(B, It::Item) -> B>(self, init: B, mut g: G) -> B {
        let pred = self.pred;
        self.it.fold(
            init,
            move |acc, x| if (*pred)(&x) { g(acc, x) } else { acc },
        )
    }
}

/// `filter_map(f)`: see [`ParallelIterator::filter_map`].
#[derive(Clone, Debug)]
pub struct FilterMap<I, F> {
    base: I,
    f: F,
}

impl<I, F> FilterMap<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        FilterMap { base, f }
    }
}

impl<I, F, R> ParallelIterator for FilterMap<I, F>
where
    I: ParallelIterator,
    F: Fn(I::Item) -> Option<R> + Sync + Send,
    R: Send,
{
    type Item = R;
    type Piece<'p>
        = std::iter::FilterMap<I::Piece<'p>, &'p F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        false
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.base.piece(range) }.filter_map(&self.f)
    }
}

/// `copied()`: see [`ParallelIterator::copied`].
#[derive(Clone, Debug)]
pub struct Copied<I> {
    base: I,
}

impl<I> Copied<I> {
    pub(crate) fn new(base: I) -> Self {
        Copied { base }
    }
}

impl<'a, T, I> ParallelIterator for Copied<I>
where
    T: 'a + Copy + Send + Sync,
    I: ParallelIterator<Item = &'a T>,
{
    type Item = T;
    type Piece<'p>
        = std::iter::Copied<I::Piece<'p>>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.base.piece(range) }.copied()
    }
}

impl<'a, T, I> IndexedParallelIterator for Copied<I>
where
    T: 'a + Copy + Send + Sync,
    I: IndexedParallelIterator<Item = &'a T>,
{
}

/// `cloned()`: see [`ParallelIterator::cloned`].
#[derive(Clone, Debug)]
pub struct Cloned<I> {
    base: I,
}

impl<I> Cloned<I> {
    pub(crate) fn new(base: I) -> Self {
        Cloned { base }
    }
}

impl<'a, T, I> ParallelIterator for Cloned<I>
where
    T: 'a + Clone + Send + Sync,
    I: ParallelIterator<Item = &'a T>,
{
    type Item = T;
    type Piece<'p>
        = std::iter::Cloned<I::Piece<'p>>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.base.piece(range) }.cloned()
    }
}

impl<'a, T, I> IndexedParallelIterator for Cloned<I>
where
    T: 'a + Clone + Send + Sync,
    I: IndexedParallelIterator<Item = &'a T>,
{
}

/// `enumerate()`: see [`IndexedParallelIterator::enumerate`].
#[derive(Clone, Debug)]
pub struct Enumerate<I> {
    base: I,
}

impl<I> Enumerate<I> {
    pub(crate) fn new(base: I) -> Self {
        Enumerate { base }
    }
}

impl<I: IndexedParallelIterator> ParallelIterator for Enumerate<I> {
    type Item = (usize, I::Item);
    type Piece<'p>
        = std::iter::Zip<Range<usize>, I::Piece<'p>>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // An indexed base yields one item per index, so the item of index `i` is paired
        // with `i`.
        // SAFETY: forwarded under the caller's contract.
        range.clone().zip(unsafe { self.base.piece(range) })
    }
}

impl<I: IndexedParallelIterator> IndexedParallelIterator for Enumerate<I> {}

/// `zip(other)`: see [`IndexedParallelIterator::zip`].
#[derive(Clone, Debug)]
pub struct Zip<A, B> {
    a: A,
    b: B,
}

impl<A, B> Zip<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        Zip { a, b }
    }
}

impl<A: IndexedParallelIterator, B: IndexedParallelIterator> ParallelIterator for Zip<A, B> {
    type Item = (A::Item, B::Item);
    type Piece<'p>
        = std::iter::Zip<A::Piece<'p>, B::Piece<'p>>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.a.base_len().min(self.b.base_len())
    }

    fn min_len(&self) -> usize {
        self.a.min_len().max(self.b.min_len())
    }

    fn exact(&self) -> bool {
        true
    }

    fn begin(&mut self) {
        // The longer side's extra elements are never reached: an owning side drops them now.
        let n = self.base_len();
        self.a.truncate(n);
        self.b.truncate(n);
        self.a.begin();
        self.b.begin();
    }

    fn truncate(&mut self, len: usize) {
        self.a.truncate(len);
        self.b.truncate(len);
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: `range` lies within both bases (their shorter length), and is forwarded
        // under the caller's contract to each.
        unsafe { self.a.piece(range.clone()).zip(self.b.piece(range)) }
    }
}

impl<A: IndexedParallelIterator, B: IndexedParallelIterator> IndexedParallelIterator for Zip<A, B> {}

/// `with_min_len(n)`: see [`IndexedParallelIterator::with_min_len`].
#[derive(Clone, Debug)]
pub struct MinLen<I> {
    base: I,
    min: usize,
}

impl<I> MinLen<I> {
    pub(crate) fn new(base: I, min: usize) -> Self {
        MinLen { base, min }
    }
}

impl<I: IndexedParallelIterator> ParallelIterator for MinLen<I> {
    type Item = I::Item;
    type Piece<'p>
        = I::Piece<'p>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.base.base_len()
    }

    fn min_len(&self) -> usize {
        self.base.min_len().max(self.min)
    }

    fn exact(&self) -> bool {
        self.base.exact()
    }

    fn begin(&mut self) {
        self.base.begin()
    }

    fn truncate(&mut self, len: usize) {
        self.base.truncate(len)
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.base.piece(range) }
    }
}

impl<I: IndexedParallelIterator> IndexedParallelIterator for MinLen<I> {}

/// `inspect(f)`: see [`ParallelIterator::inspect`].
#[derive(Clone, Debug)]
pub struct Inspect<I, F> {
    base: I,
    f: F,
}

impl<I, F> Inspect<I, F> {
    pub(crate) fn new(base: I, f: F) -> Self {
        Inspect { base, f }
    }
}

impl<I, F> ParallelIterator for Inspect<I, F>
where
    I: ParallelIterator,
    F: Fn(&I::Item) + Sync + Send,
{
    type Item = I::Item;
    type Piece<'p>
        = std::iter::Inspect<I::Piece<'p>, &'p F>
    where
        Self: 'p;

    forward_base!();

    fn exact(&self) -> bool {
        self.base.exact()
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.base.piece(range) }.inspect(&self.f)
    }
}

impl<I, F> IndexedParallelIterator for Inspect<I, F>
where
    I: IndexedParallelIterator,
    F: Fn(&I::Item) + Sync + Send,
{
}
