//! Where parallel iterators start: slices (shared and mutable), their chunks, integer ranges
//! and owned `Vec`s. Each stands on one base index per element (per chunk, per value).

use std::marker::PhantomData;
use std::ops::Range;

use super::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};

/// `par_iter()` on a slice or `Vec`: yields `&T`.
#[derive(Debug)]
pub struct SliceIter<'data, T> {
    slice: &'data [T],
}

impl<'data, T: Sync> IntoParallelIterator for &'data [T] {
    type Iter = SliceIter<'data, T>;
    type Item = &'data T;

    fn into_par_iter(self) -> Self::Iter {
        SliceIter { slice: self }
    }
}

impl<'data, T: Sync> IntoParallelIterator for &'data Vec<T> {
    type Iter = SliceIter<'data, T>;
    type Item = &'data T;

    fn into_par_iter(self) -> Self::Iter {
        SliceIter { slice: self }
    }
}

impl<'data, T: Sync, const N: usize> IntoParallelIterator for &'data [T; N] {
    type Iter = SliceIter<'data, T>;
    type Item = &'data T;

    fn into_par_iter(self) -> Self::Iter {
        SliceIter { slice: self }
    }
}

impl<'data, T: Sync> ParallelIterator for SliceIter<'data, T> {
    type Item = &'data T;
    type Piece<'p>
        = std::slice::Iter<'data, T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.slice.len()
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        self.slice[range].iter()
    }
}

impl<T: Sync> IndexedParallelIterator for SliceIter<'_, T> {}

/// `par_iter_mut()` on a slice or `Vec`: yields `&mut T`.
#[derive(Debug)]
pub struct SliceIterMut<'data, T> {
    ptr: *mut T,
    len: usize,
    _data: PhantomData<&'data mut [T]>,
}

// SAFETY: the iterator stands for `&'data mut [T]`, which is `Send` and `Sync` when `T: Send`
// (`Sync` because each element is handed to one piece only: see `piece`).
unsafe impl<T: Send> Send for SliceIterMut<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for SliceIterMut<'_, T> {}

impl<'data, T: Send> SliceIterMut<'data, T> {
    pub(crate) fn new(slice: &'data mut [T]) -> Self {
        SliceIterMut {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            _data: PhantomData,
        }
    }
}

impl<'data, T: Send> IntoParallelIterator for &'data mut [T] {
    type Iter = SliceIterMut<'data, T>;
    type Item = &'data mut T;

    fn into_par_iter(self) -> Self::Iter {
        SliceIterMut::new(self)
    }
}

impl<'data, T: Send> IntoParallelIterator for &'data mut Vec<T> {
    type Iter = SliceIterMut<'data, T>;
    type Item = &'data mut T;

    fn into_par_iter(self) -> Self::Iter {
        SliceIterMut::new(self)
    }
}

impl<'data, T: Send, const N: usize> IntoParallelIterator for &'data mut [T; N] {
    type Iter = SliceIterMut<'data, T>;
    type Item = &'data mut T;

    fn into_par_iter(self) -> Self::Iter {
        SliceIterMut::new(self)
    }
}

impl<'data, T: Send> ParallelIterator for SliceIterMut<'data, T> {
    type Item = &'data mut T;
    type Piece<'p>
        = std::slice::IterMut<'data, T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.len
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: the range is within the slice (checked), the slice is borrowed mutably for
        // 'data, and by `piece`'s contract no other piece covers these elements.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }.iter_mut()
    }
}

impl<T: Send> IndexedParallelIterator for SliceIterMut<'_, T> {}

/// `par_chunks(size)` on a slice: yields `&[T]` of `size` elements (the last may be shorter).
#[derive(Debug)]
pub struct Chunks<'data, T> {
    slice: &'data [T],
    size: usize,
}

impl<'data, T: Sync> Chunks<'data, T> {
    pub(crate) fn new(slice: &'data [T], size: usize) -> Self {
        assert!(
            size > 0,
            "ontime: par_chunks needs a chunk size of at least 1"
        );
        Chunks { slice, size }
    }
}

impl<'data, T: Sync> ParallelIterator for Chunks<'data, T> {
    type Item = &'data [T];
    type Piece<'p>
        = std::slice::Chunks<'data, T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.slice.len().div_ceil(self.size)
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        let len = self.slice.len();
        let lo = range.start * self.size;
        let hi = range.end.saturating_mul(self.size).min(len);
        self.slice[lo..hi].chunks(self.size)
    }
}

impl<T: Sync> IndexedParallelIterator for Chunks<'_, T> {}

