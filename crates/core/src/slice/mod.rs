//! Parallel methods on slices, with rayon's names: `par_chunks`, `par_chunks_exact`,
//! `par_windows`, `par_chunks_mut`, `par_chunks_exact_mut` and the parallel sorts. Bring them in with `use ontime_core::prelude::*;`.

mod merge;
mod sort;

/// Slices this short are sorted serially by `std`, by either parallel sort.
const SERIAL: usize = 1 << 13;

use std::cmp::Ordering;

use crate::iter::{Chunks, ChunksExact, ChunksExactMut, ChunksMut, Windows};

/// Parallel methods on shared slices.
pub trait ParallelSlice<T: Sync> {
    /// Iterates over chunks of `size` elements (the last may be shorter), in parallel.
    ///
    /// # Panics
    /// If `size` is zero.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..10).collect();
    /// let sums: Vec<u32> = v.par_chunks(4).map(|c| c.iter().sum()).collect();
    /// assert_eq!(sums, [6, 22, 17]);
    /// ```
    fn par_chunks(&self, size: usize) -> Chunks<'_, T>;

    /// Iterates over every run of `size` neighbouring elements (windows overlap), in
    /// parallel; none if the slice is shorter than `size`.
    ///
    /// # Panics
    /// If `size` is zero.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = [1, 2, 3, 4];
    /// let sums: Vec<i32> = v.par_windows(2).map(|w| w[0] + w[1]).collect();
    /// assert_eq!(sums, [3, 5, 7]);
    /// ```
    fn par_windows(&self, size: usize) -> Windows<'_, T>;

    /// Iterates over chunks of exactly `size` elements, in parallel; the last
    /// `len % size` elements are left out (`remainder()` gives them).
    ///
    /// # Panics
    /// If `size` is zero.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..10).collect();
    /// let sums: Vec<u32> = v.par_chunks_exact(4).map(|c| c.iter().sum()).collect();
    /// assert_eq!(sums, [6, 22]);
    /// ```
    fn par_chunks_exact(&self, size: usize) -> ChunksExact<'_, T>;
}

impl<T: Sync> ParallelSlice<T> for [T] {
    fn par_chunks(&self, size: usize) -> Chunks<'_, T> {
        Chunks::new(self, size)
    }

    fn par_windows(&self, size: usize) -> Windows<'_, T> {
        Windows::new(self, size)
    }

    fn par_chunks_exact(&self, size: usize) -> ChunksExact<'_, T> {
        ChunksExact::new(self, size)
    }
}

/// Parallel methods on mutable slices: chunks and sorts.
///
/// The sorts split the slice, sort the parts in parallel (with `std`'s sorts) and put them
/// together in parallel: the unstable ones by partitioning around a pivot first (quicksort),
/// the stable ones by merging sorted halves (merge sort, with a buffer as long as the
/// slice). They run on the current pool, or the global one, and block the caller. A
/// comparison that panics leaves the slice a permutation of what it was (nothing is lost or
/// duplicated), and the panic is raised again at the caller.
pub trait ParallelSliceMut<T: Send> {
    /// Iterates over mutable chunks of `size` elements (the last may be shorter), in
    /// parallel.
    ///
    /// # Panics
    /// If `size` is zero.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![0u32; 10];
    /// v.par_chunks_mut(4).enumerate().for_each(|(i, c)| c.fill(i as u32));
    /// assert_eq!(v, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
    /// ```
    fn par_chunks_mut(&mut self, size: usize) -> ChunksMut<'_, T>;

    /// Iterates over mutable chunks of exactly `size` elements, in parallel; the last
    /// `len % size` elements are left out (`into_remainder()` gives them).
    ///
    /// # Panics
    /// If `size` is zero.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![0u32; 10];
    /// v.par_chunks_exact_mut(4).enumerate().for_each(|(i, c)| c.fill(i as u32 + 1));
    /// assert_eq!(v, [1, 1, 1, 1, 2, 2, 2, 2, 0, 0]);
    /// ```
    fn par_chunks_exact_mut(&mut self, size: usize) -> ChunksExactMut<'_, T>;

    /// Sorts the slice, keeping equal elements in order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![5, 1, 4, 2, 3];
    /// v.par_sort();
    /// assert_eq!(v, [1, 2, 3, 4, 5]);
    /// ```
    fn par_sort(&mut self)
    where
        T: Ord;

    /// Sorts the slice with a comparison function, keeping equal elements in order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![5, 1, 4, 2, 3];
    /// v.par_sort_by(|a, b| b.cmp(a));
    /// assert_eq!(v, [5, 4, 3, 2, 1]);
    /// ```
    fn par_sort_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync;

    /// Sorts the slice by a key, keeping elements with equal keys in order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd')];
    /// v.par_sort_by_key(|p| p.0);
    /// assert_eq!(v, [(1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    /// ```
    fn par_sort_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync;

    /// Sorts the slice; equal elements may end in any order. Allocates nothing.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![5, 1, 4, 2, 3];
    /// v.par_sort_unstable();
    /// assert_eq!(v, [1, 2, 3, 4, 5]);
    /// ```
    fn par_sort_unstable(&mut self)
    where
        T: Ord;

    /// Sorts the slice with a comparison function; equal elements may end in any order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![5, 1, 4, 2, 3];
    /// v.par_sort_unstable_by(|a, b| b.cmp(a));
    /// assert_eq!(v, [5, 4, 3, 2, 1]);
    /// ```
    fn par_sort_unstable_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync;

    /// Sorts the slice by a key; elements with equal keys may end in any order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![-3i32, 1, -2];
    /// v.par_sort_unstable_by_key(|x| x.abs());
    /// assert_eq!(v, [1, -2, -3]);
    /// ```
    fn par_sort_unstable_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync;
}

impl<T: Send> ParallelSliceMut<T> for [T] {
    fn par_chunks_mut(&mut self, size: usize) -> ChunksMut<'_, T> {
        ChunksMut::new(self, size)
    }

    fn par_chunks_exact_mut(&mut self, size: usize) -> ChunksExactMut<'_, T> {
        ChunksExactMut::new(self, size)
    }

    fn par_sort(&mut self)
    where
        T: Ord,
    {
        merge::sort(self, &T::cmp);
    }

    fn par_sort_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync,
    {
        merge::sort(self, &compare);
    }

    fn par_sort_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync,
    {
        merge::sort(self, &|a: &T, b: &T| key(a).cmp(&key(b)));
    }

    fn par_sort_unstable(&mut self)
    where
        T: Ord,
    {
        sort::sort_unstable(self, &T::cmp);
    }

    fn par_sort_unstable_by<F>(&mut self, compare: F)
    where
        F: Fn(&T, &T) -> Ordering + Sync,
    {
        sort::sort_unstable(self, &compare);
    }

    fn par_sort_unstable_by_key<K, F>(&mut self, key: F)
    where
        K: Ord,
        F: Fn(&T) -> K + Sync,
    {
        sort::sort_unstable(self, &|a: &T, b: &T| key(a).cmp(&key(b)));
    }
}
