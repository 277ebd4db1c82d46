//! The consumers behind `ParallelIterator`'s methods: each folds the pieces of one block and
//! combines neighbouring results left with right (see `drive.rs`).

use std::iter::{Product, Sum};
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use super::drive::Consumer;

pub(crate) struct ForEach<F>(pub(crate) F);

impl<T, F: Fn(T) + Sync> Consumer<T> for ForEach<F> {
    type Acc = ();

    fn start(&self) {}

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, (): (), _: Range<usize>, items: I) {
        items.for_each(&self.0)
    }

    fn combine(&self, (): (), (): ()) {}
}

pub(crate) struct Summed<S>(PhantomData<fn() -> S>);

impl<S> Summed<S> {
    pub(crate) fn new() -> Self {
        Summed(PhantomData)
    }
}

impl<T, S: Send + Sum<T> + Sum<S>> Consumer<T> for Summed<S> {
    type Acc = S;

    fn start(&self) -> S {
        std::iter::empty::<S>().sum()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: S, _: Range<usize>, items: I) -> S {
        [acc, items.sum()].into_iter().sum()
    }

    fn combine(&self, left: S, right: S) -> S {
        [left, right].into_iter().sum()
    }
}

pub(crate) struct Multiplied<S>(PhantomData<fn() -> S>);

impl<S> Multiplied<S> {
    pub(crate) fn new() -> Self {
        Multiplied(PhantomData)
    }
}

impl<T, S: Send + Product<T> + Product<S>> Consumer<T> for Multiplied<S> {
    type Acc = S;

    fn start(&self) -> S {
        std::iter::empty::<S>().product()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: S, _: Range<usize>, items: I) -> S {
        [acc, items.product()].into_iter().product()
    }

    fn combine(&self, left: S, right: S) -> S {
        [left, right].into_iter().product()
    }
}

pub(crate) struct Count;

impl<T> Consumer<T> for Count {
    type Acc = usize;

    fn start(&self) -> usize {
        0
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: usize, _: Range<usize>, items: I) -> usize {
        acc + items.count()
    }

    fn combine(&self, left: usize, right: usize) -> usize {
        left + right
    }
}

pub(crate) struct Reduce<ID, OP> {
    pub(crate) identity: ID,
    pub(crate) op: OP,
}

impl<T: Send, ID: Fn() -> T + Sync, OP: Fn(T, T) -> T + Sync> Consumer<T> for Reduce<ID, OP> {
    type Acc = T;

    fn start(&self) -> T {
        (self.identity)()
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: T, _: Range<usize>, items: I) -> T {
        items.fold(acc, &self.op)
    }

    fn combine(&self, left: T, right: T) -> T {
        (self.op)(left, right)
    }
}

/// Keeps one item: `replace(kept, next)` says whether `next` (which comes later in index
/// order) takes the kept item's place.
pub(crate) struct Best<R>(R);

impl<R> Best<R> {
    pub(crate) fn new(replace: R) -> Self {
        Best(replace)
    }
}

impl<T: Send, R: Fn(&T, &T) -> bool + Sync> Consumer<T> for Best<R> {
    type Acc = Option<T>;

    fn start(&self) -> Option<T> {
        None
    }

    #[inline]
    fn feed<I: Iterator<Item = T>>(&self, acc: Option<T>, _: Range<usize>, items: I) -> Option<T> {
        items.fold(acc, |kept, x| self.combine(kept, Some(x)))
    }

    #[inline]
    fn combine(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        match (left, right) {
            (Some(l), Some(r)) => Some(if (self.0)(&l, &r) { r } else { l }),
            (l, None) => l,
            (None, r) => r,
        }
    }
}

/// `any` (and `all`, as `!any(!pred)`): once one item matched, later blocks skip their
/// items (a piece is still made and dropped, so an owning source drops its elements).
pub(crate) struct AnyAll<P> {
    pred: P,
    found: AtomicBool,
}

impl<P> AnyAll<P> {
    pub(crate) fn new(pred: P) -> Self {
        AnyAll {
            pred,
            found: AtomicBool::new(false),
        }
    }
}

impl<T, P: Fn(T) -> bool + Sync> Consumer<T> for AnyAll<P> {
    type Acc = bool;

    fn start(&self) -> bool {
        false
    }

    fn feed<I: Iterator<Item = T>>(&self, acc: bool, _: Range<usize>, mut items: I) -> bool {
        if acc || self.found.load(Ordering::Relaxed) {
            return true;
        }
        let hit = items.any(&self.pred);
        if hit {
            self.found.store(true, Ordering::Relaxed);
        }
        hit
    }

    fn combine(&self, left: bool, right: bool) -> bool {
        left || right
    }
}

/// `find_any`: as `AnyAll`, keeping the item found.
pub(crate) struct FindAny<P> {
    pred: P,
    found: AtomicBool,
}

impl<P> FindAny<P> {
    pub(crate) fn new(pred: P) -> Self {
        FindAny {
            pred,
            found: AtomicBool::new(false),
        }
    }
}

impl<T: Send, P: Fn(&T) -> bool + Sync> Consumer<T> for FindAny<P> {
    type Acc = Option<T>;

    fn start(&self) -> Option<T> {
        None
    }

    fn feed<I: Iterator<Item = T>>(
        &self,
        acc: Option<T>,
        _: Range<usize>,
        mut items: I,
    ) -> Option<T> {
        if acc.is_some() || self.found.load(Ordering::Relaxed) {
            return acc;
        }
        let hit = items.find(&self.pred);
        if hit.is_some() {
            self.found.store(true, Ordering::Relaxed);
        }
        hit
    }

    fn combine(&self, left: Option<T>, right: Option<T>) -> Option<T> {
        left.or(right)
    }
}

/// Appends a block's items to the last run of `runs` (the runs cover the indices before the
/// block), or to a new run if there is none (not kept if it stays empty).
///
/// Internal iteration (`for_each` runs the adapters' `fold`): measured faster here than
/// `extend`, which pulls each item through a filter's `next`.
pub(crate) fn gather<T>(runs: &mut Vec<Vec<T>>, items: impl Iterator<Item = T>) {
    match runs.last_mut() {
        Some(last) => items.for_each(|x| last.push(x)),
        None => {
            let mut v = Vec::new();
            items.for_each(|x| v.push(x));
            if !v.is_empty() {
                runs.push(v);
            }
        }
    }
}

/// `collect` of an iterator that is not indexed: each run of blocks gathers into one `Vec`,
/// and neighbouring runs are listed in order (items move once more, into the result).
pub(crate) struct CollectBlocks;

impl<T: Send> Consumer<T> for CollectBlocks {
    type Acc = Vec<Vec<T>>;

    fn start(&self) -> Vec<Vec<T>> {
        Vec::new()
    }

    fn feed<I: Iterator<Item = T>>(
        &self,
        mut acc: Vec<Vec<T>>,
        _: Range<usize>,
        items: I,
    ) -> Vec<Vec<T>> {
        gather(&mut acc, items);
        acc
    }

    fn combine(&self, mut left: Vec<Vec<T>>, mut right: Vec<Vec<T>>) -> Vec<Vec<T>> {
        left.append(&mut right);
        left
    }
}