/// `par_chunks_exact(size)` on a slice: yields `&[T]` of exactly `size` elements; the last
/// `len % size` elements are left out, and [`remainder`](Self::remainder) gives them.
#[derive(Debug)]
pub struct ChunksExact<'data, T> {
    chunks: Chunks<'data, T>,
    rest: &'data [T],
}

impl<'data, T: Sync> ChunksExact<'data, T> {
    pub(crate) fn new(slice: &'data [T], size: usize) -> Self {
        assert!(
            size > 0,
            "ontime: par_chunks_exact needs a chunk size of at least 1"
        );
        let (whole, rest) = slice.split_at(slice.len() - slice.len() % size);
        ChunksExact {
            chunks: Chunks::new(whole, size),
            rest,
        }
    }

    /// The elements after the last whole chunk (fewer than `size`).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = [1, 2, 3, 4, 5];
    /// assert_eq!(v.par_chunks_exact(2).remainder(), [5]);
    /// ```
    pub fn remainder(&self) -> &'data [T] {
        self.rest
    }
}

impl<'data, T: Sync> ParallelIterator for ChunksExact<'data, T> {
    type Item = &'data [T];
    type Piece<'p>
        = std::slice::Chunks<'data, T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.chunks.base_len()
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.chunks.piece(range) }
    }
}

impl<T: Sync> IndexedParallelIterator for ChunksExact<'_, T> {}

/// `par_chunks_exact_mut(size)` on a slice: yields `&mut [T]` of exactly `size` elements;
/// [`into_remainder`](Self::into_remainder) gives the last `len % size`.
#[derive(Debug)]
pub struct ChunksExactMut<'data, T> {
    chunks: ChunksMut<'data, T>,
    rest: &'data mut [T],
}

// SAFETY: a shared `&ChunksExactMut` reaches only `chunks` (itself `Sync` for `T: Send`: each
// chunk goes to one piece only); `rest` is reached only through `&mut self` or `self`.
unsafe impl<T: Send> Sync for ChunksExactMut<'_, T> {}

impl<'data, T: Send> ChunksExactMut<'data, T> {
    pub(crate) fn new(slice: &'data mut [T], size: usize) -> Self {
        assert!(
            size > 0,
            "ontime: par_chunks_exact_mut needs a chunk size of at least 1"
        );
        let len = slice.len();
        let (whole, rest) = slice.split_at_mut(len - len % size);
        ChunksExactMut {
            chunks: ChunksMut::new(whole, size),
            rest,
        }
    }

    /// The elements after the last whole chunk (fewer than `size`).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = [1, 2, 3, 4, 5];
    /// let mut chunks = v.par_chunks_exact_mut(2);
    /// chunks.remainder()[0] = 50;
    /// chunks.for_each(|c| c.swap(0, 1));
    /// assert_eq!(v, [2, 1, 4, 3, 50]);
    /// ```
    pub fn remainder(&mut self) -> &mut [T] {
        self.rest
    }

    /// The elements after the last whole chunk, for as long as the slice is borrowed.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = [1, 2, 3];
    /// let rest = v.par_chunks_exact_mut(2).into_remainder();
    /// rest[0] = 30;
    /// assert_eq!(v, [1, 2, 30]);
    /// ```
    pub fn into_remainder(self) -> &'data mut [T] {
        self.rest
    }
}

impl<'data, T: Send> ParallelIterator for ChunksExactMut<'data, T> {
    type Item = &'data mut [T];
    type Piece<'p>
        = std::slice::ChunksMut<'data, T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.chunks.base_len()
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // SAFETY: forwarded under the caller's contract.
        unsafe { self.chunks.piece(range) }
    }
}

impl<T: Send> IndexedParallelIterator for ChunksExactMut<'_, T> {}

/// `par_windows(size)` on a slice: yields every run of `size` neighbouring elements, as
/// `&[T]`, in order (none if the slice is shorter than `size`).
#[derive(Debug)]
pub struct Windows<'data, T> {
    slice: &'data [T],
    size: usize,
}

impl<'data, T: Sync> Windows<'data, T> {
    pub(crate) fn new(slice: &'data [T], size: usize) -> Self {
        assert!(
            size > 0,
            "ontime: par_windows needs a window size of at least 1"
        );
        Windows { slice, size }
    }
}

impl<'data, T: Sync> ParallelIterator for Windows<'data, T> {
    type Item = &'data [T];
    type Piece<'p>
        = std::slice::Windows<'data, T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        (self.slice.len() + 1).saturating_sub(self.size)
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // Window `i` is `slice[i..i + size]`: the windows `range` read `range.start` up to
        // `range.end - 1 + size` (shared reads; windows overlap, pieces need not be disjoint).
        let hi = (range.end + self.size - 1).max(range.start);
        self.slice[range.start..hi.min(self.slice.len())].windows(self.size)
    }
}

