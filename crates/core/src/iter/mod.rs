//! Parallel iterators with rayon's names and meanings: `par_iter()`, `par_iter_mut()`,
//! `into_par_iter()`, adapters (`map`, `filter`, `zip`, ...) and consumers (`sum`, `collect`,
//! `reduce`, ...). Bring them in with `use ontime_core::prelude::*;`.
//!
//! ```
//! use ontime_core::prelude::*;
//! let v: Vec<u64> = (0..1000).collect();
//! let squares: u64 = v.par_iter().map(|x| x * x).sum();
//! assert_eq!(squares, v.iter().map(|x| x * x).sum());
//! let evens: Vec<u64> = v.par_iter().copied().filter(|x| x % 2 == 0).collect();
//! assert_eq!(evens.len(), 500);
//! ```
//!
//! # Design
//! Every parallel iterator here stands on a *base* of `n` indices (a slice's elements, a
//! range's values, a slice's chunks). Consuming one runs `0..n` as a loop
//! (`drive.rs`), with the same adaptive splitting as [`forall`](crate::forall):
//! blocks run on one worker and a range is halved only when a heartbeat or an idle thief asks,
//! stolen halves re-split at once, the loop reports its progress to the request it runs in,
//! and a request that stops sharing sends the rest of its iterator home like any loop. Each
//! block of indices becomes one serial iterator (a *piece*) that the consumer folds; the folds
//! of neighbouring ranges are combined left with right, so `collect`, `reduce` and `sum` see
//! the items in index order.
//!
//! **Invariant**: the loop hands out each base index in exactly one block, and each block
//! once. `piece` relies on it (it is `unsafe` to call): a mutable slice gives each element to
//! one piece only, and an owning `Vec` source moves each element out once.
//!
//! An *indexed* iterator ([`IndexedParallelIterator`]) yields exactly one item per base
//! index: sources, `map`, `map_init`, `map_with`, `enumerate`, `zip`, `chain` of two indexed
//! ones, `skip`, `take`, `inspect`, `copied`, `cloned`. `filter`, `filter_map`, `fold` and the
//! flattening adapters are not indexed. `collect` into a `Vec` (and `par_extend`,
//! `collect_into_vec`, `unzip`) writes an indexed iterator's items straight to their positions
//! (`in_place.rs`), and gathers the others block by block into runs, joined in order at the
//! end (by a parallel copy when the result is 1 MiB or more: `concat.rs`). On Linux, a
//! collect whose output is fresh memory of 1 MiB or more maps it 256 KiB at a time just
//! before the blocks write it, instead of taking a page fault per 4 KiB page (`prefault.rs`
//! states why that is safe).
//!
//! The files: the traits here; `drive.rs` (the one driver); `sources.rs` (slices, chunks,
//! windows, ranges, `Vec`) and `containers.rs` (`VecDeque`, maps, sets); adapters that map
//! pieces one to one (`adapters.rs`), keep state across a piece (`stateful.rs`: `fold`,
//! `map_init`), flatten (`flat.rs`) or cut and join index ranges (`segments.rs`: `chain`,
//! `skip`, `take`); consumers (`consumers.rs`), ordered searches (`search.rs`: `find_first`,
//! `find_last`, `try_for_each`, with their invariant), in-place writes (`in_place.rs`), other
//! collections and two-sided consumers (`collections.rs`: `par_extend`, maps, `Result`,
//! `partition`, `unzip`), and the join and prefault of large collects (`concat.rs`,
//! `prefault.rs`).
//!
//! A panic in a closure stops nothing else: the loop finishes its other blocks, then the
//! first panic is raised again at the caller; the pool is unharmed. Items already produced
//! by a panicking `collect` are leaked, not dropped, and so are the elements of a consumed
//! `Vec` that a panic kept any piece from reaching. Without a panic every element of a
//! consumed `Vec` is moved out or dropped exactly once: short-circuiting consumers drop the
//! rest of each piece, and `zip` drops the longer side's extra elements.

/// The methods an adapter over one `base` iterator forwards unchanged: its base indices, its
/// smallest block and its start.
macro_rules! forward_base {
    () => {
        fn base_len(&self) -> usize {
            self.base.base_len()
        }

        fn min_len(&self) -> usize {
            self.base.min_len()
        }

        fn begin(&mut self) {
            self.base.begin()
        }

        fn truncate(&mut self, len: usize) {
            self.base.truncate(len)
        }
    };
}

mod adapters;
mod collections;
mod concat;
mod consumers;
mod containers;
mod drive;
mod flat;
mod in_place;
mod prefault;
mod search;
mod segments;
mod sources;
mod stateful;

