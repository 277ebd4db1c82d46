//! Collections built or extended from parallel iterators beyond `Vec`: `par_extend`
//! ([`ParallelExtend`]), `collect` into `String`, the `std` maps and sets, `VecDeque`,
//! `Result` and `Option`, and the two-sided consumers `partition` and `unzip`.
//!
//! A `Vec` is extended in place: an indexed iterator's items are written straight after its
//! elements (as `collect` writes them), the others are gathered in runs and appended. The other
//! collections gather the items into a `Vec` in parallel, in index order, then insert them on
//! the calling thread, so a map keeps the last of equal keys, as `std`'s `collect` does.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::consumers::{gather, CollectBlocks};
use super::drive::{drive, Consumer};
use super::in_place;
use super::{concat, FromParallelIterator, IntoParallelIterator, ParallelIterator};

/// A collection that a parallel iterator's items can be added to, in index order.
pub trait ParallelExtend<T: Send> {
    /// Adds `iter`'s items, in index order.
    ///
    /// ```
    /// use ontime_core::prelude::*;
    /// let mut v = vec![0u32];
    /// v.par_extend((1..5u32).into_par_iter().map(|x| x * x));
    /// assert_eq!(v, [0, 1, 4, 9, 16]);
    /// ```
    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, iter: I);

    #[doc(hidden)]
    /// Adds items already gathered in order (`partition`, `unzip`): a `Vec` takes them
    /// without another pass when it is empty.
    fn par_extend_vec(&mut self, items: Vec<T>) {
        self.par_extend(items)
    }

    #[doc(hidden)]
    /// Adds items gathered in runs, in order (`partition`, `unzip` of a non-indexed iterator):
    /// joined, then added as by `par_extend_vec`.
    fn par_extend_runs(&mut self, runs: Vec<Vec<T>>) {
        self.par_extend_vec(concat::concat(runs))
    }
}

impl<T: Send> ParallelExtend<T> for Vec<T> {
    fn par_extend<I: IntoParallelIterator<Item = T>>(&mut self, iter: I) {
        let iter = iter.into_par_iter();
        if iter.exact() {
            in_place::append(self, iter);
        } else {
            self.par_extend_vec(concat::concat(drive(iter, &CollectBlocks)));
        }
    }

    fn par_extend_vec(&mut self, mut items: Vec<T>) {
        if self.is_empty() {
            *self = items;
        } else {
            self.append(&mut items);
        }
    }
}

/// Copies the items in, as `std`'s `Vec` extends from references to `Copy` elements.
impl<'a, T: Copy + Send + Sync + 'a> ParallelExtend<&'a T> for Vec<T> {
    fn par_extend<I: IntoParallelIterator<Item = &'a T>>(&mut self, iter: I) {
        self.par_extend(iter.into_par_iter().copied());
    }

    fn par_extend_runs(&mut self, runs: Vec<Vec<&'a T>>) {
        // One pass: the runs of references are copied out straight into the result.
        ParallelExtend::<T>::par_extend_vec(self, concat::concat_map(runs, |x: &T| *x));
    }
}

/// `ParallelExtend` (and `FromParallelIterator`) for collections that take the items
/// gathered in a `Vec`, with `Extend`.
macro_rules! extend_from_vec {
    ($(impl[$($g:tt)*] $coll:ty => $item:ty;)*) => {$(
        impl<$($g)*> ParallelExtend<$item> for $coll {
            fn par_extend<I: IntoParallelIterator<Item = $item>>(&mut self, iter: I) {
                self.par_extend_vec(iter.into_par_iter().collect());
            }

            fn par_extend_vec(&mut self, items: Vec<$item>) {
                self.extend(items);
            }
        }

        impl<$($g)*> FromParallelIterator<$item> for $coll {
            fn from_par_iter<I: IntoParallelIterator<Item = $item>>(iter: I) -> Self {
                Self::from_vec(iter.into_par_iter().collect())
            }

            fn from_vec(items: Vec<$item>) -> Self {
                let mut c = Self::default();
                c.par_extend_vec(items);
                c
            }
        }
    )*};
}