impl<T: Sync> IndexedParallelIterator for Windows<'_, T> {}

/// `par_chunks_mut(size)` on a slice: yields `&mut [T]` of `size` elements (the last may be
/// shorter).
#[derive(Debug)]
pub struct ChunksMut<'data, T> {
    ptr: *mut T,
    len: usize,
    size: usize,
    _data: PhantomData<&'data mut [T]>,
}

// SAFETY: as for `SliceIterMut`: each chunk goes to one piece only.
unsafe impl<T: Send> Send for ChunksMut<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for ChunksMut<'_, T> {}

impl<'data, T: Send> ChunksMut<'data, T> {
    pub(crate) fn new(slice: &'data mut [T], size: usize) -> Self {
        assert!(
            size > 0,
            "ontime: par_chunks_mut needs a chunk size of at least 1"
        );
        ChunksMut {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            size,
            _data: PhantomData,
        }
    }
}

impl<'data, T: Send> ParallelIterator for ChunksMut<'data, T> {
    type Item = &'data mut [T];
    type Piece<'p>
        = std::slice::ChunksMut<'data, T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.len.div_ceil(self.size)
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        let lo = range.start * self.size;
        let hi = range.end.saturating_mul(self.size).min(self.len);
        assert!(lo <= hi);
        // SAFETY: `lo..hi` lies in the slice (clamped to its length), which is borrowed
        // mutably for 'data; chunks `range` are this piece's alone (`piece`'s contract), so
        // the elements `lo..hi` are too.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(lo), hi - lo) }.chunks_mut(self.size)
    }
}

impl<T: Send> IndexedParallelIterator for ChunksMut<'_, T> {}

/// `into_par_iter()` on a `Vec`: moves the elements out.
#[derive(Debug)]
pub struct VecIter<T> {
    vec: Vec<T>,
    /// The elements the iterator yields (the vector's length before `begin`).
    len: usize,
}

// SAFETY: shared use of a `VecIter` only moves elements out, each to one piece (`piece`'s
// contract); no `&T` is ever handed out, so `T: Send` is enough.
unsafe impl<T: Send> Sync for VecIter<T> {}

impl<T: Send> IntoParallelIterator for Vec<T> {
    type Iter = VecIter<T>;
    type Item = T;

    fn into_par_iter(self) -> Self::Iter {
        VecIter {
            len: self.len(),
            vec: self,
        }
    }
}

/// The elements of one piece of a `VecIter`, moved out one by one; those left when the
/// piece is dropped (a short-circuiting consumer) are dropped with it.
#[derive(Debug)]
pub struct VecPiece<T> {
    ptr: *const T,
    end: *const T,
}

impl<T> Iterator for VecPiece<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.ptr == self.end {
            return None;
        }
        // SAFETY: `ptr < end` within this piece's elements, each read once (the pointer
        // moves past it), and the vector no longer owns them (`begin` set its length to 0).
        let item = unsafe { self.ptr.read() };
        // SAFETY: at most `end`, one past this piece's last element.
        self.ptr = unsafe { self.ptr.add(1) };
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // SAFETY: both pointers are in (or one past) the same allocation, `ptr <= end`.
        let n = unsafe { self.end.offset_from(self.ptr) } as usize;
        (n, Some(n))
    }
}

impl<T> Drop for VecPiece<T> {
    fn drop(&mut self) {
        for item in self.by_ref() {
            drop(item);
        }
    }
}

impl<T: Send> ParallelIterator for VecIter<T> {
    type Item = T;
    type Piece<'p>
        = VecPiece<T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.len
    }

    fn exact(&self) -> bool {
        true
    }

    fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.vec.truncate(len);
            self.len = len;
        }
    }

    fn begin(&mut self) {
        // SAFETY: shrinking the length only: the elements become the pieces' to move out (or
        // leak, if no piece reaches them), and the vector still frees its buffer.
        unsafe { self.vec.set_len(0) };
    }

    unsafe fn piece(&self, range: Range<usize>) -> VecPiece<T> {
        assert!(range.start <= range.end && range.end <= self.len);
        let base = self.vec.as_ptr();
        // SAFETY: within the buffer's first `len` elements (checked), which `begin` left
        // initialised and unowned; by `piece`'s contract no other piece has them.
        unsafe {
            VecPiece {
                ptr: base.add(range.start),
                end: base.add(range.end),
            }
        }
    }
}

impl<T: Send> IndexedParallelIterator for VecIter<T> {}

/// `into_par_iter()` on a range of integers.
#[derive(Clone, Debug)]
pub struct RangeIter<T> {
    start: T,
    len: usize,
}