use std::cmp::Ordering;
use std::iter::{Product, Sum};
use std::ops::Range;

#[doc(hidden)]
pub use adapters::FilterPiece;
pub use adapters::{Cloned, Copied, Enumerate, Filter, FilterMap, Inspect, Map, MinLen, Zip};
pub use collections::ParallelExtend;
#[doc(hidden)]
pub use flat::NestedPiece;
pub use flat::{FlatMap, FlatMapIter, Flatten, FlattenIter};
pub use search::TryOutcome;
pub use segments::{Chain, Skip, Take};
pub use sources::{
    Chunks, ChunksExact, ChunksExactMut, ChunksMut, RangeInteger, RangeIter, SliceIter,
    SliceIterMut, VecIter, Windows,
};
#[doc(hidden)]
pub use sources::{RangePiece, VecPiece};
pub use stateful::{Fold, FoldWith, MapInit, MapWith, Source, WithValue};
#[doc(hidden)]
pub use stateful::{FoldPiece, MapInitPiece};

use collections::{two_sides, Sides};
use consumers::{AnyAll, Best, CollectBlocks, Count, FindAny, ForEach, Multiplied, Reduce, Summed};
use drive::drive;
use search::{FindFirst, FindLast};

/// A parallel iterator: a stream of items produced and consumed on a pool's workers.
///
/// Consumers run on the current pool when called from one of its workers (or from inside
/// [`ThreadPool::install`](crate::ThreadPool::install)), else on the global pool, and block
/// the caller until every item is consumed.
///
/// The methods marked hidden are the iterator's internals; only this crate implements this
/// trait.
pub trait ParallelIterator: Sized + Send + Sync {
    /// The type of the items.
    type Item: Send;

    #[doc(hidden)]
    type Piece<'p>: Iterator<Item = Self::Item>
    where
        Self: 'p;

    #[doc(hidden)]
    /// How many base indices the iterator stands on.
    fn base_len(&self) -> usize;

    #[doc(hidden)]
    /// The fewest base indices one block may hold (`with_min_len`).
    fn min_len(&self) -> usize {
        1
    }

    #[doc(hidden)]
    /// True if the iterator yields exactly one item per base index.
    fn exact(&self) -> bool;

    #[doc(hidden)]
    /// Called once, before the first `piece`.
    fn begin(&mut self) {}

    #[doc(hidden)]
    /// Keeps only the first `len` base indices (before `begin`): an owning source drops the
    /// rest now (`zip` with a shorter side), so nothing it owns is left behind.
    fn truncate(&mut self, len: usize) {
        let _ = len;
    }

    #[doc(hidden)]
    /// The items of the base indices `range`, in order.
    ///
    /// # Safety
    /// Between one `begin` and the iterator's drop, no base index may be in the range of two
    /// calls, and `range` lies within `0..base_len()`.
    unsafe fn piece(&self, range: Range<usize>) -> Self::Piece<'_>;

    /// Calls `f` on every item.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let seen = AtomicUsize::new(0);
    /// (0..100usize).into_par_iter().for_each(|i| { seen.fetch_add(i, Ordering::Relaxed); });
    /// assert_eq!(seen.into_inner(), 4950);
    /// ```
    fn for_each<F>(self, f: F)
    where
        F: Fn(Self::Item) + Sync + Send,
    {
        drive(self, &ForEach(f))
    }

    /// Applies `f` to every item.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<i32> = (1..4).into_par_iter().map(|x| x * 10).collect();
    /// assert_eq!(v, [10, 20, 30]);
    /// ```
    fn map<R, F>(self, f: F) -> Map<Self, F>
    where
        F: Fn(Self::Item) -> R + Sync + Send,
        R: Send,
    {
        Map::new(self, f)
    }