extend_from_vec! {
    impl[] String => char;
    impl['a] String => &'a str;
    impl[] String => String;
    impl[K: Eq + Hash + Send, V: Send, S: BuildHasher + Default] HashMap<K, V, S> => (K, V);
    impl[T: Eq + Hash + Send, S: BuildHasher + Default] HashSet<T, S> => T;
    impl[K: Ord + Send, V: Send] BTreeMap<K, V> => (K, V);
    impl[T: Ord + Send] BTreeSet<T> => T;
    impl[T: Send] VecDeque<T> => T;
    impl['a] String => &'a char;
    impl['a, K: Copy + Eq + Hash + Send + Sync, V: Copy + Send + Sync, S: BuildHasher + Default]
        HashMap<K, V, S> => (&'a K, &'a V);
    impl['a, T: Copy + Eq + Hash + Send + Sync, S: BuildHasher + Default] HashSet<T, S> => &'a T;
    impl['a, K: Copy + Ord + Send + Sync, V: Copy + Send + Sync] BTreeMap<K, V> => (&'a K, &'a V);
    impl['a, T: Copy + Ord + Send + Sync] BTreeSet<T> => &'a T;
    impl['a, T: Copy + Send + Sync] VecDeque<T> => &'a T;
}

/// `collect` into `Result<C, E>`: `Ok` with every `Ok` value collected into `C` if no item is
/// an `Err`, else the first `Err` in index order. Blocks after one that met an `Err` stop
/// early (see `search.rs` for why a block-start bound is safe).
impl<T: Send, E: Send, C: FromParallelIterator<T>> FromParallelIterator<Result<T, E>>
    for Result<C, E>
{
    fn from_par_iter<I: IntoParallelIterator<Item = Result<T, E>>>(iter: I) -> Self {
        let runs = drive(
            iter.into_par_iter(),
            &CollectOk {
                bound: AtomicUsize::new(usize::MAX),
            },
        )?;
        Ok(C::from_vec(concat::concat(runs)))
    }
}

/// `collect` into `Option<C>`: `Some` with every value collected into `C` if no item is
/// `None`, else `None`.
impl<T: Send, C: FromParallelIterator<T>> FromParallelIterator<Option<T>> for Option<C> {
    fn from_par_iter<I: IntoParallelIterator<Item = Option<T>>>(iter: I) -> Self {
        let r: Result<C, ()> = iter.into_par_iter().map(|x| x.ok_or(())).collect();
        r.ok()
    }
}

/// Gathers the `Ok` values of each run of blocks, or the first `Err`.
struct CollectOk {
    /// The smallest start of a block that met an `Err` (`usize::MAX`: none yet).
    bound: AtomicUsize,
}

impl<T: Send, E: Send> Consumer<Result<T, E>> for CollectOk {
    type Acc = Result<Vec<Vec<T>>, E>;

    fn start(&self) -> Self::Acc {
        Ok(Vec::new())
    }

    fn feed<I: Iterator<Item = Result<T, E>>>(
        &self,
        acc: Self::Acc,
        range: Range<usize>,
        items: I,
    ) -> Self::Acc {
        let Ok(mut runs) = acc else { return acc };
        if range.start > self.bound.load(Ordering::Relaxed) {
            // An earlier block met an `Err`: these values will not be used.
            return Ok(runs);
        }
        // The values go straight into the runs, up to the first `Err` (the rest of the piece is
        // dropped unread).
        let mut err = None;
        gather(
            &mut runs,
            items.map_while(|item| item.map_err(|e| err = Some(e)).ok()),
        );
        match err {
            Some(e) => {
                self.bound.fetch_min(range.start, Ordering::Relaxed);
                Err(e)
            }
            None => Ok(runs),
        }
    }

    fn combine(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc {
        let mut left = left?;
        left.append(&mut right?);
        Ok(left)
    }
}

/// `partition` and `unzip`: each item goes to one or both of two sides, each gathered in runs
/// as `collect` gathers a filter's items.
pub(crate) struct TwoSides<F>(pub(crate) F);

/// Where `TwoSides` puts an item.
pub(crate) enum Sides<A, B> {
    Left(A),
    Right(B),
    Both(A, B),
}

impl<T, A: Send, B: Send, F: Fn(T) -> Sides<A, B> + Sync> Consumer<T> for TwoSides<F> {
    type Acc = (Vec<Vec<A>>, Vec<Vec<B>>);

    fn start(&self) -> Self::Acc {
        (Vec::new(), Vec::new())
    }

    fn feed<I: Iterator<Item = T>>(&self, acc: Self::Acc, _: Range<usize>, items: I) -> Self::Acc {
        let (mut a, mut b) = acc;
        let (mut ra, mut rb) = (Vec::new(), Vec::new());
        let (la, lb) = (
            a.last_mut().unwrap_or(&mut ra),
            b.last_mut().unwrap_or(&mut rb),
        );
        items.for_each(|x| match (self.0)(x) {
            Sides::Left(x) => la.push(x),
            Sides::Right(y) => lb.push(y),
            Sides::Both(x, y) => {
                la.push(x);
                lb.push(y);
            }
        });
        if !ra.is_empty() {
            a.push(ra);
        }
        if !rb.is_empty() {
            b.push(rb);
        }
        (a, b)
    }

    fn combine(&self, left: Self::Acc, right: Self::Acc) -> Self::Acc {
        let ((mut a, mut b), (mut c, mut d)) = (left, right);
        a.append(&mut c);
        b.append(&mut d);
        (a, b)
    }
}

/// Runs `iter` through `TwoSides(split)` and extends two fresh collections with the sides.
pub(crate) fn two_sides<P, A, B, CA, CB, F>(iter: P, split: F) -> (CA, CB)
where
    P: ParallelIterator,
    A: Send,
    B: Send,
    CA: Default + ParallelExtend<A>,
    CB: Default + ParallelExtend<B>,
    F: Fn(P::Item) -> Sides<A, B> + Sync,
{
    let (a, b) = drive(iter, &TwoSides(split));
    let (mut ca, mut cb) = (CA::default(), CB::default());
    ca.par_extend_runs(a);
    cb.par_extend_runs(b);
    (ca, cb)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::{CollectOk, Consumer};

    #[test]
    fn the_first_error_in_index_order_wins_and_later_blocks_stop() {
        let c = CollectOk {
            bound: AtomicUsize::new(usize::MAX),
        };
        let items = |r: std::ops::Range<usize>| r.map(|i| if i % 10 == 7 { Err(i) } else { Ok(i) });
        // Finished out of order: the later block's error first.
        let right: Result<Vec<Vec<usize>>, usize> = c.feed(Ok(Vec::new()), 10..20, items(10..20));
        assert_eq!(right, Err(17));
        let after = c.feed(Ok(Vec::new()), 20..30, items(20..30));
        assert_eq!(after, Ok(Vec::new()), "a block after an error is skipped");
        let left = c.feed(Ok(Vec::new()), 0..10, items(0..10));
        assert_eq!(left, Err(7));
        assert_eq!(c.combine(left, c.combine(right, after)), Err(7));
        let ok = c.feed(Ok(Vec::new()), 0..5, items(0..5));
        assert_eq!(ok, Ok(vec![vec![0, 1, 2, 3, 4]]));
    }
}