/// The integer types whose ranges are parallel iterators (every primitive integer but the
/// 128-bit ones). One generic implementation serves them all, so an unsuffixed literal range
/// such as `(0..100).into_par_iter()` falls back to `i32` as in a serial loop.
pub trait RangeInteger: Copy + Send + Sync + std::fmt::Debug + PartialOrd + sealed::Sealed {
    #[doc(hidden)]
    /// `end - start` as a `usize` (`start <= end`), or `None` if it does not fit.
    fn span(start: Self, end: Self) -> Option<usize>;
    #[doc(hidden)]
    /// `self + i` (in range, so exact), by wrapping arithmetic in the type.
    fn offset(self, i: usize) -> Self;
    #[doc(hidden)]
    fn checked_succ(self) -> Option<Self>;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! range_integers {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}

        impl RangeInteger for $t {
            fn span(start: $t, end: $t) -> Option<usize> {
                usize::try_from(end.abs_diff(start)).ok()
            }

            #[inline]
            fn offset(self, i: usize) -> $t {
                self.wrapping_add(i as $t)
            }

            #[inline]
            fn checked_succ(self) -> Option<$t> {
                self.checked_add(1)
            }
        }
    )*};
}

range_integers!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl<T: RangeInteger> IntoParallelIterator for Range<T>
where
    Range<T>: Iterator<Item = T>,
    std::ops::RangeInclusive<T>: Iterator<Item = T>,
{
    type Iter = RangeIter<T>;
    type Item = T;

    fn into_par_iter(self) -> Self::Iter {
        let len = if self.start < self.end {
            T::span(self.start, self.end).unwrap_or_else(|| {
                panic!("ontime: the range {self:?} is longer than a usize can count")
            })
        } else {
            0
        };
        RangeIter {
            start: self.start,
            len,
        }
    }
}

impl<T: RangeInteger> IntoParallelIterator for std::ops::RangeInclusive<T>
where
    Range<T>: Iterator<Item = T>,
    std::ops::RangeInclusive<T>: Iterator<Item = T>,
{
    type Iter = RangeIter<T>;
    type Item = T;

    fn into_par_iter(self) -> Self::Iter {
        let (start, end) = (*self.start(), *self.end());
        let len = if start <= end && !self.is_empty() {
            T::span(start, end)
                .and_then(|n| n.checked_add(1))
                .unwrap_or_else(|| {
                    panic!("ontime: the range {self:?} is longer than a usize can count")
                })
        } else {
            0
        };
        RangeIter { start, len }
    }
}

impl<T: RangeInteger> ParallelIterator for RangeIter<T>
where
    Range<T>: Iterator<Item = T>,
    std::ops::RangeInclusive<T>: Iterator<Item = T>,
{
    type Item = T;
    type Piece<'p>
        = RangePiece<T>
    where
        Self: 'p;

    fn base_len(&self) -> usize {
        self.len
    }

    fn exact(&self) -> bool {
        true
    }

    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_> {
        // The value at index `i` is `start + i`: exact, since it lies in the range. The piece
        // is a native range of values, which iterates as fast as a serial loop; one whose end
        // is past the type's maximum (`..=MAX`) is an inclusive one.
        let lo = self.start.offset(range.start);
        if range.is_empty() {
            return RangePiece::Plain(lo..lo);
        }
        let last = self.start.offset(range.end - 1);
        match last.checked_succ() {
            Some(end) => RangePiece::Plain(lo..end),
            None => RangePiece::ToMax(lo..=last),
        }
    }
}

impl<T: RangeInteger> IndexedParallelIterator for RangeIter<T>
where
    Range<T>: Iterator<Item = T>,
    std::ops::RangeInclusive<T>: Iterator<Item = T>,
{
}

/// The values of one piece of a `RangeIter`.
#[derive(Clone, Debug)]
pub enum RangePiece<T> {
    /// Values below the type's maximum.
    Plain(Range<T>),
    /// Values up to and including the type's maximum.
    ToMax(std::ops::RangeInclusive<T>),
}

impl<T> Iterator for RangePiece<T>
where
    Range<T>: Iterator<Item = T>,
    std::ops::RangeInclusive<T>: Iterator<Item = T>,
{
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        match self {
            RangePiece::Plain(r) => r.next(),
            RangePiece::ToMax(r) => r.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            RangePiece::Plain(r) => r.size_hint(),
            RangePiece::ToMax(r) => r.size_hint(),
        }
    }

    #[inline]
    fn fold<B, F: FnMut(B, T) -> B>(self, init: B, f: F) -> B {
        match self {
            RangePiece::Plain(r) => r.fold(init, f),
            RangePiece::ToMax(r) => r.fold(init, f),
        }
    }
}