    /// Keeps the items for which `pred` is true.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert_eq!((0..10u32).into_par_iter().filter(|x| x % 3 == 0).count(), 4);
    /// ```
    fn filter<P>(self, pred: P) -> Filter<Self, P>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        Filter::new(self, pred)
    }

    /// Applies `f` to every item and keeps the `Some` results.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let words = ["1", "x", "3"];
    /// let n: Vec<u32> = words.par_iter().filter_map(|w| w.parse().ok()).collect();
    /// assert_eq!(n, [1, 3]);
    /// ```
    fn filter_map<R, F>(self, f: F) -> FilterMap<Self, F>
    where
        F: Fn(Self::Item) -> Option<R> + Sync + Send,
        R: Send,
    {
        FilterMap::new(self, f)
    }

    /// Copies items given by reference.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = vec![1u8, 2, 3];
    /// let w: Vec<u8> = v.par_iter().copied().collect();
    /// assert_eq!(v, w);
    /// ```
    fn copied<'a, T>(self) -> Copied<Self>
    where
        T: 'a + Copy + Send + Sync,
        Self: ParallelIterator<Item = &'a T>,
    {
        Copied::new(self)
    }

    /// Clones items given by reference.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = vec![String::from("a"), String::from("b")];
    /// let w: Vec<String> = v.par_iter().cloned().collect();
    /// assert_eq!(v, w);
    /// ```
    fn cloned<'a, T>(self) -> Cloned<Self>
    where
        T: 'a + Clone + Send + Sync,
        Self: ParallelIterator<Item = &'a T>,
    {
        Cloned::new(self)
    }

    /// Sums the items. Partial sums are added in index order within a block and then
    /// combined left to right, so a floating-point sum may differ from the serial one in
    /// its last bits.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let s: u64 = (1..=100u64).into_par_iter().sum();
    /// assert_eq!(s, 5050);
    /// ```
    fn sum<S>(self) -> S
    where
        S: Send + Sum<Self::Item> + Sum<S>,
    {
        drive(self, &Summed::new())
    }

    /// Counts the items.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert_eq!((0..1000u32).into_par_iter().filter(|x| x % 7 == 0).count(), 143);
    /// ```
    fn count(self) -> usize {
        drive(self, &Count)
    }

    /// Combines the items with `op`, starting each part of the work from `identity()`; `op`
    /// must be associative and `identity()` its neutral element, as in rayon. An empty
    /// iterator gives `identity()`.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let longest = ["a", "abc", "ab"].par_iter().map(|s| s.len()).reduce(|| 0, usize::max);
    /// assert_eq!(longest, 3);
    /// ```
    fn reduce<ID, OP>(self, identity: ID, op: OP) -> Self::Item
    where
        ID: Fn() -> Self::Item + Sync + Send,
        OP: Fn(Self::Item, Self::Item) -> Self::Item + Sync + Send,
    {
        drive(self, &Reduce { identity, op })
    }

    /// Combines the items with `op` (associative, as for [`reduce`](Self::reduce)), or
    /// `None` if there are none; no identity is needed.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let longest = ["a", "abc", "ab"].par_iter().copied().reduce_with(|a, b| if b.len() > a.len() { b } else { a });
    /// assert_eq!(longest, Some("abc"));
    /// ```
    fn reduce_with<OP>(self, op: OP) -> Option<Self::Item>
    where
        OP: Fn(Self::Item, Self::Item) -> Self::Item + Sync + Send,
    {
        self.map(Some).reduce(
            || None,
            |a, b| match (a, b) {
                (Some(a), Some(b)) => Some(op(a, b)),
                (a, None) => a,
                (None, b) => b,
            },
        )
    }

    /// The smallest item (the first of equal ones), or `None` if there is none.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert_eq!([3, 1, 2].par_iter().min(), Some(&1));
    /// ```
    fn min(self) -> Option<Self::Item>
    where
        Self::Item: Ord,
    {
        drive(self, &Best::new(|a: &Self::Item, b: &Self::Item| b < a))
    }

    /// The largest item (the last of equal ones), or `None` if there is none.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert_eq!([3, 1, 2].par_iter().max(), Some(&3));
    /// ```
    fn max(self) -> Option<Self::Item>
    where
        Self::Item: Ord,
    {
        drive(self, &Best::new(|a: &Self::Item, b: &Self::Item| b >= a))
    }

    /// The item with the smallest key (the first of equal ones).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let w = ["ccc", "a", "bb", "d"];
    /// assert_eq!(w.par_iter().min_by_key(|s| s.len()), Some(&"a"));
    /// ```
    fn min_by_key<K, F>(self, f: F) -> Option<Self::Item>
    where
        K: Ord,
        F: Fn(&Self::Item) -> K + Sync + Send,
    {
        drive(
            self,
            &Best::new(move |a: &Self::Item, b: &Self::Item| f(b).cmp(&f(a)) == Ordering::Less),
        )
    }

    /// The item with the largest key (the last of equal ones).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let w = ["ccc", "a", "bbb", "d"];
    /// assert_eq!(w.par_iter().max_by_key(|s| s.len()), Some(&"bbb"));
    /// ```
    fn max_by_key<K, F>(self, f: F) -> Option<Self::Item>
    where
        K: Ord,
        F: Fn(&Self::Item) -> K + Sync + Send,
    {
        drive(
            self,
            &Best::new(move |a: &Self::Item, b: &Self::Item| f(b).cmp(&f(a)) != Ordering::Less),
        )
    }

    /// True if `pred` holds for some item. Stops calling `pred` soon after one returns true.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert!((0..1000u32).into_par_iter().any(|x| x == 999));
    /// ```
    fn any<P>(self, pred: P) -> bool
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        drive(self, &AnyAll::new(pred))
    }

    /// True if `pred` holds for every item. Stops calling `pred` soon after one returns false.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert!(!(0..1000u32).into_par_iter().all(|x| x < 999));
    /// ```
    fn all<P>(self, pred: P) -> bool
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        !drive(self, &AnyAll::new(move |x| !pred(x)))
    }

    /// Some item for which `pred` holds (not necessarily the first), or `None`. Stops
    /// calling `pred` soon after one returns true.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let found = (0..1000u32).into_par_iter().find_any(|x| x % 97 == 96);
    /// assert!(matches!(found, Some(x) if x % 97 == 96));
    /// ```
    fn find_any<P>(self, pred: P) -> Option<Self::Item>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        drive(self, &FindAny::new(pred))
    }

    /// Calls `op` on every item with a state made by `init()`, once per piece of work (a
    /// block of items: see [`map_init`](Self::map_init)).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let calls = AtomicUsize::new(0);
    /// (0..1000u32).into_par_iter().for_each_init(Vec::new, |buf, x| {
    ///     buf.push(x);
    ///     calls.fetch_add(1, Ordering::Relaxed);
    /// });
    /// assert_eq!(calls.into_inner(), 1000);
    /// ```
    fn for_each_init<INIT, T, OP>(self, init: INIT, op: OP)
    where
        INIT: Fn() -> T + Sync + Send,
        OP: Fn(&mut T, Self::Item) + Sync + Send,
    {
        self.map_init(init, op).for_each(drop)
    }

    /// Calls `op` on every item with a clone of `init`, one clone per piece of work (see
    /// [`map_with`](Self::map_with)).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// use std::sync::Mutex;
    /// let out = Mutex::new(Vec::new());
    /// (0..4u32).into_par_iter().for_each_with(10, |base, x| out.lock().unwrap().push(*base + x));
    /// let mut out = out.into_inner().unwrap();
    /// out.sort();
    /// assert_eq!(out, [10, 11, 12, 13]);
    /// ```
    fn for_each_with<T, OP>(self, init: T, op: OP)
    where
        T: Clone + Send + Sync,
        OP: Fn(&mut T, Self::Item) + Sync + Send,
    {
        self.map_with(init, op).for_each(drop)
    }

    /// Calls `op` on every item until one returns `Err`, `None` or `ControlFlow::Break`, and
    /// returns that outcome, or `Ok(())` (`Some(())`, `Continue(())`) if none did. When
    /// several items stop it, the first in index order wins, so the outcome is the one a
    /// serial loop would give; items after it may or may not have been visited.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let r = (0..100u32).into_par_iter().try_for_each(|x| {
    ///     if x % 40 == 39 { Err(x) } else { Ok(()) }
    /// });
    /// assert_eq!(r, Err(39));
    /// ```
    fn try_for_each<OP, R>(self, op: OP) -> R
    where
        OP: Fn(Self::Item) -> R + Sync + Send,
        R: TryOutcome,
    {
        self.map(op)
            .find_first(TryOutcome::stops)
            .unwrap_or_else(R::finished)
    }

    /// Calls `f` on a reference to every item as it passes (for side effects).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let seen = AtomicUsize::new(0);
    /// let n = (0..10u32).into_par_iter().inspect(|_| { seen.fetch_add(1, Ordering::Relaxed); }).count();
    /// assert_eq!((n, seen.into_inner()), (10, 10));
    /// ```
    fn inspect<F>(self, f: F) -> Inspect<Self, F>
    where
        F: Fn(&Self::Item) + Sync + Send,
    {
        Inspect::new(self, f)
    }

    /// Applies `f` to every item with a state made by `init()`, one state per piece of work
    /// (a block of up to 4,096 items, or about 100 µs of them), for state that is dear to make
    /// and may be reused, such as a buffer or a random number generator. How many states are
    /// made depends on how the work was split.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<String> = (0..3u32)
    ///     .into_par_iter()
    ///     .map_init(String::new, |buf, x| {
    ///         buf.clear();
    ///         buf.push_str(&x.to_string());
    ///         buf.clone()
    ///     })
    ///     .collect();
    /// assert_eq!(v, ["0", "1", "2"]);
    /// ```
    fn map_init<INIT, T, F, R>(self, init: INIT, f: F) -> MapInit<Self, INIT, F>
    where
        INIT: Fn() -> T + Sync + Send,
        F: Fn(&mut T, Self::Item) -> R + Sync + Send,
        R: Send,
    {
        MapInit::new(self, init, f)
    }

    /// Applies `f` to every item with a clone of `init`, one clone per piece of work (as in
    /// [`map_init`](Self::map_init)).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..3u32).into_par_iter().map_with(100, |base, x| *base + x).collect();
    /// assert_eq!(v, [100, 101, 102]);
    /// ```
    fn map_with<T, F, R>(self, init: T, f: F) -> MapWith<Self, T, F>
    where
        T: Clone + Send + Sync,
        F: Fn(&mut T, Self::Item) -> R + Sync + Send,
        R: Send,
    {
        MapInit::new(self, WithValue(init), f)
    }

    /// Folds the items of each piece of work (a block of items, see
    /// [`map_init`](Self::map_init)) into an accumulator that starts at `identity()`, and
    /// yields the accumulators, in index order. Follow it with `reduce`, `sum` or `collect`
    /// to combine them; how many there are depends on how the work was split.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let words = ["a", "bb", "ccc", "dddd"];
    /// let total = words
    ///     .par_iter()
    ///     .fold(String::new, |mut s, w| { s.push_str(w); s })
    ///     .reduce(String::new, |a, b| a + &b);
    /// assert_eq!(total, "abbcccdddd");
    /// ```
    fn fold<T, ID, F>(self, identity: ID, op: F) -> Fold<Self, ID, F>
    where
        ID: Fn() -> T + Sync + Send,
        F: Fn(T, Self::Item) -> T + Sync + Send,
        T: Send,
    {
        Fold::new(self, identity, op)
    }

    /// As [`fold`](Self::fold), each accumulator starting from a clone of `init`.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let s: u64 = (1..=100u64).into_par_iter().fold_with(0, |a, x| a + x).sum();
    /// assert_eq!(s, 5050);
    /// ```
    fn fold_with<T, F>(self, init: T, op: F) -> FoldWith<Self, T, F>
    where
        T: Clone + Send + Sync,
        F: Fn(T, Self::Item) -> T + Sync + Send,
    {
        Fold::new(self, WithValue(init), op)
    }

    /// Replaces every item by the items of the serial iterator `f` makes of it, in order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (1..4u32).into_par_iter().flat_map_iter(|n| 0..n).collect();
    /// assert_eq!(v, [0, 0, 1, 0, 1, 2]);
    /// ```
    fn flat_map_iter<F, U>(self, f: F) -> FlatMapIter<Self, F>
    where
        F: Fn(Self::Item) -> U + Sync + Send,
        U: IntoIterator,
        U::Item: Send,
    {
        FlatMapIter::new(self, f)
    }

    /// Replaces every item (itself a serial iterable, such as a `Vec`) by its items, in order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u8> = vec![vec![1, 2], vec![], vec![3]].into_par_iter().flatten_iter().collect();
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    fn flatten_iter(self) -> FlattenIter<Self>
    where
        Self::Item: IntoIterator,
        <Self::Item as IntoIterator>::Item: Send,
    {
        FlatMapIter::new(self, |x| x)
    }

    /// Replaces every item by the items of the parallel iterator `f` makes of it, in order.
    /// Each inner iterator runs serially on the worker that made it; the parallelism comes
    /// from the outer iterator (for a few items with large inner work, run the inner
    /// iterators inside `for_each` or `map` instead, where they split on their own).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let grid: Vec<(u32, u32)> = (0..2u32)
    ///     .into_par_iter()
    ///     .flat_map(|i| (0..3u32).into_par_iter().map(move |j| (i, j)))
    ///     .collect();
    /// assert_eq!(grid.len(), 6);
    /// assert_eq!(grid[4], (1, 1));
    /// ```
    fn flat_map<F, U>(self, f: F) -> FlatMap<Self, F>
    where
        F: Fn(Self::Item) -> U + Sync + Send,
        U: IntoParallelIterator,
    {
        FlatMap::new(self, f)
    }

    /// Replaces every item (itself convertible into a parallel iterator, such as a `Vec`) by
    /// its items, in order; as [`flat_map`](Self::flat_map), each runs serially.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u8> = vec![vec![1, 2], vec![], vec![3]].into_par_iter().flatten().collect();
    /// assert_eq!(v, [1, 2, 3]);
    /// ```
    fn flatten(self) -> Flatten<Self>
    where
        Self::Item: IntoParallelIterator,
    {
        FlatMap::new(self, |x| x)
    }

    /// The items of `self`, then those of `other`.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..3u32).into_par_iter().chain(vec![7, 8]).collect();
    /// assert_eq!(v, [0, 1, 2, 7, 8]);
    /// ```
    fn chain<C>(self, other: C) -> Chain<Self, C::Iter>
    where
        C: IntoParallelIterator<Item = Self::Item>,
    {
        Chain::new(self, other.into_par_iter())
    }

    /// Multiplies the items, as [`sum`](Self::sum) adds them.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let f: u64 = (1..=10u64).into_par_iter().product();
    /// assert_eq!(f, 3_628_800);
    /// ```
    fn product<P>(self) -> P
    where
        P: Send + Product<Self::Item> + Product<P>,
    {
        drive(self, &Multiplied::new())
    }

    /// The smallest item by `cmp` (the first of equal ones), or `None` if there is none.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = [2.5f64, -1.0, 7.0];
    /// assert_eq!(v.par_iter().min_by(|a, b| a.total_cmp(b)), Some(&-1.0));
    /// ```
    fn min_by<F>(self, cmp: F) -> Option<Self::Item>
    where
        F: Fn(&Self::Item, &Self::Item) -> Ordering + Sync + Send,
    {
        drive(
            self,
            &Best::new(move |a: &Self::Item, b: &Self::Item| cmp(b, a) == Ordering::Less),
        )
    }

    /// The largest item by `cmp` (the last of equal ones), or `None` if there is none.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = [2.5f64, -1.0, 7.0];
    /// assert_eq!(v.par_iter().max_by(|a, b| a.total_cmp(b)), Some(&7.0));
    /// ```
    fn max_by<F>(self, cmp: F) -> Option<Self::Item>
    where
        F: Fn(&Self::Item, &Self::Item) -> Ordering + Sync + Send,
    {
        drive(
            self,
            &Best::new(move |a: &Self::Item, b: &Self::Item| cmp(b, a) != Ordering::Less),
        )
    }

    /// The first item in index order for which `pred` holds, or `None`: what a serial
    /// `find` returns. Blocks after one that found an item stop early.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..10_000).collect();
    /// assert_eq!(v.par_iter().find_first(|&&x| x % 1000 == 999), Some(&999));
    /// ```
    fn find_first<P>(self, pred: P) -> Option<Self::Item>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        drive(self, &FindFirst::new(pred))
    }

    /// The last item in index order for which `pred` holds, or `None`.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..10_000).collect();
    /// assert_eq!(v.par_iter().find_last(|&&x| x % 1000 == 999), Some(&9999));
    /// ```
    fn find_last<P>(self, pred: P) -> Option<Self::Item>
    where
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        drive(self, &FindLast::new(pred))
    }

    /// Splits the items in two collections, those for which `pred` holds first, each in
    /// index order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let (even, odd): (Vec<u32>, Vec<u32>) = (0..7u32).into_par_iter().partition(|x| x % 2 == 0);
    /// assert_eq!((even, odd), (vec![0, 2, 4, 6], vec![1, 3, 5]));
    /// ```
    fn partition<A, B, P>(self, pred: P) -> (A, B)
    where
        A: Default + Send + ParallelExtend<Self::Item>,
        B: Default + Send + ParallelExtend<Self::Item>,
        P: Fn(&Self::Item) -> bool + Sync + Send,
    {
        two_sides(self, |x| {
            if pred(&x) {
                Sides::Left(x)
            } else {
                Sides::Right(x)
            }
        })
    }

    /// Splits items that are pairs into two collections, each in index order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let (n, sq): (Vec<u32>, Vec<u32>) = (0..4u32).into_par_iter().map(|x| (x, x * x)).unzip();
    /// assert_eq!((n, sq), (vec![0, 1, 2, 3], vec![0, 1, 4, 9]));
    /// ```
    fn unzip<A, B, FromA, FromB>(self) -> (FromA, FromB)
    where
        Self: ParallelIterator<Item = (A, B)>,
        A: Send,
        B: Send,
        FromA: Default + Send + ParallelExtend<A>,
        FromB: Default + Send + ParallelExtend<B>,
    {
        if self.exact() {
            // Both halves written in place, then handed over.
            let (mut a, mut b) = (Vec::new(), Vec::new());
            in_place::unzip_append(&mut a, &mut b, self);
            let (mut ca, mut cb) = (FromA::default(), FromB::default());
            ca.par_extend_vec(a);
            cb.par_extend_vec(b);
            (ca, cb)
        } else {
            two_sides(self, |(a, b)| Sides::Both(a, b))
        }
    }

    /// Gathers the items into a collection, in index order: a `Vec`, `VecDeque`, `String`
    /// (of `char`s, `&str`s or `String`s), `HashMap`, `HashSet`, `BTreeMap` or `BTreeSet`,
    /// or a `Result` or `Option` of one of those (the first `Err` or `None` in index order
    /// wins, and blocks after it stop early).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// use std::collections::HashMap;
    /// let v: Vec<usize> = (0..5usize).into_par_iter().map(|i| i * i).collect();
    /// assert_eq!(v, [0, 1, 4, 9, 16]);
    /// let m: HashMap<usize, usize> = (0..5usize).into_par_iter().map(|i| (i, i * i)).collect();
    /// assert_eq!(m[&3], 9);
    /// let parsed: Result<Vec<u8>, _> = ["1", "2", "x"].par_iter().map(|s| s.parse::<u8>()).collect();
    /// assert!(parsed.is_err());
    /// ```
    fn collect<C>(self) -> C
    where
        C: FromParallelIterator<Self::Item>,
    {
        C::from_par_iter(self)
    }
}

/// A parallel iterator that yields exactly one item per index, so it has a length and can
/// be zipped and enumerated.
// `len` without `is_empty`, as in rayon, so that ports compile unchanged.
#[allow(clippy::len_without_is_empty)]
pub trait IndexedParallelIterator: ParallelIterator {
    /// The number of items.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert_eq!([1, 2, 3].par_iter().len(), 3);
    /// ```
    fn len(&self) -> usize {
        self.base_len()
    }

    /// Pairs each item with its index.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<(usize, char)> = ['a', 'b'].par_iter().copied().enumerate().collect();
    /// assert_eq!(v, [(0, 'a'), (1, 'b')]);
    /// ```
    fn enumerate(self) -> Enumerate<Self> {
        Enumerate::new(self)
    }

    /// Pairs the items of two indexed iterators; as long as the shorter.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let a = [1, 2, 3];
    /// let b = [10, 20];
    /// let v: Vec<i32> = a.par_iter().zip(b.par_iter()).map(|(x, y)| x * y).collect();
    /// assert_eq!(v, [10, 40]);
    /// ```
    fn zip<Z>(self, other: Z) -> Zip<Self, Z::Iter>
    where
        Z: IntoParallelIterator,
        Z::Iter: IndexedParallelIterator,
    {
        Zip::new(self, other.into_par_iter())
    }

    /// Replaces `target`'s elements by the items, in order, writing them in place (reusing
    /// `target`'s buffer when it is large enough).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut out = vec![9u32; 100];
    /// (0..3u32).into_par_iter().map(|x| x * 2).collect_into_vec(&mut out);
    /// assert_eq!(out, [0, 2, 4]);
    /// ```
    fn collect_into_vec(self, target: &mut Vec<Self::Item>) {
        target.clear();
        in_place::append(target, self);
    }

    /// Leaves out the first `n` items. They are still produced (in parallel, before the
    /// others) and dropped, as `std`'s `skip` produces them: their closures run.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..6u32).into_par_iter().skip(4).collect();
    /// assert_eq!(v, [4, 5]);
    /// ```
    fn skip(self, n: usize) -> Skip<Self> {
        Skip::new(self, n)
    }

    /// Keeps only the first `n` items (the others are never produced; an owned source drops
    /// them).
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v: Vec<u32> = (0..6u32).into_par_iter().take(2).collect();
    /// assert_eq!(v, [0, 1]);
    /// ```
    fn take(self, n: usize) -> Take<Self> {
        Take::new(self, n)
    }

    /// The index of some item for which `pred` holds (not necessarily the first), or `None`.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let i = [5, 8, 13, 8].par_iter().position_any(|&x| x == 8);
    /// assert!(i == Some(1) || i == Some(3));
    /// ```
    fn position_any<P>(self, pred: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        self.map(pred)
            .enumerate()
            .find_any(|&(_, hit)| hit)
            .map(|(i, _)| i)
    }

    /// The index of the first item for which `pred` holds, or `None`.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert_eq!([5, 8, 13, 8].par_iter().position_first(|&x| x == 8), Some(1));
    /// ```
    fn position_first<P>(self, pred: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        self.map(pred)
            .enumerate()
            .find_first(|&(_, hit)| hit)
            .map(|(i, _)| i)
    }

    /// The index of the last item for which `pred` holds, or `None`.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// assert_eq!([5, 8, 13, 8].par_iter().position_last(|&x| x == 8), Some(3));
    /// ```
    fn position_last<P>(self, pred: P) -> Option<usize>
    where
        P: Fn(Self::Item) -> bool + Sync + Send,
    {
        self.map(pred)
            .enumerate()
            .find_last(|&(_, hit)| hit)
            .map(|(i, _)| i)
    }

    /// Keeps at least `min` items in each serial piece of work, for bodies so cheap that
    /// splitting finer costs more than it gains.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let s: u64 = (0..10_000u64).into_par_iter().with_min_len(1024).sum();
    /// assert_eq!(s, 49_995_000);
    /// ```
    fn with_min_len(self, min: usize) -> MinLen<Self> {
        MinLen::new(self, min)
    }
}

/// A value that can be turned into a parallel iterator: ranges, `Vec`s, references to
/// slices and `Vec`s, and every parallel iterator.
pub trait IntoParallelIterator {
    /// The iterator.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// Its items.
    type Item: Send;

    /// Turns `self` into a parallel iterator.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = vec![String::from("a"), String::from("bc")];
    /// let lens: Vec<usize> = v.into_par_iter().map(|s| s.len()).collect();
    /// assert_eq!(lens, [1, 2]);
    /// ```
    fn into_par_iter(self) -> Self::Iter;
}

impl<P: ParallelIterator> IntoParallelIterator for P {
    type Iter = P;
    type Item = P::Item;

    fn into_par_iter(self) -> P {
        self
    }
}

/// `par_iter()`: a parallel iterator over references, for slices and `Vec`s.
pub trait IntoParallelRefIterator<'data> {
    /// The iterator.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// Its items (`&'data T`).
    type Item: Send + 'data;

    /// Iterates over references to the elements.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = vec![1, 2, 3];
    /// assert_eq!(v.par_iter().sum::<i32>(), 6);
    /// ```
    fn par_iter(&'data self) -> Self::Iter;
}

impl<'data, I: 'data + ?Sized> IntoParallelRefIterator<'data> for I
where
    &'data I: IntoParallelIterator,
{
    type Iter = <&'data I as IntoParallelIterator>::Iter;
    type Item = <&'data I as IntoParallelIterator>::Item;

    fn par_iter(&'data self) -> Self::Iter {
        self.into_par_iter()
    }
}

/// `par_iter_mut()`: a parallel iterator over mutable references, for slices and `Vec`s.
pub trait IntoParallelRefMutIterator<'data> {
    /// The iterator.
    type Iter: ParallelIterator<Item = Self::Item>;
    /// Its items (`&'data mut T`).
    type Item: Send + 'data;

    /// Iterates over mutable references to the elements.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![1, 2, 3];
    /// v.par_iter_mut().for_each(|x| *x *= 2);
    /// assert_eq!(v, [2, 4, 6]);
    /// ```
    fn par_iter_mut(&'data mut self) -> Self::Iter;
}

impl<'data, I: 'data + ?Sized> IntoParallelRefMutIterator<'data> for I
where
    &'data mut I: IntoParallelIterator,
{
    type Iter = <&'data mut I as IntoParallelIterator>::Iter;
    type Item = <&'data mut I as IntoParallelIterator>::Item;

    fn par_iter_mut(&'data mut self) -> Self::Iter {
        self.into_par_iter()
    }
}

/// A collection that `collect` can build from a parallel iterator.
pub trait FromParallelIterator<T: Send> {
    /// Builds the collection from `iter`'s items, in index order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let v = Vec::from_par_iter((0..3u8).into_par_iter());
    /// assert_eq!(v, [0, 1, 2]);
    /// ```
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(iter: I) -> Self;

    #[doc(hidden)]
    /// Builds the collection from items already gathered in order (`collect` into a `Result`
    /// or `Option`): a `Vec` takes the vector as it is.
    fn from_vec(items: Vec<T>) -> Self
    where
        Self: Sized,
    {
        Self::from_par_iter(items)
    }
}

impl<T: Send> FromParallelIterator<T> for Vec<T> {
    fn from_par_iter<I: IntoParallelIterator<Item = T>>(iter: I) -> Self {
        let iter = iter.into_par_iter();
        if iter.exact() {
            let mut out = Vec::new();
            in_place::append(&mut out, iter);
            out
        } else {
            concat::concat(drive(iter, &CollectBlocks))
        }
    }

    fn from_vec(items: Vec<T>) -> Self {
        items
    }
}
